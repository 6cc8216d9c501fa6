"""Perception and coaching on a recorded video; no motors.

    ros2 launch berntsen_bringup replay.launch.py video:=/path/to/session.mp4
"""
from launch.actions import DeclareLaunchArgument

from berntsen_bringup.launch_builder import (coach_arguments, coach_parameters,
                                             profile_launch_description, string_argument)


def generate_launch_description():
    video = DeclareLaunchArgument('video', description='Video file or image folder to replay')
    return profile_launch_description(
        'replay', extra_arguments=[video] + coach_arguments(),
        extra_parameters={'camera': {'source': string_argument('video')},
                          'coach': coach_parameters()})
