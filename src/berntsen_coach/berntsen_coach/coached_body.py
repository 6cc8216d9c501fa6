"""The person the coach follows, from the REP 155 body topics the pose node publishes.

One person is coached: the first body on `/humans/bodies/tracked` whose id makes a valid
topic name. Her `posture` and landmarks (`skeleton2d_smoothed` or `skeleton2d`) are
subscribed while she is tracked and handed on: `on_posture(posture, on_floor)`,
`on_frame(t, frame)` (only while `frames_wanted()`: building a frame costs), and every
tracked list to `on_tracked()` (perception is alive, whether or not anyone is seen).
"""
from __future__ import annotations

from typing import Callable

from berntsen_interfaces.msg import BodyPosture, IdsList, Skeleton2D
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data

from .exercises import BodyFrame
from .routine import Posture

# Body topics are a stream of measurements: a lost sample is replaced by the next one and
# the counter tolerates gaps. Sensor-data QoS (best effort, REP 2003) also matches a
# reliable publisher, so the coach hears the pose node whichever it picks.
BODY_QOS = qos_profile_sensor_data


class CoachedBody:
    def __init__(self, node: Node, skeleton_topic: str, *, on_tracked: Callable[[], None],
                 on_posture: Callable[[Posture, bool], None],
                 on_frame: Callable[[float, BodyFrame | None], None],
                 frames_wanted: Callable[[], bool]):
        self._node, self._skeleton_topic = node, skeleton_topic
        self._on_tracked, self._on_posture = on_tracked, on_posture
        self._on_frame, self._frames_wanted = on_frame, frames_wanted
        self.active = ''                             # the coached body's id ('' nobody)
        self.last_skeleton_at: float | None = None   # node clock, the coached body's
        self._subs: dict[str, tuple] = {}
        self._unusable_ids: set[str] = set()         # ids that make no valid topic name
        node.create_subscription(IdsList, '/humans/bodies/tracked', self._tracked, BODY_QOS)

    def _now(self) -> float:
        return self._node.get_clock().now().nanoseconds * 1e-9

    def _tracked(self, msg: IdsList):
        self._on_tracked()
        ids = [i for i in msg.ids if i and i not in self._unusable_ids]
        for body_id in list(self._subs):
            if body_id not in ids:
                for sub in self._subs.pop(body_id):
                    self._node.destroy_subscription(sub)
        for body_id in ids:
            if body_id not in self._subs:
                self._subscribe(body_id)
        active = next((i for i in ids if i in self._subs), '')
        if active != self.active:
            self._node.get_logger().info(f'coaching body "{active}"' if active
                                         else 'nobody tracked')
            self.active = active

    def _subscribe(self, body_id: str):
        prefix = f'/humans/bodies/{body_id}'
        node = self._node
        try:
            subs = (
                node.create_subscription(Skeleton2D, f'{prefix}/{self._skeleton_topic}',
                                         lambda m, b=body_id: self._skeleton(b, m), BODY_QOS),
                node.create_subscription(BodyPosture, f'{prefix}/posture',
                                         lambda m, b=body_id: self._posture(b, m), BODY_QOS),
            )
        except Exception as exc:  # rclpy raises several types for invalid topic names
            self._unusable_ids.add(body_id)
            node.get_logger().warning(f'ignoring body id {body_id!r}: {exc}')
            return
        self._subs[body_id] = subs

    def _posture(self, body_id: str, msg: BodyPosture):
        if body_id != self.active:
            return
        try:
            posture = Posture(msg.posture)
        except ValueError:
            self._node.get_logger().warning(f'unknown posture value {msg.posture}; ignored',
                                            throttle_duration_sec=10.0)
            return
        self._on_posture(posture, msg.on_floor)

    def _skeleton(self, body_id: str, msg: Skeleton2D):
        if body_id != self.active:
            return
        self.last_skeleton_at = self._now()
        if not self._frames_wanted():
            return
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        t = stamp if stamp > 0 else self._now()
        try:
            frame = BodyFrame.from_arrays(
                [(lm.x, lm.y, lm.z, lm.visibility) for lm in msg.landmarks],
                [(lm.x, lm.y, lm.z, lm.visibility) for lm in msg.world_landmarks],
                msg.image_width, msg.image_height)
        except ValueError as exc:
            self._node.get_logger().warning(f'skeleton from body {body_id!r} unusable: {exc}',
                                            throttle_duration_sec=10.0)
            frame = None
        self._on_frame(t, frame)
