"""The sim node in its own process: camera frames arrive, wheels move the robot, the
virtual patient stands up when the robot says so (speech/status), and bad input does not
crash it."""
import json
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]

CONFIG = Path(__file__).resolve().parents[1] / 'config' / 'sim.yaml'


class Probe:
    """Test-side subscriber/publisher for the sim's topics."""

    def __init__(self, node):
        from berntsen_interfaces.msg import SpeechStatus
        from diagnostic_msgs.msg import DiagnosticArray
        from nav_msgs.msg import Odometry
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Image, JointState
        from std_msgs.msg import Float64MultiArray, String

        reliable = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.lock = threading.Lock()
        self.images, self.infos, self.wheels, self.odoms = [], [], [], []
        self.postures, self.reps, self.diagnostics = [], [], []
        node.create_subscription(Image, 'camera/image_raw', self._keep(self.images), reliable)
        node.create_subscription(CameraInfo, 'camera/camera_info', self._keep(self.infos), reliable)
        node.create_subscription(JointState, 'sim/wheel_states', self._keep(self.wheels), 10)
        node.create_subscription(Odometry, 'sim/truth/odom', self._keep(self.odoms), 10)
        node.create_subscription(String, 'sim/truth/posture', self._keep(self.postures), latched)
        node.create_subscription(String, 'sim/truth/repetition', self._keep(self.reps), 50)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._keep(self.diagnostics), 10)
        self.command_pub = node.create_publisher(Float64MultiArray, 'sim/wheel_commands', 10)
        self.speech_pub = node.create_publisher(SpeechStatus, 'speech/status', latched)
        self.msgs = dict(Float64MultiArray=Float64MultiArray, SpeechStatus=SpeechStatus)

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

    def say(self, text, seconds=1.0):
        """The robot says `text` (in Norwegian) for `seconds`, then falls quiet."""
        status = self.msgs['SpeechStatus']
        self.speech_pub.publish(status(speaking=True, text=text, language='nb'))
        time.sleep(seconds)
        self.speech_pub.publish(status(speaking=False, text='', language='nb'))


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')


def test_sim_node_camera_wheels_and_patient(ros_nodes, rclpy_node):
    from berntsen_bringup.processes import NodeProcessSpec
    from berntsen_coach.exercises import load_exercises
    from berntsen_coach.paths import package_config
    from berntsen_coach.phrases import Phrases

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

    def sim_status():
        last = probe.latest(probe.diagnostics)
        return last is not None and last.status[0].name == 'sim: simulation' and \
            int({kv.key: kv.value for kv in last.status[0].values}['frames_published']) > 0
    wait_for(sim_status, 10.0, 'the simulation\'s diagnostics counting published frames')
    assert probe.latest(probe.diagnostics).status[0].message.startswith('sim time ')

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

    # the robot asks the patient to stand up
    nb = Phrases('nb')
    wait_for(lambda: probe.speech_pub.get_subscription_count() > 0, 10.0, 'speech listener')
    probe.say(nb.greeting('Kari'))
    probe.say(nb.text('stand_up'))
    wait_for(lambda: probe.latest(probe.postures).data == 'standing', 20.0, 'patient standing')

    # ... and then to do two arm raises; the truth tells each when the arms are down again
    assert not probe.reps
    probe.say(nb.format_intro(load_exercises(package_config() / 'exercises.yaml')
                              ['arm_raise'].intro['nb'], 2), 3.0)
    wait_for(lambda: len(probe.reps) == 2, 30.0, 'two completed repetitions')
    reps = [json.loads(m.data) for m in probe.reps]
    assert [(r['motion'], r['counted']) for r in reps] == [('arm_raise', True)] * 2
    assert reps[0]['end'] < reps[1]['start'] and reps[0]['duration'] > 1.0
    assert sim.poll() is None, 'the sim node exited'


@pytest.mark.parametrize('params, named', [
    ({'camera_fps': 100}, 'camera_fps'),
    ({'real_time_factor': 20.0}, 'real_time_factor'),
    ({'scenario': 'no_such_scenario'}, 'unknown scenario'),
    ({'robot_x': 0.0, 'robot_y': -0.6}, 'overlaps bed_'),
])
def test_sim_node_rejects_bad_parameters(ros_nodes, params, named):
    from berntsen_bringup.processes import NodeProcessSpec

    sim = ros_nodes(NodeProcessSpec(module='berntsen_sim.sim_node', name='sim', params=params))
    sim.popen.wait(timeout=30)
    assert sim.popen.returncode != 0
    assert named in sim.log_path.read_text()


def stamp_seconds(stamp):
    return stamp.sec + stamp.nanosec * 1e-9


def test_sim_node_clock_sim_time_stamps_and_scenario_truth(ros_nodes, rclpy_node):
    """/clock runs at real_time_factor x the wall clock, stamps are simulated time, and the
    scenario's robot start shows in the truth topics."""
    from berntsen_bringup.processes import NodeProcessSpec
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from rosgraph_msgs.msg import Clock
    from sensor_msgs.msg import Image
    from std_msgs.msg import Float64, String

    from berntsen_sim.scenario import load_scenario
    from berntsen_sim.world import BedroomWorld

    world = BedroomWorld()
    load_scenario('approach', world)
    expected_distance, expected_clearance = world.patient_distance(), world.clearance().distance

    lock = threading.Lock()
    clocks, images, distances, clearances, contacts = [], [], [], [], []

    def keep(store, value):
        def callback(msg):
            with lock:
                store.append(value(msg))
        return callback

    # /clock as rclpy's TimeSource subscribes to it: best effort, depth 1
    rclpy_node.create_subscription(
        Clock, '/clock', keep(clocks, lambda m: (time.monotonic(), stamp_seconds(m.clock))),
        QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT))
    rclpy_node.create_subscription(
        Image, 'camera/image_raw',
        keep(images, lambda m: (stamp_seconds(m.header.stamp), clocks[-1][1] if clocks else None)),
        QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE))
    rclpy_node.create_subscription(Float64, 'sim/truth/patient_distance',
                                   keep(distances, lambda m: m.data), 10)
    rclpy_node.create_subscription(Float64, 'sim/truth/clearance',
                                   keep(clearances, lambda m: m.data), 10)
    rclpy_node.create_subscription(
        String, 'sim/truth/contact', keep(contacts, lambda m: m.data),
        QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                   durability=DurabilityPolicy.TRANSIENT_LOCAL))

    ros_nodes(NodeProcessSpec(module='berntsen_sim.sim_node', name='sim', params_files=[CONFIG],
                              params={'image_width': 160, 'image_height': 120, 'camera_fps': 5,
                                      'real_time_factor': 2.0, 'scenario': 'approach'}))
    wait_for(lambda: len(images) >= 2 and len(clocks) >= 10, 40.0, 'clock and images')
    time.sleep(0.5)
    with lock:
        wall0, sim0 = clocks[-1]
    time.sleep(3.0)
    with lock:
        wall1, sim1 = clocks[-1]
        frames = list(images)
    # Asked for twice real time: faster than real time, and never faster than asked, even
    # on a loaded machine (a shared CI runner once fell behind; timing is bench/'s business).
    assert 1.2 <= (sim1 - sim0) / (wall1 - wall0) <= 2.4
    # camera stamps are simulated time: 5 fps of it, and near the /clock of their arrival
    stamps = [stamp for stamp, _ in frames]
    assert stamps == sorted(stamps) and stamps[-1] <= sim1 + 0.5
    assert all(clock is not None and abs(stamp - clock) < 1.0 for stamp, clock in frames[1:])
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert gaps and min(gaps) > 0.0
    assert sorted(gaps)[len(gaps) // 2] == pytest.approx(0.2, abs=0.05)

    wait_for(lambda: distances and clearances and contacts, 10.0, 'truth topics')
    assert distances[-1] == pytest.approx(expected_distance, abs=0.01)
    assert clearances[-1] == pytest.approx(expected_clearance, abs=0.01)
    assert contacts[-1] == ''


def test_sim_node_reports_touching_the_bed(ros_nodes, rclpy_node):
    from berntsen_bringup.processes import NodeProcessSpec
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from std_msgs.msg import Float64, Float64MultiArray, String

    contacts, clearances = [], []
    rclpy_node.create_subscription(
        String, 'sim/truth/contact', lambda m: contacts.append(m.data),
        QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                   durability=DurabilityPolicy.TRANSIENT_LOCAL))
    rclpy_node.create_subscription(Float64, 'sim/truth/clearance',
                                   lambda m: clearances.append(m.data), 10)
    command = rclpy_node.create_publisher(Float64MultiArray, 'sim/wheel_commands', 1)
    # 20 cm in front of the bed frame, beside the patient's legs, facing the bed
    sim = ros_nodes(NodeProcessSpec(
        module='berntsen_sim.sim_node', name='sim', params_files=[CONFIG],
        params={'image_width': 160, 'image_height': 120, 'camera_fps': 5,
                'robot_x': 0.52, 'robot_y': -0.7, 'robot_yaw_deg': 180.0}))
    wait_for(lambda: contacts and clearances, 40.0, 'truth topics')
    assert contacts[-1] == '' and clearances[-1] == pytest.approx(0.2, abs=0.01)

    def drive():
        command.publish(Float64MultiArray(data=[3.0, 3.0]))
        return contacts[-1] != ''

    wait_for(drive, 20.0, 'the robot to touch the bed')
    command.publish(Float64MultiArray(data=[0.0, 0.0]))
    assert contacts[-1] == 'bed_frame'
    assert 'touches bed_frame' in sim.log_path.read_text()
