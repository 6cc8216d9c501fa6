"""Session recordings: MCAP as rosbag2 writes it, read back by an independent reader."""
import json
import stat

import pytest
from berntsen_interfaces.msg import SessionEvent, Skeleton2D
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from rclpy.serialization import serialize_message

from berntsen_bringup.mcap_replay import ReplayError, recorded_sets
from berntsen_bringup.recording import McapRecording, RecordingError, message_definition


def test_a_definition_carries_each_type_it_uses_once():
    text = message_definition('berntsen_interfaces/msg/Skeleton2D')
    own = text.split('=' * 80)[0]   # the message's own definition comes first
    assert 'string body_id' in own and 'Landmark3D[33] world_landmarks' in own
    for dependency in ('std_msgs/Header', 'builtin_interfaces/Time',
                       'berntsen_interfaces/Landmark2D', 'berntsen_interfaces/Landmark3D'):
        assert text.count(f'MSG: {dependency}\n') == 1
    with pytest.raises(RecordingError, match='no definition'):
        message_definition('berntsen_interfaces/msg/NoSuchThing')


def test_messages_read_back_with_the_mcap_ros2_decoder(tmp_path):
    path = tmp_path / 'rec' / 'session.mcap'
    recording = McapRecording(path)
    skeleton = Skeleton2D(body_id='abcde', image_width=640, image_height=480)
    skeleton.world_landmarks[11].x = 0.25
    recording.write('/humans/bodies/abcde/skeleton2d', 'berntsen_interfaces/msg/Skeleton2D',
                    serialize_message(skeleton), 1_000_000_000)
    recording.write('/coach/events', 'berntsen_interfaces/msg/SessionEvent',
                    serialize_message(SessionEvent(kind='set_started', detail='{}')),
                    2_000_000_000)
    recording.add_topic('/caregiver/alert', 'berntsen_interfaces/msg/CaregiverAlert')
    recording.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with open(path, 'rb') as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        assert reader.get_header().profile == 'ros2'
        decoded = [(channel.topic, msg) for _, channel, _, msg in reader.iter_decoded_messages()]
    assert decoded[0][0] == '/humans/bodies/abcde/skeleton2d'
    assert decoded[0][1].world_landmarks[11].x == pytest.approx(0.25)
    assert decoded[1][1].kind == 'set_started'
    with open(path, 'rb') as f:   # a topic without messages is listed too, as rosbag2 does
        channels = make_reader(f).get_summary().channels.values()
    assert '/caregiver/alert' in {c.topic for c in channels}


def test_an_earlier_recording_is_never_overwritten(tmp_path):
    first = McapRecording(tmp_path / 'session.mcap')
    second = McapRecording(tmp_path / 'session.mcap')
    assert second.path.name == 'session-1.mcap'
    first.close()
    second.close()


def test_replay_refuses_what_is_not_a_recording_and_a_recording_without_sets(tmp_path):
    bad = tmp_path / 'bad.mcap'
    bad.write_bytes(b'not an mcap file at all')
    with pytest.raises(ReplayError, match='not a readable MCAP'):
        recorded_sets(bad)
    with pytest.raises(ReplayError, match='cannot read'):
        recorded_sets(tmp_path / 'missing.mcap')
    empty = McapRecording(tmp_path / 'empty.mcap')
    empty.write('/coach/events', 'berntsen_interfaces/msg/SessionEvent',
                serialize_message(SessionEvent(kind='session_started',
                                               detail=json.dumps({'programme': 'example'}))), 1)
    empty.close()
    with pytest.raises(ReplayError, match='holds no set'):
        recorded_sets(empty.path)
