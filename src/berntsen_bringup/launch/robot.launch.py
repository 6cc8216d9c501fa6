"""The robot stack on hardware: camera device, motor controller, speaker.

    ros2 launch berntsen_bringup robot.launch.py camera_source:=/dev/video0
"""
from launch.actions import DeclareLaunchArgument

from berntsen_bringup.launch_builder import (coach_arguments, coach_parameters,
                                             profile_launch_description, string_argument)


def generate_launch_description():
    camera_source = DeclareLaunchArgument(
        'camera_source', default_value='/dev/video0',
        description='V4L2 device path or index of the head camera')
    return profile_launch_description(
        'robot', extra_arguments=[camera_source] + coach_arguments(),
        extra_parameters={'camera': {'source': string_argument('camera_source')},
                          'coach': coach_parameters()})
