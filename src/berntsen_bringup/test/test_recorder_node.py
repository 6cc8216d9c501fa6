"""The recorder node over DDS: what it records, what it leaves out, and its file."""
import json
import time

import pytest
from berntsen_interfaces.msg import SessionEvent, SpeechStatus
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

from berntsen_bringup.processes import NodeProcessSpec, stop_all

pytestmark = [pytest.mark.slow, pytest.mark.ros]

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)


def record(ros_nodes, rclpy_node, path, **params):
    """Publish events, a phrase naming the patient (Kari, as in the example programme) and
    camera images; return what the recorder wrote: {topic: [decoded messages]}."""
    events = rclpy_node.create_publisher(SessionEvent, 'coach/events', RELIABLE)
    speech = rclpy_node.create_publisher(SpeechStatus, 'speech/status', LATCHED)
    images = rclpy_node.create_publisher(Image, 'camera/image_raw', RELIABLE)
    recorder = ros_nodes(NodeProcessSpec(module='berntsen_bringup.recorder_node', name='recorder',
                                         params={'path': str(path), **params}))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and rclpy_node.count_subscribers('coach/events') == 0:
        time.sleep(0.1)
    time.sleep(1.5)   # the recorder finds topics once a second
    speech.publish(SpeechStatus(speaking=True, text='God morgen, Kari!', language='nb'))
    for _ in range(3):
        events.publish(SessionEvent(session_id='1', kind='set_started', detail=json.dumps({})))
        images.publish(Image(height=2, width=2, encoding='rgb8', step=6, data=bytes(12)))
        time.sleep(0.3)
    time.sleep(1.0)
    stop_all([recorder])
    written = {}
    with open(path, 'rb') as f:
        for _, channel, _, msg in make_reader(
                f, decoder_factories=[DecoderFactory()]).iter_decoded_messages():
            written.setdefault(channel.topic, []).append(msg)
    return written


def test_records_events_and_speech_without_the_name_and_no_image(ros_nodes, rclpy_node,
                                                                 tmp_path):
    written = record(ros_nodes, rclpy_node, tmp_path / 'session.mcap',
                     programme_file='example')
    assert len(written['/coach/events']) == 3
    assert [m.text for m in written['/speech/status']] == ['God morgen, [name]!']
    assert '/camera/image_raw' not in written


def test_images_only_when_asked_and_nothing_said_without_a_programme(ros_nodes, rclpy_node,
                                                                      tmp_path):
    written = record(ros_nodes, rclpy_node, tmp_path / 'session.mcap', record_images=True)
    assert len(written['/camera/image_raw']) == 3
    assert '/speech/status' not in written, 'without the name to redact, nothing said is kept'
