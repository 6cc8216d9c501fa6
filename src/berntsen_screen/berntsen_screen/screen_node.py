"""Screen node: the patient's screen, a web page served on the robot (web.py), fed from the
coach's topics.

Subscribes `coach/state`, `coach/events`, `speech/status` (captions), `caregiver/alert`
and, with show_skeleton, the attended person's `/humans/bodies/<id>/skeleton2d_smoothed`
(landmarks only: no camera image ever leaves the robot). The page's Pause and Help buttons
call the coach's `pause_session` (std_srvs/SetBool) and `request_help` (std_srvs/Trigger).
The web server (uvicorn) runs in a thread of its own; a kiosk browser on the robot's display
opens http://localhost:<port>/, a laptop on the robot's network http://<robot>:<port>/ when
`host` is 0.0.0.0.
"""
from __future__ import annotations

import asyncio
import json
import signal
import threading
import time

import rclpy
import uvicorn
from berntsen_coach.coach_topics import ALERT_QOS, EVENT_QOS
from berntsen_coach.exercises import load_exercises
from berntsen_coach.node_params import declare_read_only, described
from berntsen_coach.paths import package_config
from berntsen_coach.tracked_bodies import TrackedBodies
from berntsen_interfaces.msg import (CaregiverAlert, CoachState, SessionEvent, Skeleton2D,
                                     SpeechStatus)
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import IntegerRange, ParameterDescriptor
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_srvs.srv import SetBool, Trigger

from .screen_model import CoachStateView, ScreenModel, skeleton_points
from .web import ScreenHub, make_app

REFRESH_PERIOD = 1.0          # s: the page learns within this that the coach went quiet
SKELETON_PERIOD = 0.1         # s: at most 10 skeletons a second to the page
# coach/state and speech/status are latched (a late joiner gets the last); a count and the end
# of its set come a tick apart, so keep more than one: each is shown
LATCHED_STREAM = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                            durability=DurabilityPolicy.TRANSIENT_LOCAL)
SERVICE_TIMEOUT = 5.0         # s a button waits for the coach's answer
SERVER_START_TIMEOUT = 10.0   # s
SERVER_RETRY_PERIOD = 5.0     # s


def declare_screen_parameters(node: Node) -> dict:
    return declare_read_only(node, {
        'host': described('127.0.0.1', 'Address the page is served on: 127.0.0.1 for the '
                                       'robot\'s own display only, 0.0.0.0 to let a laptop on '
                                       'its network in'),
        'port': (8080, ParameterDescriptor(description='TCP port of the page',
                                           integer_range=[IntegerRange(from_value=1024,
                                                                       to_value=65535, step=1)])),
        'show_skeleton': described(True, 'Show the person her own skeleton (mirrored) while '
                                         'she exercises'),
        'skeleton_topic': described('skeleton2d_smoothed', 'skeleton2d_smoothed or skeleton2d'),
        'exercises_file': described('', 'Exercise library (default: berntsen_coach\'s)'),
    })


class ScreenNode(Node):
    def __init__(self):
        super().__init__('screen')
        self.params = p = declare_screen_parameters(self)
        exercises = load_exercises(p['exercises_file'] or package_config() / 'exercises.yaml')
        self.model = ScreenModel(exercises, show_skeleton=p['show_skeleton'])
        self.hub = ScreenHub(self._on_action)
        self._skeleton_sent_at = 0.0
        self.create_subscription(CoachState, 'coach/state', self._on_coach_state,
                                 LATCHED_STREAM)
        self.create_subscription(SessionEvent, 'coach/events', self._on_event, EVENT_QOS)
        self.create_subscription(SpeechStatus, 'speech/status', self._on_speech, LATCHED_STREAM)
        self.create_subscription(CaregiverAlert, 'caregiver/alert', self._on_alert, ALERT_QOS)
        if p['show_skeleton']:
            self.bodies = TrackedBodies(self, p['skeleton_topic'], role='shown on the screen',
                                        on_skeleton=self._on_skeleton)
        self._pause = self.create_client(SetBool, 'pause_session')
        self._help = self.create_client(Trigger, 'request_help')
        self._diagnostics = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_timer(REFRESH_PERIOD, self._refresh)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._retry = self.create_timer(SERVER_RETRY_PERIOD, self._start_server)
        self._start_server()

    def _start_server(self):
        """Serve the page; a port in use is retried (the session goes on without a screen)."""
        p = self.params
        if self._server is not None and self._server.started:
            return
        self._server = uvicorn.Server(uvicorn.Config(
            make_app(self.hub), host=p['host'], port=p['port'], log_level='critical',
            ws_max_size=64 * 1024))
        self._thread = threading.Thread(target=self._server.run, name='screen-web', daemon=True)
        self._thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not self._server.started and self._thread.is_alive() \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._server.started:
            self._retry.cancel()
            self.get_logger().info(f"screen at http://{p['host']}:{p['port']}/")
        else:
            self._server.should_exit = True
            self.get_logger().error(
                f"cannot serve the screen on {p['host']}:{p['port']} (port in use?); trying "
                f'again every {SERVER_RETRY_PERIOD:.0f} s', throttle_duration_sec=60.0)

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _publish(self):
        self.hub.publish(self.model.snapshot(self._now()))

    def _refresh(self):
        """Once a second: the pages learn that the coach went quiet; /diagnostics."""
        self._publish()
        p, serving = self.params, self._server is not None and self._server.started
        status = DiagnosticStatus(name=f'{self.get_name()}: patient screen', hardware_id='display')
        if not serving:
            status.level, status.message = DiagnosticStatus.ERROR, \
                f"cannot serve the page on {p['host']}:{p['port']}"
        elif not self.model.connected(self._now()):
            status.level, status.message = DiagnosticStatus.WARN, 'no coach/state heard'
        else:
            status.level, status.message = DiagnosticStatus.OK, \
                f'{self.hub.clients} page(s) connected'
        values = {'url': f"http://{p['host']}:{p['port']}/", 'serving': serving,
                  'pages_connected': self.hub.clients, 'step': self.model.coach.step}
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics.publish(msg)

    # ---- inputs -------------------------------------------------------------------------

    def _on_coach_state(self, msg: CoachState):
        self.model.on_coach_state(self._now(), CoachStateView(
            step=msg.step, exercise=msg.exercise, count=msg.count, target=msg.target,
            set_number=msg.set_number, sets=msg.sets))
        self._publish()

    def _on_event(self, msg: SessionEvent):
        try:
            detail = json.loads(msg.detail) if msg.detail else {}
        except ValueError:
            detail = {}
        if not isinstance(detail, dict):
            detail = {}
        self.model.on_event(self._now(), msg.kind, detail)
        self._publish()

    def _on_speech(self, msg: SpeechStatus):
        self.model.on_speech(msg.speaking, msg.text)
        self._publish()

    def _on_alert(self, msg: CaregiverAlert):
        self.model.on_alert(msg.reason, msg.urgent)
        self._publish()

    def _on_skeleton(self, body_id: str, msg: Skeleton2D):
        now = time.monotonic()
        if body_id != self.bodies.active or now - self._skeleton_sent_at < SKELETON_PERIOD \
                or self.model.coach.step not in ('exercise', 'test'):
            return
        self._skeleton_sent_at = now
        self.hub.publish({'type': 'skeleton', 'points': skeleton_points(
            (lm.x, lm.y, lm.visibility) for lm in msg.landmarks)})

    # ---- the buttons --------------------------------------------------------------------

    async def _on_action(self, action: str, data: dict) -> tuple[bool, str]:
        """Runs in the web server's event loop; the executor answers the call."""
        if action == 'pause':
            client, request = self._pause, SetBool.Request(data=bool(data.get('paused', True)))
        else:
            client, request = self._help, Trigger.Request()
        deadline = time.monotonic() + SERVICE_TIMEOUT
        while not client.service_is_ready() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)   # a coach (or this node) just started: discovery
        if not client.service_is_ready():
            self.get_logger().error(f'{action} pressed, but the coach does not answer')
            return False, 'the coach does not answer'
        future = client.call_async(request)
        while not future.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if not future.done():
            self.get_logger().error(f'{action} pressed: no answer within {SERVICE_TIMEOUT:.0f} s')
            return False, 'the coach did not answer in time'
        response = future.result()
        self.get_logger().info(f'{action} pressed: {response.message}')
        return response.success, response.message

    def destroy_node(self):
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5.0)
        super().destroy_node()


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = ScreenNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError, RuntimeError, OSError) as exc:
        if node is not None:
            raise
        rclpy.logging.get_logger('screen_node').fatal(f'cannot start: {exc}')
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
