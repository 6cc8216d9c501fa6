"""The robot stack against the headless MuJoCo bedroom and a virtual patient.

    ros2 launch berntsen_bringup sim.launch.py scenario:=slow_patient patient_name:=Kari

A scenario (berntsen_sim/config/scenarios/<name>.yaml, or a path) says who the virtual
patient is, where the robot starts and which programme the coach runs; the nodes of the
stack run on the simulator's /clock (use_sim_time, set in params_sim.yaml).
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from berntsen_bringup import scenarios
from berntsen_bringup.graph import load_profile
from berntsen_bringup.launch_builder import (coach_arguments, coach_parameters,
                                             common_arguments, profile_nodes)

PROFILE = 'sim'


def _nodes(context):
    # The scenario is read when the launch runs: its file decides the coach's parameters.
    from berntsen_sim.scenario import load_scenario

    scenario = load_scenario(LaunchConfiguration('scenario').perform(context))
    parameters = scenarios.node_parameters(scenario)
    parameters['coach'].update(coach_parameters())
    return profile_nodes(load_profile(PROFILE), parameters)


def generate_launch_description():
    scenario = DeclareLaunchArgument(
        'scenario', default_value='cooperative_morning',
        description='Simulation scenario: a name in berntsen_sim/config/scenarios or a YAML path')
    return LaunchDescription(common_arguments(load_profile(PROFILE)) + coach_arguments()
                             + [scenario, OpaqueFunction(function=_nodes)])
