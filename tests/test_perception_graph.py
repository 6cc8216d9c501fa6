"""Sim and pose nodes in their own processes over DDS: the pose node publishes landmarks
for the rendered patient, and her posture reads standing once she has stood up (asked to
by the robot's words on speech/status)."""
import threading
import time

import pytest

from berntsen_bringup.processes import NodeProcessSpec

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_rendered_patient_gets_landmarks_and_standing_posture(ros_nodes, rclpy_node):
    from berntsen_coach.phrases import Phrases
    from berntsen_interfaces.msg import BodyPosture, IdsList, Skeleton2D, SpeechStatus
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from std_msgs.msg import String

    lock = threading.Lock()
    tracked, skeletons, postures, truth = [], [], [], []
    subscribed = {}

    def keep(store):
        def callback(msg):
            with lock:
                store.append(msg)
        return callback

    def on_tracked(msg):
        with lock:
            tracked.append(msg)
        for body_id in msg.ids:
            if body_id not in subscribed:
                subscribed[body_id] = (
                    rclpy_node.create_subscription(
                        Skeleton2D, f'/humans/bodies/{body_id}/skeleton2d', keep(skeletons), 10),
                    rclpy_node.create_subscription(
                        BodyPosture, f'/humans/bodies/{body_id}/posture', keep(postures), 10))

    latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
    rclpy_node.create_subscription(IdsList, '/humans/bodies/tracked', on_tracked, 10)
    rclpy_node.create_subscription(String, 'sim/truth/posture', keep(truth), latched)
    speech = rclpy_node.create_publisher(SpeechStatus, 'speech/status', latched)

    ros_nodes(NodeProcessSpec(module='berntsen_sim.sim_node', name='sim'))
    ros_nodes(NodeProcessSpec(module='berntsen_vision.pose_node', name='pose'))

    assert wait_for(lambda: len(skeletons) >= 10, 60), 'no landmarks for the rendered patient'
    with lock:
        skeleton = skeletons[-1]
    assert len(skeleton.landmarks) == 33
    assert (skeleton.image_width, skeleton.image_height) == (640, 480)
    nose, hip = skeleton.landmarks[0], skeleton.landmarks[23]
    assert nose.visibility > 0.5 and nose.y < hip.y, 'the head is above the hips'
    assert wait_for(lambda: postures and postures[-1].posture == BodyPosture.SITTING, 20), \
        'the patient sitting on the bed edge reads sitting'

    # the robot asks her to stand up (the virtual patient hears speech/status)
    assert wait_for(lambda: speech.get_subscription_count() > 0, 10)
    speech.publish(SpeechStatus(speaking=True, text=Phrases('nb').text('stand_up'), language='nb'))
    time.sleep(1.0)
    speech.publish(SpeechStatus(speaking=False, text='', language='nb'))
    assert wait_for(lambda: truth and truth[-1].data == 'standing', 20)
    assert wait_for(lambda: postures[-1].posture == BodyPosture.STANDING, 10), \
        f'posture after standing up: {postures[-1].posture}'
