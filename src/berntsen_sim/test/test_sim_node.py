"""The sim node in its own process: camera frames arrive, wheels move the robot, the
virtual patient stands up when the coach says so, and bad input does not crash it."""
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]

CONFIG = Path(__file__).resolve().parents[1] / 'config' / 'sim.yaml'


class Probe:
    """Test-side subscriber/publisher for the sim's topics."""

    def __init__(self, node):
        from berntsen_interfaces.msg import CoachState
        from nav_msgs.msg import Odometry
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Image, JointState
        from std_msgs.msg import Float64MultiArray, String, UInt32

        reliable = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.lock = threading.Lock()
        self.images, self.infos, self.wheels, self.odoms = [], [], [], []
        self.postures, self.reps = [], []
        node.create_subscription(Image, 'camera/image_raw', self._keep(self.images), reliable)
        node.create_subscription(CameraInfo, 'camera/camera_info', self._keep(self.infos), reliable)
        node.create_subscription(JointState, 'sim/wheel_states', self._keep(self.wheels), 10)
        node.create_subscription(Odometry, 'sim/truth/odom', self._keep(self.odoms), 10)
        node.create_subscription(String, 'sim/truth/posture', self._keep(self.postures), latched)
        node.create_subscription(UInt32, 'sim/truth/repetitions', self._keep(self.reps), latched)
        self.command_pub = node.create_publisher(Float64MultiArray, 'sim/wheel_commands', 10)
        self.coach_pub = node.create_publisher(CoachState, 'coach/state', latched)
        self.msgs = dict(Float64MultiArray=Float64MultiArray, CoachState=CoachState)

    def _keep(self, store):
        def callback(msg):
            with self.lock:
                store.append(msg)
        return callback

    def latest(self, store):
        with self.lock:
            return store[-1] if store else None

    def command(self, left, right):
        self.command_pub.publish(self.msgs['Float64MultiArray'](data=[left, right]))

    def coach(self, step, exercise='', target=0):
        self.coach_pub.publish(self.msgs['CoachState'](
            routine='morning', step=step, exercise=exercise, target=target))


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')


def test_sim_node_camera_wheels_and_patient(ros_nodes, rclpy_node):
    from berntsen_bringup.processes import NodeProcessSpec

    probe = Probe(rclpy_node)
    sim = ros_nodes(NodeProcessSpec(module='berntsen_sim.sim_node', name='sim',
                                    params_files=[CONFIG], params={'image_width': 320,
                                                                   'image_height': 240}))

    wait_for(lambda: len(probe.images) >= 5, 40.0, 'camera images')
    image, info = probe.latest(probe.images), probe.latest(probe.infos)
    assert (image.width, image.height, image.encoding) == (320, 240, 'rgb8')
    assert image.step == 320 * 3 and len(image.data) == 320 * 240 * 3
    assert image.header.frame_id == 'camera_optical_frame'
    assert info is not None and (info.width, info.height) == (320, 240)
    assert info.k[0] > 0 and info.k[2] == pytest.approx(159.5)

    wait_for(lambda: probe.latest(probe.postures) is not None, 10.0, 'truth posture')
    assert probe.latest(probe.postures).data == 'sitting'
    wait_for(lambda: probe.latest(probe.odoms) is not None, 10.0, 'truth odometry')
    wait_for(lambda: probe.latest(probe.wheels) is not None, 10.0, 'wheel states')
    assert list(probe.latest(probe.wheels).name) == ['left_wheel', 'right_wheel']

    # bad commands are ignored (warned about), then a good one drives the robot forward
    wait_for(lambda: probe.command_pub.get_subscription_count() > 0, 10.0, 'command subscriber')
    probe.command(float('nan'), 1.0)
    wait_for(lambda: 'ignoring sim/wheel_commands' in sim.log_path.read_text(), 10.0,
             'a warning about the bad command')
    x0 = probe.latest(probe.odoms).pose.pose.position.x

    def drive_and_check():
        probe.command(4.0, 4.0)
        return probe.latest(probe.odoms).pose.pose.position.x > x0 + 0.1

    wait_for(drive_and_check, 15.0, 'the robot to move forward')
    assert abs(probe.latest(probe.odoms).pose.pose.position.y) < 0.05
    probe.command(0.0, 0.0)

    # the coach asks the patient to stand up
    probe.coach('greet')
    probe.coach('stand_up')
    wait_for(lambda: probe.latest(probe.postures).data == 'standing', 20.0, 'patient standing')

    # ... and then to do two arm raises; the truth counts each when the arms are down again
    assert probe.latest(probe.reps).data == 0
    probe.coach('exercise', 'arm_raise', 2)
    wait_for(lambda: probe.latest(probe.reps).data == 2, 30.0, 'two completed repetitions')
    assert [m.data for m in probe.reps] == [0, 1, 2]
    assert sim.poll() is None, 'the sim node exited'


def test_sim_node_rejects_out_of_range_parameters(ros_nodes):
    from berntsen_bringup.processes import NodeProcessSpec

    sim = ros_nodes(NodeProcessSpec(module='berntsen_sim.sim_node', name='sim',
                                    params={'camera_fps': 100}))
    sim.popen.wait(timeout=30)
    assert sim.popen.returncode != 0
    assert 'camera_fps' in sim.log_path.read_text()
