"""Build a ROS 2 launch description from a profile of config/graph.yaml.

Only the launch files import this module (it needs `launch` and `launch_ros`).
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from berntsen_bringup.graph import load_profile
from berntsen_bringup.supervision import RESPAWN_DELAY


def common_arguments(profile):
    return [
        DeclareLaunchArgument('namespace', default_value='',
                              description='Namespace for every node (e.g. a robot name)'),
        DeclareLaunchArgument('params_file', default_value=str(profile.params_file),
                              description='Parameter YAML for all nodes of this profile'),
        DeclareLaunchArgument('log_level', default_value='info',
                              choices=['debug', 'info', 'warn', 'error', 'fatal'],
                              description='Log level of every node'),
    ]


def profile_nodes(profile, extra_parameters=None):
    """One launch_ros Node per graph node; `extra_parameters` maps node name → dict."""
    extra_parameters = extra_parameters or {}
    return [
        Node(
            package=node.package,
            executable=node.executable,
            name=node.name,
            namespace=LaunchConfiguration('namespace'),
            parameters=[LaunchConfiguration('params_file'),
                        extra_parameters.get(node.name, {})],
            remappings=list(node.remappings.items()),
            arguments=['--ros-args', '--log-level', LaunchConfiguration('log_level')],
            output='screen',
            emulate_tty=True,
            respawn=node.respawn,
            respawn_delay=RESPAWN_DELAY,
        )
        for node in profile.nodes
    ]


def profile_launch_description(profile_name, extra_arguments=(), extra_parameters=None):
    profile = load_profile(profile_name)
    return LaunchDescription(common_arguments(profile) + list(extra_arguments)
                             + profile_nodes(profile, extra_parameters))


def coach_arguments():
    """The language the coach speaks; shared by the profiles with a patient. There is no
    argument for the patient's name: it lives only in the programme file (launch would write
    it into parameter files under /tmp, and it would show in the process list)."""
    return [
        DeclareLaunchArgument('language', default_value='', choices=['', 'nb', 'en'],
                              description="Language the robot speaks (empty: the programme's)"),
    ]


def string_argument(name):
    """A launch argument passed to a string parameter as a string: launch reads arguments as
    YAML, so language:=no or camera_source:=0 would reach the node as a bool or an int,
    which its string parameter refuses."""
    return ParameterValue(LaunchConfiguration(name), value_type=str)


def coach_parameters():
    return {'language': string_argument('language')}
