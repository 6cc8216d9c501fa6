"""The robot stack against the headless MuJoCo bedroom and a virtual patient.

    ros2 launch berntsen_bringup sim.launch.py patient_name:=Kari language:=nb
"""
from berntsen_bringup.launch_builder import (coach_arguments, coach_parameters,
                                             profile_launch_description)


def generate_launch_description():
    return profile_launch_description(
        'sim', extra_arguments=coach_arguments(),
        extra_parameters={'coach': coach_parameters()})
