"""The person the coach follows: the attended body of TrackedBodies, her posture and her
landmarks, handed on as routine inputs: `on_posture(posture, on_floor)`, `on_frame(t, frame)`
(only while `frames_wanted()`: building a frame costs), and every tracked list to
`on_tracked()` (perception is alive, whether or not anyone is seen).
"""
from __future__ import annotations

from typing import Callable

from berntsen_interfaces.msg import BodyPosture, Skeleton2D
from rclpy.node import Node

from .exercises import BodyFrame
from .routine import Posture
from .tracked_bodies import TrackedBodies


class CoachedBody:
    def __init__(self, node: Node, skeleton_topic: str, *, on_tracked: Callable[[], None],
                 on_posture: Callable[[Posture, bool], None],
                 on_frame: Callable[[float, BodyFrame | None], None],
                 frames_wanted: Callable[[], bool]):
        self._node = node
        self._on_posture, self._on_frame = on_posture, on_frame
        self._frames_wanted = frames_wanted
        self.last_skeleton_at: float | None = None   # node clock, the coached body's
        self._bodies = TrackedBodies(node, skeleton_topic, role='coaching',
                                     on_skeleton=self._skeleton, on_posture=self._posture,
                                     on_tracked=on_tracked)

    @property
    def active(self) -> str:
        return self._bodies.active

    def _now(self) -> float:
        return self._node.get_clock().now().nanoseconds * 1e-9

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
