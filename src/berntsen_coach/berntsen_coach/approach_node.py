"""Approach node: serves the `approach` action (berntsen_interfaces/Approach) that drives the
robot up to the tracked person and stops at the goal's distance.

Adapter only: approach.py estimates the person's distance from each 2D skeleton and decides
the command; this node feeds it `/humans/bodies/...` skeletons, `camera/camera_info` (no
intrinsics, no motion), `odom` (travel limit) and `e_stop` (a press aborts the goal), and
publishes (approach_topics.py adapts camera_info and person_distance):
  approach/cmd_vel   velocity commands while a goal runs, and one zero Twist when it ends
                     for any reason (the base guard in the motor node picks this source);
  person_distance    sensor_msgs/Range in base_link, stamped like the skeleton, for usable
                     estimates of every tracked body, goal or not: per frame the last one
                     published is the nearest person (the base guard keeps the robot off her);
  /diagnostics       goal state, age of the last estimate, camera_info received.
One goal runs at a time; a newer goal replaces the running one (which is aborted).
"""
from __future__ import annotations

import gc
import math
import signal
import sys
from dataclasses import dataclass

import rclpy
from berntsen_interfaces.action import Approach
from berntsen_interfaces.msg import Skeleton2D
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.task import Future
from std_msgs.msg import Bool

from .approach import (ARRIVED, FAILED, ApproachController, ApproachSettings, TravelMeter,
                       check_stop_distance, estimate_person)
from .approach_topics import CameraInfoListener, PersonDistancePublisher
from .node_params import declare_read_only, ranged
from .tracked_bodies import TrackedBodies

# odometry comes with every control cycle: a lost sample is replaced by the next;
# sensor-data QoS also matches a reliable publisher.
ODOM_QOS = qos_profile_sensor_data
# An e-stop press must arrive. Volatile matches volatile and transient-local publishers alike.
E_STOP_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.VOLATILE)
# Velocity commands: reliable, only the newest matters (the motor node subscribes the same).
CMD_VEL_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)

TICK_PERIOD = 0.1                # s between commands while a goal runs
DIAGNOSTICS_PERIOD = 1.0         # s
STAMP_SKEW_WARN = 2.0            # s; skeleton stamps this far from the node's clock: warn
ESTIMATE_STALE = 2.0             # s; a running goal without an estimate this fresh: WARN


def declare_approach_parameters(node: Node) -> dict:
    """The approach node's parameters, read once at start."""
    seconds, metres = ranged('s'), ranged('m')
    specs = {
        'skeleton_topic': ('skeleton2d_smoothed', ParameterDescriptor(
            description='Per-body landmarks to estimate from: skeleton2d_smoothed or '
                        'skeleton2d')),
        'max_speed': ranged('m/s')('Top forward speed while approaching', 0.25, 0.05, 0.5),
        'timeout': seconds('Give up a goal after', 120.0, 10, 600),
        'odom_timeout': seconds('Give up a goal when the base has sent no odometry for this '
                                'long (the motor node is down: the robot cannot move)',
                                10.0, 1, 120),
        'max_travel': metres('Give up a goal after driving this far (odometry)',
                             5.0, 0.5, 20.0),
        'camera_height': metres('Height of the camera\'s optical centre above the floor',
                                1.12, 0.2, 3.0),
        'camera_tilt_deg': ranged('deg')('Downward tilt of the camera', 5.0, -30.0, 60.0),
        'camera_forward_offset': metres('Camera position ahead of the base centre',
                                        0.035, -1.0, 1.0),
    }
    return declare_read_only(node, specs)


@dataclass
class _Goal:
    handle: object                # rclpy ServerGoalHandle
    controller: ApproachController
    done: Future                  # set to (outcome method name, Approach.Result)
    travel: TravelMeter
    started: float                # node clock
    status: str = ''


class ApproachNode(Node):
    def __init__(self):
        super().__init__('approach')
        self.params = declare_approach_parameters(self)
        self.camera = CameraInfoListener(
            self, mount_height=self.params['camera_height'],
            tilt_deg=self.params['camera_tilt_deg'],
            forward_offset=self.params['camera_forward_offset'])
        self._standing_still_for = ''      # the no-camera reason last logged
        self._last_estimate_stamp: float | None = None
        self._goal: _Goal | None = None
        self._last_result = 'none yet'
        self._odom_at: float | None = None   # node clock of the latest odometry

        self.cmd_vel_pub = self.create_publisher(Twist, 'approach/cmd_vel', CMD_VEL_QOS)
        self.distance = PersonDistancePublisher(self)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        # every tracked body's distance is measured; the first one's drives the approach
        self.bodies = TrackedBodies(self, self.params['skeleton_topic'], role='approaching',
                                    on_skeleton=self._on_skeleton)
        self.create_subscription(Odometry, 'odom', self._on_odom, ODOM_QOS)
        self.create_subscription(Bool, 'e_stop', self._on_e_stop, E_STOP_QOS)
        self._server = ActionServer(self, Approach, 'approach', execute_callback=self._execute,
                                    goal_callback=lambda goal: GoalResponse.ACCEPT,
                                    cancel_callback=lambda handle: CancelResponse.ACCEPT)
        self.create_timer(TICK_PERIOD, self._step)
        self.create_timer(DIAGNOSTICS_PERIOD, self._publish_diagnostics)
        self.get_logger().info('serving the approach action')

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    # ---- the action ---------------------------------------------------------------------

    async def _execute(self, handle) -> Approach.Result:
        if self._goal is not None:
            self._finish(self._goal, 'abort', 'replaced by a newer approach goal')
        p = self.params
        try:
            settings = ApproachSettings(
                stop_distance=check_stop_distance(handle.request.stop_distance),
                max_speed=p['max_speed'], timeout=p['timeout'], max_travel=p['max_travel'])
        except ValueError as exc:
            self.get_logger().warning(f'approach goal refused: {exc}')
            self._last_result = f'refused: {exc}'
            handle.abort()
            return Approach.Result(arrived=False, reason=f'goal refused: {exc}',
                                   distance=math.nan)
        goal = _Goal(handle, ApproachController(settings, self._now()), Future(), TravelMeter(),
                     self._now())
        self._goal = goal
        self.get_logger().info(f'approaching the person to {settings.stop_distance:.2f} m')
        self._step()
        outcome, result = await goal.done
        getattr(handle, outcome)()
        return result

    def _step(self):
        """Send the command for the running goal; end the goal when it has ended."""
        goal = self._goal
        if goal is None:
            return
        if goal.handle.is_cancel_requested:
            self._finish(goal, 'canceled', 'canceled', goal.controller.stop('canceled').distance)
            return
        silent = self._now() - max(goal.started, self._odom_at or goal.started)
        if silent > self.params['odom_timeout']:
            goal.controller.stop(f'no odometry from the base for {silent:.0f} s: it is not '
                                 'answering')
        command = goal.controller.update(self._now(), goal.travel.travelled)
        if command.status != goal.status:
            goal.status = command.status
            distance = '' if command.distance is None else f' at {command.distance:.2f} m'
            self.get_logger().info(f'approach: {command.status}{distance}'
                                   + (f' ({command.reason})' if command.reason else ''))
        if command.status == ARRIVED:
            self._finish(goal, 'succeed', '', command.distance)
            return
        if command.status == FAILED:
            reason = command.reason
            if self.camera.model is None:
                reason += f'; {self.camera.missing_text()}'
            self._finish(goal, 'abort', reason, command.distance)
            return
        twist = Twist()
        if self.camera.model is None:
            # Guessed intrinsics could place the person farther than she is and the robot
            # closer than asked: no camera_info, no motion (the goal's timeout still runs).
            why = self.camera.missing_text()
            if why != self._standing_still_for:   # once per reason; diagnostics keep saying it
                self._standing_still_for = why
                self.get_logger().warning(f'{why}: standing still')
        else:
            twist.linear.x, twist.angular.z = command.linear, command.angular
        self.cmd_vel_pub.publish(twist)
        goal.handle.publish_feedback(Approach.Feedback(
            distance=math.nan if command.distance is None else command.distance,
            status=command.status))

    def _finish(self, goal: _Goal, outcome: str, reason: str, distance: float | None = None):
        """End a goal: stand still now (not after the motor watchdog), then report it."""
        if self._goal is goal:
            self._goal = None
        if self.context.ok():
            self.cmd_vel_pub.publish(Twist())
        arrived = outcome == 'succeed'
        at = '' if distance is None else f' at {distance:.2f} m'
        self._last_result = {'succeed': f'arrived{at}', 'canceled': f'canceled{at}'}.get(
            outcome, f'gave up: {reason}{at}')
        if self.context.ok():   # after Ctrl-C the log's /rosout publisher is gone
            log = self.get_logger().warning if outcome == 'abort' else self.get_logger().info
            log(f'approach goal {self._last_result}')
        if not goal.done.done():
            goal.done.set_result((outcome, Approach.Result(
                arrived=arrived, reason=reason,
                distance=math.nan if distance is None else distance)))

    # ---- inputs -------------------------------------------------------------------------

    def _on_odom(self, msg: Odometry):
        self._odom_at = self._now()
        if self._goal is None:
            return
        p = msg.pose.pose.position
        try:
            self._goal.travel.add(p.x, p.y)
        except ValueError as exc:
            self.get_logger().warning(f'odometry ignored: {exc}', throttle_duration_sec=10.0)

    def _on_e_stop(self, msg: Bool):
        # The motor node latches the e-stop and stops the wheels; this goal ends here.
        if msg.data and self._goal is not None:
            self.get_logger().warning('e-stop pressed: the approach ends here')
            self._goal.controller.stop('e-stop pressed')
            self._step()

    def _on_skeleton(self, body_id: str, msg: Skeleton2D):
        if self.camera.model is None:
            return   # _step() and the diagnostics say why
        now = self._now()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if stamp <= 0:
            stamp = now
        elif abs(now - stamp) > STAMP_SKEW_WARN:
            self.get_logger().warning(
                f'skeleton stamped {now - stamp:+.1f} s off this node\'s clock; only fresh '
                'ones allow driving (use_sim_time alike on all nodes?)', throttle_duration_sec=10.0)
        try:
            estimate = estimate_person([(lm.x, lm.y, lm.visibility) for lm in msg.landmarks],
                                       self.camera.model)
        except ValueError as exc:
            self.get_logger().warning(f'skeleton from body {body_id!r} unusable: {exc}',
                                      throttle_duration_sec=10.0)
            estimate = None
        if estimate is not None:
            self._last_estimate_stamp = stamp
            self.distance.offer(msg, stamp, estimate.distance, self.camera.model)
        if body_id == self.bodies.active and self._goal is not None:
            self._goal.controller.add_estimate(stamp, estimate)
            self._step()

    # ---- diagnostics --------------------------------------------------------------------

    def _publish_diagnostics(self):
        now = self._now()
        goal = self._goal
        age = None if self._last_estimate_stamp is None else now - self._last_estimate_stamp
        status = DiagnosticStatus(name=f'{self.get_name()}: approach action',
                                  hardware_id='camera')
        if self.camera.model is None:
            status.level, status.message = DiagnosticStatus.WARN, self.camera.missing_text()
        elif goal is not None and (age is None or age > ESTIMATE_STALE):
            status.level = DiagnosticStatus.WARN
            status.message = f'goal running ({goal.status or "starting"}) but nobody seen'
        elif goal is not None:
            status.level, status.message = DiagnosticStatus.OK, f'goal running ({goal.status})'
        else:
            status.level, status.message = DiagnosticStatus.OK, 'idle'
        values = {
            'goal': f'active: {goal.status or "starting"}, stop at '
                    f'{goal.controller.settings.stop_distance:.2f} m' if goal else 'none',
            'last_result': self._last_result,
            'last_estimate_age': 'never' if age is None else f'{age:.1f} s',
            'camera_info_received': self.camera.model is not None,
            'camera_info_problem': self.camera.problem,
            'tracked_body': self.bodies.active,
            'travelled': f'{goal.travel.travelled:.2f} m' if goal else '',
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(msg)

    def destroy_node(self):
        if self._goal is not None:
            self._finish(self._goal, 'abort', 'approach node shut down')
        self._server.destroy()
        super().destroy_node()


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = ApproachNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError) as exc:
        if node is not None:
            raise
        # a bad parameter (e.g. a launch argument read as a number): one line, exit 1
        rclpy.logging.get_logger('approach_node').fatal(f'cannot start: {exc}')
        return 1
    except RuntimeError:
        # rclpy may fail to take a message that arrives while Ctrl-C shuts the context down
        if rclpy.ok():
            raise
    finally:
        # ros2 launch forwards a second SIGINT while nodes clean up: let the cleanup finish
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if node is not None:
            node.destroy_node()
        else:
            # a node that failed half-way through __init__ is garbage: collected, it is not
            # destroyed by try_shutdown() (AttributeError on what its __init__ never set)
            gc.collect()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
