"""The robot stack against the Gazebo (gz-sim Harmonic) bedroom, for full ROS 2 installs.

    ros2 launch berntsen_bringup gazebo.launch.py language:=nb

Needs ros_gz (apt: ros-<distro>-ros-gz) and robot_state_publisher; docker/Dockerfile.gazebo
has both. Not exercised by this repository's tests or CI: only the MuJoCo `sim` profile is.

What runs: Gazebo with berntsen_sim/gazebo/bedroom.sdf, the robot spawned from berntsen.urdf
(published by robot_state_publisher), ros_gz_bridge with berntsen_sim/gazebo/bridge.yaml
(camera/image_raw, camera/camera_info, gazebo/cmd_vel, odom, /clock), and the stack of the
`sim` profile on sim time. The motor node runs with its `gazebo` backend: its base guard
(e-stop, coach/state, person distance, source priorities) and limits stand between every
velocity source and Gazebo's DiffDrive, which takes only `gazebo/cmd_vel` and publishes odom.
The Gazebo patient is a static stand-in; the scripted virtual patient is MuJoCo-only.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import (Command, LaunchConfiguration, PathJoinSubstitution,
                                  PythonExpression)
from launch_ros.actions import Node, SetParameter
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare

from berntsen_bringup.graph import load_profile
from berntsen_bringup.launch_builder import coach_arguments, coach_parameters
from berntsen_bringup.supervision import RESPAWN_DELAY

# The sim profile without the MuJoCo sim, which Gazebo replaces; the motor node drives
# Gazebo's DiffDrive (through the bridge) instead of the MuJoCo wheels.
WITHOUT = ('sim',)
GAZEBO_PARAMETERS = {'motor': {'backend': 'gazebo'}}
# where the MuJoCo world puts the robot: 2.5 m in front of the patient, facing her
ROBOT_SPAWN = {'x': '2.5', 'y': '0.0', 'z': '0.01', 'Y': '3.14159'}
# bedroom.sdf, berntsen.urdf and bridge.yaml
GAZEBO_SHARE = PathJoinSubstitution([FindPackageShare('berntsen_sim'), 'gazebo'])


def launch_arguments(profile):
    return [
        DeclareLaunchArgument('world',
                              default_value=PathJoinSubstitution([GAZEBO_SHARE, 'bedroom.sdf']),
                              description='gz-sim world (SDF) to load'),
        DeclareLaunchArgument('headless', default_value='false', choices=['true', 'false'],
                              description='Run the Gazebo server only, rendering the camera '
                                          'off screen (no GUI; for containers and CI machines)'),
        DeclareLaunchArgument('start_gazebo', default_value='true', choices=['true', 'false'],
                              description='Start Gazebo, the robot and the bridge '
                                          '(false: only the stack, e.g. in a second container)'),
        DeclareLaunchArgument('start_stack', default_value='true', choices=['true', 'false'],
                              description='Start the robot stack (every sim-profile node '
                                          'but the MuJoCo sim)'),
        DeclareLaunchArgument('use_sim_time', default_value='true', choices=['true', 'false'],
                              description='Use Gazebo time from /clock in every node'),
        DeclareLaunchArgument('params_file', default_value=str(profile.params_file),
                              description='Parameter YAML for the stack nodes'),
        DeclareLaunchArgument('log_level', default_value='info',
                              choices=['debug', 'info', 'warn', 'error', 'fatal'],
                              description='Log level of the stack nodes'),
    ] + coach_arguments()


def gazebo_actions():
    condition = IfCondition(LaunchConfiguration('start_gazebo'))
    gz_flags = PythonExpression(
        ["'-r -s --headless-rendering' if '", LaunchConfiguration('headless'),
         "' == 'true' else '-r'"])
    robot_description = ParameterValue(
        Command(['cat ', PathJoinSubstitution([GAZEBO_SHARE, 'berntsen.urdf'])]), value_type=str)
    spawn_pose = [arg for key, value in ROBOT_SPAWN.items() for arg in (f'-{key}', value)]
    return [
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(
                PathJoinSubstitution([FindPackageShare('ros_gz_sim'), 'launch', 'gz_sim.launch.py'])),
            launch_arguments={'gz_args': [gz_flags, ' ', LaunchConfiguration('world')],
                              'on_exit_shutdown': 'true'}.items(),
            condition=condition),
        Node(package='robot_state_publisher', executable='robot_state_publisher',
             parameters=[{'robot_description': robot_description}],
             output='screen', condition=condition),
        Node(package='ros_gz_sim', executable='create',
             arguments=['-topic', 'robot_description', '-name', 'berntsen'] + spawn_pose,
             output='screen', condition=condition),
        Node(package='ros_gz_bridge', executable='parameter_bridge',
             parameters=[{'config_file': PathJoinSubstitution([GAZEBO_SHARE, 'bridge.yaml'])}],
             output='screen', condition=condition),
    ]


def stack_nodes(profile):
    nodes = {node.name: node for node in profile.nodes if node.name not in WITHOUT}
    extra_parameters = {'coach': coach_parameters(), **GAZEBO_PARAMETERS}
    return [
        Node(
            package=nodes[name].package,
            executable=nodes[name].executable,
            name=name,
            parameters=[LaunchConfiguration('params_file'), extra_parameters.get(name, {})],
            remappings=list(nodes[name].remappings.items()),
            arguments=['--ros-args', '--log-level', LaunchConfiguration('log_level')],
            output='screen',
            emulate_tty=True,
            respawn=nodes[name].respawn,
            respawn_delay=RESPAWN_DELAY,
            condition=IfCondition(LaunchConfiguration('start_stack')),
        )
        for name in nodes
    ]


def generate_launch_description():
    profile = load_profile('sim')
    # every ROS node started after this (robot_state_publisher, the bridge, the stack) takes
    # its time from /clock when use_sim_time is true
    use_sim_time = SetParameter(
        name='use_sim_time', value=ParameterValue(LaunchConfiguration('use_sim_time'), value_type=bool))
    return LaunchDescription(
        launch_arguments(profile) + [use_sim_time] + gazebo_actions() + stack_nodes(profile))
