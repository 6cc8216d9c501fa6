"""The coach node's parameters: declared with descriptions and ranges, read once."""
from __future__ import annotations

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node

from .node_params import declare_read_only, ranged
from .phrases import LANGUAGES

DEFAULT_APPROACH_DISTANCE = 2.2   # m; the approach_distance parameter's default


def declare_coach_parameters(node: Node) -> dict:
    """Declare the coach's parameters (read-only: read once at start) and return their values."""
    seconds, metres = ranged('s'), ranged('m')

    specs = {
        'programme_file': ('example', ParameterDescriptor(
            description='Programme YAML: a path, or the name of one in this package\'s '
                        'config/programmes/ (e.g. example, sim_morning)')),
        'language': ('', ParameterDescriptor(
            description=f'Language instead of the programme\'s: {", ".join(LANGUAGES)} '
                        '(empty: the programme\'s; unknown: the programme\'s, with a warning)')),
        'exercises_file': ('', ParameterDescriptor(
            description='Exercise definitions YAML (empty: this package\'s config/exercises.yaml)')),
        'db_path': ('', ParameterDescriptor(
            description='Session log (SQLite); empty: ~/.local/share/berntsen/sessions.sqlite3')),
        'skeleton_topic': ('skeleton2d_smoothed', ParameterDescriptor(
            description='Per-body landmarks to count on: skeleton2d_smoothed or skeleton2d')),
        'log_utterances': (False, ParameterDescriptor(
            description='Write what the robot says into this node\'s log (it may name the '
                        'patient; for debugging only)')),
        'autostart': (True, ParameterDescriptor(
            description='Start a session with programme_file after start_delay; false: wait '
                        'for a start_session request')),
        'exit_when_done': (False, ParameterDescriptor(
            description='Shut down (exit code 0) once the routine has ended and its last '
                        'phrase has been spoken')),
        'start_delay': seconds('Wait before the session starts', 2.0, 0, 600),
        'reprompt_after': seconds('Wait after a prompt before asking again', 15.0, 1, 600),
        'patience': seconds('Wait after a step\'s first prompt before calling a caregiver '
                            '(at least reprompt_after)', 90.0, 1, 3600),
        'set_patience': seconds('Wait for a repetition before a set ends incomplete',
                                60.0, 1, 3600),
        'perception_timeout': seconds('No /humans/bodies/tracked at all (the camera or the pose '
                                      'node is down, not the person out of view) for this '
                                      'long: tell her and wait', 3.0, 0.5, 60),
        'perception_alert_after': seconds('Seeing nothing at all for this long during a '
                                          'session: alert a caregiver (the robot is blind)',
                                          60.0, 1, 3600),
        'speech_alert_after': seconds('No speech server for this long during a session: alert a '
                                      'caregiver (the robot cannot talk to her)', 30.0, 1, 600),
        'speech_timeout': seconds('Wait at most this long for a phrase\'s result (less for a short '
                                  'one) before carrying on without it, '
                                  'so a dead speech node cannot stall the routine', 30.0, 1, 600),
        'approach': (False, ParameterDescriptor(
            description='Start each session by driving up to the person through the '
                        '"approach" action (the approach node); false: greet from where '
                        'the robot stands')),
        'approach_distance': metres('Ask the approach to stop this far from the person '
                                    '(horizontally, base centre to pelvis)',
                                    DEFAULT_APPROACH_DISTANCE, 1.0, 4.0),
        'approach_server_wait': seconds('Greet from where the robot stands when the '
                                        '"approach" action server has been unavailable, '
                                        'or silent during a goal (no feedback), this long',
                                        30.0, 1, 600),
    }
    values = declare_read_only(node, specs)
    if values['patience'] < values['reprompt_after']:
        raise ValueError(f"parameter patience ({values['patience']}) must be at least "
                         f"reprompt_after ({values['reprompt_after']})")
    return values
