"""Camera and pose nodes as separate processes over DDS."""
import math
import threading
import time

import cv2
import numpy as np
import pytest

from berntsen_bringup.processes import NodeProcessSpec
from berntsen_vision.sample_images import grace_hopper_frame

pytestmark = [pytest.mark.ros, pytest.mark.slow]

IMAGE_QOS_DEPTH = 2


def _wait_for(predicate, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message)


def _image_qos():
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=IMAGE_QOS_DEPTH,
                      reliability=ReliabilityPolicy.RELIABLE)


class Inbox:
    """Messages received by a probe subscription, thread-safe."""

    def __init__(self, node, msg_type, topic, qos=10):
        self.messages = []
        self._lock = threading.Lock()
        self.subscription = node.create_subscription(msg_type, topic, self._on_msg, qos)

    def _on_msg(self, msg):
        with self._lock:
            self.messages.append(msg)

    def __len__(self):
        with self._lock:
            return len(self.messages)

    def last(self):
        with self._lock:
            return self.messages[-1]


def _write_frames(folder, frame, count=3):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        cv2.imwrite(str(folder / f'frame_{i:03d}.png'), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))


def _camera(folder, fps=15.0, **params):
    return NodeProcessSpec(module='berntsen_vision.camera_node', name='camera',
                           params={'source': str(folder), 'fps': fps, 'retry_initial_s': 0.2,
                                   'retry_max_s': 0.5, **params})


def _pose(**params):
    return NodeProcessSpec(module='berntsen_vision.pose_node', name='pose',
                           params={'grace_period_s': 1.0, **params})


def _camera_status(diagnostics):
    return [s for d in list(diagnostics.messages) for s in d.status if s.name.endswith(': camera')]


def _values(status):
    return {kv.key: kv.value for kv in status.values}


def test_camera_node_publishes_an_image_folder(tmp_path, ros_nodes, rclpy_node):
    from sensor_msgs.msg import CameraInfo, Image
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[..., 0] = 200
    _write_frames(tmp_path / 'frames', frame)
    images = Inbox(rclpy_node, Image, 'camera/image_raw', _image_qos())
    infos = Inbox(rclpy_node, CameraInfo, 'camera/camera_info', _image_qos())
    camera = ros_nodes(_camera(tmp_path / 'frames'))
    _wait_for(lambda: len(images) >= 5 and len(infos) >= 1, 20, 'no frames from the camera node')
    image = images.last()
    assert (image.encoding, image.width, image.height, image.step) == ('rgb8', 640, 480, 640 * 3)
    assert image.header.frame_id == 'camera_optical_frame'
    pixels = np.frombuffer(image.data, np.uint8).reshape(480, 640, 3)
    assert pixels[240, 320].tolist() == [200, 0, 0]
    info = infos.last()
    assert (info.width, info.height) == (640, 480)
    assert info.k[2] == 320.0 and info.k[5] == 240.0 and info.k[0] > 0
    assert camera.poll() is None


def test_camera_waits_for_a_missing_source_and_then_streams(tmp_path, ros_nodes, rclpy_node):
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
    from sensor_msgs.msg import Image
    folder = tmp_path / 'later'
    images = Inbox(rclpy_node, Image, 'camera/image_raw', _image_qos())
    diagnostics = Inbox(rclpy_node, DiagnosticArray, '/diagnostics')
    camera = ros_nodes(_camera(folder))

    def camera_error():
        return any(s.level == DiagnosticStatus.ERROR and 'does not exist' in s.message
                   for d in list(diagnostics.messages) for s in d.status)
    _wait_for(camera_error, 20, 'no ERROR diagnostic for the missing source')
    time.sleep(1.0)
    assert camera.poll() is None and len(images) == 0
    _write_frames(folder, np.full((48, 64, 3), 80, np.uint8))
    _wait_for(lambda: len(images) >= 3, 10, 'the camera did not start streaming when the folder appeared')
    assert camera.poll() is None


def test_camera_recovers_when_its_source_vanishes_and_returns(tmp_path, ros_nodes, rclpy_node):
    import shutil
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
    from sensor_msgs.msg import Image
    folder, backup = tmp_path / 'frames', tmp_path / 'backup'
    _write_frames(folder, np.full((48, 64, 3), 80, np.uint8))
    shutil.copytree(folder, backup)
    images = Inbox(rclpy_node, Image, 'camera/image_raw', _image_qos())
    diagnostics = Inbox(rclpy_node, DiagnosticArray, '/diagnostics')
    camera = ros_nodes(_camera(folder))
    _wait_for(lambda: len(images) >= 5, 20, 'no frames from the camera node')
    _wait_for(lambda: any(s.level == DiagnosticStatus.OK and float(_values(s)['fps']) > 5.0
                          for s in _camera_status(diagnostics)), 10, 'no OK diagnostic with the frame rate')
    status = _camera_status(diagnostics)[-1]
    assert {'state', 'fps', 'frames_published', 'frames_dropped', 'last_error'} <= set(_values(status))

    shutil.rmtree(folder)  # unplugged
    _wait_for(lambda: any(s.level == DiagnosticStatus.ERROR and 'disappeared' in s.message
                          for s in _camera_status(diagnostics)), 10, 'no ERROR diagnostic for the lost source')
    time.sleep(1.5)  # retries with back-off, without frames and without crashing
    frames_while_lost = len(images)
    time.sleep(0.5)
    assert len(images) == frames_while_lost and camera.poll() is None
    assert int(_values(_camera_status(diagnostics)[-1])['open_attempts']) >= 3

    shutil.copytree(backup, folder)  # plugged in again
    _wait_for(lambda: len(images) >= frames_while_lost + 5, 10, 'the camera did not resume')
    _wait_for(lambda: _camera_status(diagnostics)[-1].level == DiagnosticStatus.OK, 5, 'diagnostics not OK again')
    assert camera.poll() is None
    assert 'retrying in' in camera.log_path.read_text()


def test_camera_republishes_a_topic_with_calibrated_camera_info(tmp_path, ros_nodes, rclpy_node):
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
    from sensor_msgs.msg import CameraInfo, Image
    from test_calibration import CALIBRATION
    calibration = tmp_path / 'head_camera.yaml'
    calibration.write_text(CALIBRATION)
    images = Inbox(rclpy_node, Image, 'camera/image_raw', _image_qos())
    infos = Inbox(rclpy_node, CameraInfo, 'camera/camera_info', _image_qos())
    diagnostics = Inbox(rclpy_node, DiagnosticArray, '/diagnostics')
    publisher = rclpy_node.create_publisher(Image, 'sim/camera/image_raw', _image_qos())
    camera = ros_nodes(NodeProcessSpec(
        module='berntsen_vision.camera_node', name='camera',
        params={'source': 'topic:sim/camera/image_raw', 'calibration_file': str(calibration),
                'topic_timeout_s': 1.0}))
    _wait_for(lambda: publisher.get_subscription_count() > 0, 30, 'the camera node did not subscribe')
    _wait_for(lambda: any(s.level == DiagnosticStatus.ERROR and 'no images on' in s.message
                          for s in _camera_status(diagnostics)), 10, 'no ERROR while the topic is silent')
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[..., 1] = 99

    def publish_and_receive():
        msg = Image()
        msg.header.stamp = rclpy_node.get_clock().now().to_msg()
        msg.header.frame_id = 'camera_optical_frame'
        msg.encoding, msg.height, msg.width, msg.step, msg.data = 'rgb8', 240, 320, 960, frame.tobytes()
        publisher.publish(msg)
        return len(images) >= 3 and len(infos) >= 3
    _wait_for(publish_and_receive, 10, 'no republished images')
    image, info = images.last(), infos.last()
    assert (image.width, image.height, image.data[1]) == (320, 240, 99)
    assert (info.width, info.height) == (320, 240)
    assert list(info.k) == [250.0, 0.0, 160.5, 0.0, 250.5, 119.5, 0.0, 0.0, 1.0]  # scaled from 640x480
    assert info.header.stamp == image.header.stamp
    _wait_for(lambda: _camera_status(diagnostics)[-1].level == DiagnosticStatus.OK, 5, 'not OK while streaming')
    assert camera.poll() is None


def test_camera_and_pose_track_a_person(tmp_path, ros_nodes, rclpy_node):
    from berntsen_interfaces.msg import BodyPosture, IdsList, Skeleton2D
    from sensor_msgs.msg import Image, RegionOfInterest
    _write_frames(tmp_path / 'grace', grace_hopper_frame())
    tracked = Inbox(rclpy_node, IdsList, '/humans/bodies/tracked')
    images = Inbox(rclpy_node, Image, 'camera/image_raw', _image_qos())
    pose = ros_nodes(_pose(publish_debug_image=True))
    debug_images = Inbox(rclpy_node, Image, 'pose/debug_image', 1)
    ros_nodes(_camera(tmp_path / 'grace'))
    _wait_for(lambda: any(m.ids for m in list(tracked.messages)), 40, 'no body on /humans/bodies/tracked')
    body_id = next(m.ids[0] for m in list(tracked.messages) if m.ids)
    skeletons = Inbox(rclpy_node, Skeleton2D, f'/humans/bodies/{body_id}/skeleton2d')
    smoothed = Inbox(rclpy_node, Skeleton2D, f'/humans/bodies/{body_id}/skeleton2d_smoothed')
    rois = Inbox(rclpy_node, RegionOfInterest, f'/humans/bodies/{body_id}/roi')
    postures = Inbox(rclpy_node, BodyPosture, f'/humans/bodies/{body_id}/posture')
    _wait_for(lambda: len(skeletons) >= 3 and len(postures) >= 1 and len(smoothed) >= 3 and len(rois) >= 1,
              20, f'no skeleton2d, skeleton2d_smoothed, roi and posture for body {body_id}')
    nose = smoothed.last().landmarks[0]
    assert abs(nose.x - skeletons.last().landmarks[0].x) < 0.02 and nose.visibility > 0.9
    roi = rois.last()
    # her face and shoulders fill the middle of the frame
    assert roi.x_offset < 320 < roi.x_offset + roi.width and roi.y_offset < 240 < roi.y_offset + roi.height
    assert 100 < roi.width <= 640 and 100 < roi.height <= 480
    _wait_for(lambda: len(debug_images) >= 1, 10, 'no pose/debug_image')
    debug = np.frombuffer(debug_images.last().data, np.uint8).reshape(480, 640, 3)
    assert (debug != grace_hopper_frame()).any(axis=2).sum() > 500  # the skeleton is drawn
    skeleton = skeletons.last()
    assert skeleton.body_id == body_id and len(skeleton.landmarks) == 33
    assert (skeleton.image_width, skeleton.image_height) == (640, 480)
    assert skeleton.landmarks[0].visibility > 0.9  # her nose
    # the 3D world landmarks of the same frame ride along: metres around her hips
    world = skeleton.world_landmarks
    assert len(world) == 33
    shoulder_width = math.dist((world[11].x, world[11].y, world[11].z),
                               (world[12].x, world[12].y, world[12].z))
    assert 0.2 < shoulder_width < 0.6 and world[0].y < world[11].y < 0.0
    assert world[0].visibility == skeleton.landmarks[0].visibility
    assert len(smoothed.last().world_landmarks) == 33
    # Skeletons carry the stamp of the image they come from. The probe may take images (large)
    # off the wire after the skeletons (small), and on a loaded machine it may miss some
    # images (keep-last 2): so some skeleton, not necessarily the last, must match one.
    def stamps_match():
        image_stamps = {(m.header.stamp.sec, m.header.stamp.nanosec) for m in list(images.messages)}
        return any((s.header.stamp.sec, s.header.stamp.nanosec) in image_stamps
                   for s in list(skeletons.messages))
    _wait_for(stamps_match, 10, 'no skeleton carries the stamp of a camera image')
    assert postures.last().body_id == body_id
    # the same person stays the same body
    assert {m.ids[0] for m in list(tracked.messages)[-5:] if m.ids} == {body_id}
    assert pose.poll() is None


def test_pose_node_survives_corrupt_images(tmp_path, ros_nodes, rclpy_node):
    from berntsen_interfaces.msg import IdsList
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
    from sensor_msgs.msg import Image
    tracked = Inbox(rclpy_node, IdsList, '/humans/bodies/tracked')
    diagnostics = Inbox(rclpy_node, DiagnosticArray, '/diagnostics')

    def values(status):
        return {kv.key: kv.value for kv in status.values}
    publisher = rclpy_node.create_publisher(Image, 'camera/image_raw', _image_qos())
    pose = ros_nodes(_pose())
    _wait_for(lambda: publisher.get_subscription_count() > 0, 30, 'the pose node did not subscribe')

    def image(encoding, width, height, step, data):
        msg = Image()
        msg.header.stamp = rclpy_node.get_clock().now().to_msg()
        msg.encoding, msg.width, msg.height, msg.step, msg.data = encoding, width, height, step, data
        return msg
    good = grace_hopper_frame()
    for bad in (image('rgb8', 640, 480, 640 * 3, b''), image('rgb8', 640, 480, 100, good.tobytes()),
                image('yuv422', 640, 480, 640 * 2, good.tobytes()[:640 * 480 * 2]),
                image('rgb8', 640, 480, 640 * 3, good.tobytes()[:1000])):
        publisher.publish(bad)
        time.sleep(0.2)  # one at a time: the node keeps only the newest image
    publisher.publish(image('rgb8', 640, 480, 640 * 3, bytes(640 * 480 * 3)))  # valid, but nobody in it

    def warns_no_person_after_four_corrupt():
        return any(s.level == DiagnosticStatus.WARN and s.message == 'no person in view'
                   and values(s)['images_corrupt'] == '4' and values(s)['images_processed'] == '1'
                   for d in list(diagnostics.messages) for s in d.status if s.name.endswith(': pose'))
    _wait_for(warns_no_person_after_four_corrupt, 10, 'pose diagnostics did not count 4 corrupt images')
    assert pose.poll() is None
    log = pose.log_path.read_text()
    # four bad images within the 5 s warning period: one warning (rate-limited), then no-person's
    assert log.count('ignoring bad image') == 1
    assert log.count('no person in the images') == 1

    def published_good_frames():
        publisher.publish(image('rgb8', 640, 480, 640 * 3, good.tobytes()))
        return any(m.ids for m in list(tracked.messages))
    _wait_for(published_good_frames, 20, 'the pose node did not process a good frame after bad ones')
    assert pose.poll() is None


def test_camera_replays_as_fast_as_read_when_realtime_is_off(tmp_path, ros_nodes, rclpy_node):
    from sensor_msgs.msg import Image
    _write_frames(tmp_path / 'frames', np.full((48, 64, 3), 80, np.uint8))
    images = Inbox(rclpy_node, Image, 'camera/image_raw', _image_qos())
    ros_nodes(_camera(tmp_path / 'frames', fps=2.0, realtime=False, width=64, height=48))
    _wait_for(lambda: len(images) >= 1, 20, 'no frames from the camera node')
    first = len(images)
    time.sleep(1.0)
    assert len(images) - first > 10  # far more than the 2 fps it would be paced at


def test_pose_node_exits_for_a_restart_when_a_camera_publisher_never_delivers(ros_nodes, rclpy_node):
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    # a best-effort publisher cannot serve the pose node's reliable subscription: the topic
    # has a publisher and no image ever arrives, as over a broken DDS link
    publisher = rclpy_node.create_publisher(
        Image, 'camera/image_raw', QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT))
    pose = ros_nodes(_pose(first_image_timeout_s=2.0))
    frame = Image(height=4, width=4, encoding='rgb8', step=12, data=bytes(48))
    deadline = time.monotonic() + 60
    while pose.poll() is None and time.monotonic() < deadline:
        publisher.publish(frame)
        time.sleep(0.1)
    assert pose.poll() == 1, 'the pose node waited for ever on a publisher that delivers nothing'
    log = pose.log_path.read_text()
    assert 'camera/image_raw has had a publisher for' in log and 'not one image' in log
    assert 'Traceback' not in log


def test_pose_node_waits_for_a_camera_that_is_not_there_yet(ros_nodes, rclpy_node):
    pose = ros_nodes(_pose(first_image_timeout_s=1.0))
    _wait_for(lambda: rclpy_node.count_subscribers('camera/image_raw') > 0, 30,
              'the pose node did not subscribe')
    time.sleep(3.0)
    assert pose.poll() is None, 'no publisher at all: the camera may come later; nothing to restart'
