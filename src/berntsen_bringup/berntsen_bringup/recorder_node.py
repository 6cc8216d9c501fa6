"""Recorder node: the session's topics to an MCAP file (recording.py), for `berntsen replay`
and for Foxglove.

Records, as they appear in the graph (checked once a second, like `ros2 bag record -e`):
REP 155 bodies (`/humans/bodies/tracked`, each body's skeleton2d, skeleton2d_smoothed with
2D and 3D landmarks, posture), `coach/state`, `coach/events`, `coach/tree`,
`speech/status` (what was said), `caregiver/alert`, `odom`, `person_distance`,
`camera/camera_info` and `/diagnostics`; `camera/image_raw` only with `record_images`
(never on by default: the robot profile leaves it off). Each subscription takes the QoS of
the topic's publishers (reliable and transient-local only when all of them are), as rosbag2
does. Times are the node's clock (the simulator's with use_sim_time).

Privacy: the patient's name (from `programme_file`, the coach's programme) is replaced by
"[name]" in what was said before it is written; without a programme nothing said is
recorded. The file is the owner's only (0600).
"""
from __future__ import annotations

import re
import signal
import sys
import time
from pathlib import Path

import rclpy
from berntsen_coach.exercises import load_exercises
from berntsen_coach.node_params import declare_read_only, described
from berntsen_coach.paths import package_config, resolve_programme
from berntsen_coach.programme import load_programme
from berntsen_coach.session_log import name_pattern, redact_names
from berntsen_interfaces.msg import SpeechStatus
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message

from .recording import McapRecording, RecordingError, message_class

RECORDED = (r'/humans/bodies/tracked',
            r'/humans/bodies/[^/]+/(skeleton2d|skeleton2d_smoothed|posture)',
            r'/coach/(state|events|tree)', r'/speech/status', r'/caregiver/alert', r'/odom',
            r'/person_distance', r'/camera/camera_info', r'/diagnostics')
IMAGES = (r'/camera/image_raw',)
SPEECH = '/speech/status'
DISCOVERY_PERIOD = 1.0        # s
DIAGNOSTICS_PERIOD = 1.0      # s


class RecorderNode(Node):
    def __init__(self):
        super().__init__('recorder')
        self.params = p = declare_read_only(self, {
            'path': described('~/.local/state/berntsen/recordings/',
                              'MCAP file to write, or a folder (ending in /) for one file '
                              'per start named by the time; created 0700, never overwritten'),
            'record_images': described(False, 'Also record camera/image_raw (pictures of the '
                                              'person: off unless a developer needs them)'),
            'programme_file': described('', 'The coach\'s programme: its patient name is '
                                            'redacted from what was said'),
        })
        if not p['path']:
            raise ValueError('parameter path is empty: say where to write the recording')
        path = Path(p['path']).expanduser()
        if p['path'].endswith('/') or path.is_dir():
            path = path / time.strftime('%Y%m%d-%H%M%S.mcap')
        self._names = self._patient_names(p['programme_file'])
        patterns = RECORDED + (IMAGES if p['record_images'] else ())
        self._wanted = re.compile('|'.join(f'(?:{pattern})' for pattern in patterns))
        self.recording = McapRecording(path)
        self._recorded: dict[str, object] = {}   # topic -> its subscription (None: skipped)
        self._diagnostics = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_timer(DISCOVERY_PERIOD, self._discover)
        self.create_timer(DIAGNOSTICS_PERIOD, self._publish_diagnostics)
        self._discover()
        self.get_logger().info(f'recording to {self.recording.path}'
                               + (' (with camera images)' if p['record_images'] else ''))

    def _patient_names(self, programme_file: str):
        if not programme_file:
            self.get_logger().warning('no programme_file: what is said is not recorded (it '
                                      'may name the patient)')
            return None
        exercises = load_exercises(package_config() / 'exercises.yaml')
        programme = load_programme(resolve_programme(programme_file), exercises)
        return name_pattern([programme.patient_name])

    def _now_ns(self) -> int:
        return self.get_clock().now().nanoseconds

    def _qos(self, topic: str) -> QoSProfile:
        publishers = self.get_publishers_info_by_topic(topic)
        reliable = publishers and all(
            info.qos_profile.reliability == ReliabilityPolicy.RELIABLE for info in publishers)
        latched = publishers and all(
            info.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL for info in publishers)
        return QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE if reliable
                          else ReliabilityPolicy.BEST_EFFORT,
                          durability=DurabilityPolicy.TRANSIENT_LOCAL if latched
                          else DurabilityPolicy.VOLATILE)

    def _discover(self):
        for topic, types in self.get_topic_names_and_types():
            if topic in self._recorded or not self._wanted.fullmatch(topic) or not types:
                continue
            type_name = types[0]
            try:
                msg_class = message_class(type_name)
            except (ImportError, AttributeError):
                self.get_logger().warning(f'{topic}: unknown type {type_name}; not recorded')
                self._recorded[topic] = None
                continue
            if topic == SPEECH:
                if self._names is None:
                    self._recorded[topic] = None
                    continue
                callback = self._on_speech
            else:
                callback = (lambda data, t=topic, n=type_name: self._write(t, n, data))
            self._recorded[topic] = self.create_subscription(
                msg_class, topic, callback, self._qos(topic), raw=topic != SPEECH)
            self.recording.add_topic(topic, type_name)

    def _write(self, topic: str, type_name: str, data: bytes):
        try:
            self.recording.write(topic, type_name, data, self._now_ns())
        except (RecordingError, OSError) as exc:
            self.get_logger().error(f'cannot record {topic}: {exc}', throttle_duration_sec=10.0)

    def _on_speech(self, msg: SpeechStatus):
        msg.text = redact_names(msg.text, self._names)
        self._write(SPEECH, 'berntsen_interfaces/msg/SpeechStatus', serialize_message(msg))

    def _publish_diagnostics(self):
        status = DiagnosticStatus(level=DiagnosticStatus.OK, name=f'{self.get_name()}: recording',
                                  message=f'{self.recording.messages} messages on '
                                          f'{len(self.recording.topics)} topics')
        status.values = [KeyValue(key='path', value=str(self.recording.path)),
                         KeyValue(key='topics', value=' '.join(self.recording.topics))]
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics.publish(msg)

    def destroy_node(self):
        self.recording.close()
        self.get_logger().info(f'recorded {self.recording.messages} messages on '
                               f'{len(self.recording.topics)} topics to {self.recording.path}')
        super().destroy_node()


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = RecorderNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError, RecordingError) as exc:
        if node is not None:
            raise
        rclpy.logging.get_logger('recorder_node').fatal(f'cannot start: {exc}')
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
