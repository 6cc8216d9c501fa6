"""The approach node in its own process, driven by a test-side action client and a fake pose
node: it drives up to a synthetic person whose distance shrinks as the commanded speed says,
gives up with a reason, obeys cancel and e-stop, stands still on bad input, publishes
person_distance and diagnostics. Its commands go to approach/cmd_vel, never cmd_vel."""
import math
import threading
import time

import pytest

from test_approach import CAMERA, person

pytestmark = [pytest.mark.ros, pytest.mark.slow]

BODY_ID = 'patient1'
TOLERANCE = 0.05     # ApproachSettings default


class World:
    """The test's side of the approach node: what it sees (camera_info, skeletons, odometry,
    e-stop) and what it does (commands, person_distance, diagnostics), plus an action client."""

    def __init__(self, node):
        from berntsen_interfaces.action import Approach
        from berntsen_interfaces.msg import IdsList, Skeleton2D
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import Twist
        from nav_msgs.msg import Odometry
        from rclpy.action import ActionClient
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Range
        from std_msgs.msg import Bool

        self.node = node
        self.lock = threading.Lock()
        self.commands: list[tuple[float, float, float]] = []   # (monotonic, linear, angular)
        self.cmd_vel: list = []                                # anything on plain cmd_vel
        self.ranges: list = []
        self.diagnostics: list = []
        self.feedback: list = []
        reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        node.create_subscription(Twist, 'approach/cmd_vel', self._on_command, reliable)
        node.create_subscription(Twist, 'cmd_vel', lambda m: self._add(self.cmd_vel, m), reliable)
        node.create_subscription(Range, 'person_distance', lambda m: self._add(self.ranges, m),
                                 reliable)
        node.create_subscription(DiagnosticArray, '/diagnostics',
                                 lambda m: self._add(self.diagnostics, m), reliable)
        self.info_pub = node.create_publisher(CameraInfo, 'camera/camera_info', 2)
        self.tracked_pub = node.create_publisher(IdsList, '/humans/bodies/tracked', 10)
        self.skeleton_pub = node.create_publisher(
            Skeleton2D, f'/humans/bodies/{BODY_ID}/skeleton2d', 10)
        self.odom_pub = node.create_publisher(Odometry, 'odom', 10)
        # the motor node's e-stop publishers may keep history: the approach node must hear both
        self.e_stop_pub = node.create_publisher(Bool, 'e_stop', QoSProfile(
            depth=1, reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL))
        self.client = ActionClient(node, Approach, 'approach')
        self.Approach, self.Skeleton2D, self.IdsList = Approach, Skeleton2D, IdsList
        self.Odometry, self.Bool = Odometry, Bool
        self.info = CameraInfo(width=CAMERA.width, height=CAMERA.height)
        self.info.k = [CAMERA.fx, 0.0, CAMERA.cx, 0.0, CAMERA.fy, CAMERA.cy, 0.0, 0.0, 1.0]

    def _add(self, into, msg):
        with self.lock:
            into.append((time.monotonic(), msg))

    def _on_command(self, msg):
        with self.lock:
            self.commands.append((time.monotonic(), msg.linear.x, msg.angular.z))

    def commands_since(self, t):
        with self.lock:
            return [c for c in self.commands if c[0] >= t]

    def last_command(self):
        with self.lock:
            return self.commands[-1][1:] if self.commands else (0.0, 0.0)

    def see(self, distance, bearing=0.0, landmarks=None):
        """One camera frame: camera_info and the person's skeleton; returns its stamp."""
        stamp = self.node.get_clock().now().to_msg()
        self.info_pub.publish(self.info)
        self.tracked_pub.publish(self.IdsList(ids=[BODY_ID]))
        msg = self.Skeleton2D(body_id=BODY_ID, image_width=CAMERA.width,
                              image_height=CAMERA.height)
        msg.header.stamp = stamp
        for lm, (x, y, v) in zip(msg.landmarks, landmarks or person(distance, bearing)):
            lm.x, lm.y, lm.visibility = x, y, v
        self.skeleton_pub.publish(msg)
        return stamp

    def odom(self, x, y=0.0):
        msg = self.Odometry()
        msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
        self.odom_pub.publish(msg)

    def send(self, stop_distance):
        """Send a goal; returns its handle once accepted."""
        assert self.client.wait_for_server(timeout_sec=20), 'the approach action server'
        future = self.client.send_goal_async(
            self.Approach.Goal(stop_distance=stop_distance),
            feedback_callback=lambda m: self._add(self.feedback, m.feedback))
        wait_for(future.done, 10, 'the goal response')
        handle = future.result()
        assert handle.accepted
        handle.result_future = handle.get_result_async()
        return handle

    def statuses(self, name='approach: approach action'):
        with self.lock:
            return [s for _, m in self.diagnostics for s in m.status if s.name == name]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')


def _approach_node(**params):
    from berntsen_bringup.processes import NodeProcessSpec
    return NodeProcessSpec(module='berntsen_coach.approach_node', name='approach',
                           params={'skeleton_topic': 'skeleton2d', **params})


@pytest.fixture
def world(rclpy_node):
    w = World(rclpy_node)
    yield w
    w.client.destroy()


def test_drives_up_to_the_person_stops_at_the_goal_and_reports_arrival(ros_nodes, world):
    from action_msgs.msg import GoalStatus

    node = ros_nodes(_approach_node(max_speed=0.4))
    handle = world.send(2.2)
    # Closed loop: the person comes nearer as fast as the node commands.
    distance, bearing = 3.2, math.radians(20)
    reached_at = None
    stamps = []
    last = time.monotonic()
    deadline = last + 40
    while time.monotonic() < deadline and not handle.result_future.done():
        now = time.monotonic()
        dt, last = now - last, now
        linear, angular = world.last_command()
        distance -= linear * dt
        bearing -= angular * dt
        if reached_at is None and distance <= 2.2 + TOLERANCE:
            reached_at = now
        stamps.append(world.see(distance, bearing))
        time.sleep(0.05)
    assert handle.result_future.done(), 'the goal did not end'
    response = handle.result_future.result()
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    assert response.result.arrived and response.result.reason == ''
    assert 2.2 - 0.01 <= response.result.distance <= 2.2 + TOLERANCE + 0.05
    assert 2.2 - 0.01 <= distance <= 2.2 + TOLERANCE

    commands = world.commands_since(0.0)
    turning = [c for c in commands if c[2] > 0.1]
    assert turning and turning[0][1] == 0.0, 'turned towards her before driving'
    assert max(c[1] for c in commands) == pytest.approx(0.4), 'drove at max_speed'
    assert all(c[1] == 0.0 for c in world.commands_since(reached_at + 0.3))
    time.sleep(0.5)
    assert world.last_command() == (0.0, 0.0), 'a zero Twist ends the goal'
    with world.lock:
        assert not world.cmd_vel, 'nothing on cmd_vel: the base guard picks approach/cmd_vel'
        statuses = {f.status for _, f in world.feedback}
        ranges = [m for _, m in world.ranges]
    assert {'turning', 'driving'} <= statuses
    # person_distance: one Range per usable skeleton, in base_link, stamped like it
    assert len(ranges) >= len(stamps) // 2
    sent = {(s.sec, s.nanosec) for s in stamps}
    assert all((r.header.stamp.sec, r.header.stamp.nanosec) in sent for r in ranges)
    assert all(r.header.frame_id == 'base_link' for r in ranges)
    assert ranges[0].range == pytest.approx(3.2, abs=0.1)
    assert ranges[0].min_range < 1.0 < ranges[0].max_range
    assert ranges[0].field_of_view == pytest.approx(CAMERA.horizontal_fov, rel=1e-3)
    assert 'approach goal arrived' in node.log_path.read_text()


def test_gives_up_with_a_reason_and_refuses_a_bad_goal(ros_nodes, world):
    from action_msgs.msg import GoalStatus

    ros_nodes(_approach_node(max_travel=0.5))
    handle = world.send(0.3)
    wait_for(handle.result_future.done, 10, 'the refusal')
    response = handle.result_future.result()
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.reason == 'goal refused: stop distance must be >= 1, got 0.3'
    assert not response.result.arrived and math.isnan(response.result.distance)

    handle = world.send(2.2)
    x = 0.0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not handle.result_future.done():
        world.see(3.5)
        world.odom(x)   # the wheels turn but the person comes no nearer (slipping, blocked)
        x += 0.02
        time.sleep(0.05)
    response = handle.result_future.result()
    assert response.status == GoalStatus.STATUS_ABORTED
    assert 'without arriving (max_travel 0.5 m)' in response.result.reason
    assert response.result.distance == pytest.approx(3.5, abs=0.1)
    time.sleep(0.3)
    assert world.last_command() == (0.0, 0.0)


def test_a_cancelled_goal_stops_the_robot(ros_nodes, world):
    from action_msgs.msg import GoalStatus

    node = ros_nodes(_approach_node())
    handle = world.send(2.2)

    def driving():
        world.see(3.5)
        return world.last_command()[0] > 0
    wait_for(driving, 15, 'a forward command')
    cancelled = time.monotonic()
    handle.cancel_goal_async()
    wait_for(handle.result_future.done, 10, 'the cancelled result')
    for _ in range(10):
        world.see(3.5)
        time.sleep(0.05)
    assert handle.result_future.result().status == GoalStatus.STATUS_CANCELED
    assert all(c[1] == 0.0 for c in world.commands_since(cancelled + 0.3))
    assert world.last_command() == (0.0, 0.0)
    assert 'approach goal canceled' in node.log_path.read_text()


def test_an_e_stop_press_aborts_the_goal(ros_nodes, world):
    from action_msgs.msg import GoalStatus

    ros_nodes(_approach_node())
    handle = world.send(2.2)

    def driving():
        world.see(3.5)
        return world.last_command()[0] > 0
    wait_for(driving, 15, 'a forward command')
    pressed = time.monotonic()
    world.e_stop_pub.publish(world.Bool(data=True))
    wait_for(handle.result_future.done, 5, 'the aborted result')
    for _ in range(10):
        world.see(3.5)
        time.sleep(0.05)
    response = handle.result_future.result()
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.reason == 'e-stop pressed' and not response.result.arrived
    assert all(c[1] == 0.0 for c in world.commands_since(pressed + 0.3))
    assert world.last_command() == (0.0, 0.0)


def test_bad_camera_info_or_skeletons_give_a_clear_message_and_no_motion(ros_nodes, world):
    from diagnostic_msgs.msg import DiagnosticStatus

    node = ros_nodes(_approach_node())
    world.info.k[0] = 0.0   # fx 0: a camera_info from a driver that was never calibrated
    handle = world.send(2.2)
    for _ in range(40):
        world.see(3.5)
        time.sleep(0.05)
    assert world.commands_since(0.0), 'it keeps commanding: standing still'
    assert all(c[1:] == (0.0, 0.0) for c in world.commands_since(0.0))
    with world.lock:
        assert not world.ranges, 'no distance from an unusable camera'
    log = node.log_path.read_text()
    assert 'camera_info unusable (fx must be > 0, got 0); not driving on it' in log
    assert 'no usable camera/camera_info (fx must be > 0, got 0): standing still' in log
    wait_for(lambda: world.statuses(), 5, 'diagnostics')
    status = world.statuses()[-1]
    assert status.level == DiagnosticStatus.WARN and 'fx must be > 0' in status.message

    # a good camera, but skeletons of NaNs: nobody usable, so no distance and no driving
    # towards anybody (after search_after it turns slowly in place to look for her)
    world.info.k[0] = CAMERA.fx
    nan = [(math.nan, math.nan, math.nan)] * 33
    since = time.monotonic()
    for _ in range(30):
        world.see(3.5, landmarks=nan)
        time.sleep(0.05)
    assert all(c[1] == 0.0 for c in world.commands_since(since))
    with world.lock:
        assert not world.ranges
        assert world.feedback[-1][1].status in ('waiting', 'searching')
        assert math.isnan(world.feedback[-1][1].distance)
    assert not handle.result_future.done()

    def driving():   # a usable skeleton: it moves
        world.see(3.5)
        return world.last_command()[0] > 0
    wait_for(driving, 10, 'a forward command')


def test_person_distance_and_diagnostics_without_a_goal(ros_nodes, world):
    from diagnostic_msgs.msg import DiagnosticStatus

    node = ros_nodes(_approach_node())
    wait_for(lambda: world.statuses(), 15, 'diagnostics')
    first = world.statuses()[-1]
    values = {kv.key: kv.value for kv in first.values}
    assert values['camera_info_received'] == 'False' and values['goal'] == 'none'
    assert first.level == DiagnosticStatus.WARN and first.message == 'no camera/camera_info yet'

    stamps = []
    for _ in range(40):
        stamps.append(world.see(2.8))
        time.sleep(0.05)
    with world.lock:
        ranges = [m for _, m in world.ranges]
    assert len(ranges) >= 20
    assert all(r.range == pytest.approx(2.8, abs=0.1) for r in ranges)
    assert not world.commands_since(0.0), 'no commands without a goal'

    def idle_and_seeing():
        statuses = world.statuses()
        return statuses and statuses[-1].message == 'idle'
    wait_for(idle_and_seeing, 5, 'an OK status')
    values = {kv.key: kv.value for kv in world.statuses()[-1].values}
    assert values['camera_info_received'] == 'True'
    assert float(values['last_estimate_age'].removesuffix(' s')) < 2.0
    assert values['tracked_body'] == BODY_ID
    assert 'Traceback' not in node.log_path.read_text()


def test_with_two_people_in_view_the_nearer_one_is_the_last_distance_of_each_frame(
        ros_nodes, world):
    """A visitor walking by nearer than the patient: a reader that keeps the newest
    person_distance of each frame (the base guard) must end up with the visitor's."""
    ros_nodes(_approach_node())
    visitor_pub = world.node.create_publisher(world.Skeleton2D,
                                              '/humans/bodies/visitor/skeleton2d', 10)

    def frame(first_patient):
        stamp = world.node.get_clock().now().to_msg()
        world.info_pub.publish(world.info)
        world.tracked_pub.publish(world.IdsList(ids=[BODY_ID, 'visitor']))
        skeletons = []
        for pub, distance in ((world.skeleton_pub, 2.8), (visitor_pub, 1.2)):
            msg = world.Skeleton2D(image_width=CAMERA.width, image_height=CAMERA.height)
            msg.header.stamp = stamp
            for lm, (x, y, v) in zip(msg.landmarks, person(distance, math.radians(-10)
                                                           if pub is visitor_pub else 0.0)):
                lm.x, lm.y, lm.visibility = x, y, v
            skeletons.append((pub, msg))
        for pub, msg in skeletons if first_patient else reversed(skeletons):
            pub.publish(msg)
            time.sleep(0.01)

    def per_frame():
        """Stamp → distances in the order published."""
        frames = {}
        with world.lock:
            for _, r in world.ranges:
                frames.setdefault((r.header.stamp.sec, r.header.stamp.nanosec), []).append(
                    r.range)
        return frames

    def with_the_visitor():
        return {s: d for s, d in per_frame().items() if min(d) < 2.0}

    i = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(with_the_visitor()) < 20:
        frame(first_patient=i % 2 == 0)   # the order they arrive in must not matter
        i += 1
        time.sleep(0.05)
    seen = with_the_visitor()
    assert len(seen) >= 20, 'frames in which the visitor was seen'
    assert all(d[-1] == pytest.approx(1.2, abs=0.1) for d in seen.values())
    assert any(d[0] == pytest.approx(2.8, abs=0.1) for d in seen.values()), \
        'the patient first, then the nearer visitor'


def test_a_base_that_sends_no_odometry_ends_the_goal_with_a_reason(ros_nodes, world):
    from action_msgs.msg import GoalStatus

    ros_nodes(_approach_node(odom_timeout=2.0))
    handle = world.send(2.2)
    started = time.monotonic()
    while time.monotonic() < started + 20 and not handle.result_future.done():
        world.see(3.5)   # she is there; the motor node that would publish odom is not
        time.sleep(0.05)
    response = handle.result_future.result()
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.reason.startswith('no odometry from the base for')
    assert time.monotonic() - started < 10
    time.sleep(0.3)
    assert world.last_command() == (0.0, 0.0)
