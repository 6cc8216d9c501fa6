"""The people the pose node tracks (REP 155): one subscription set per tracked body id.

`/humans/bodies/tracked` lists the ids; for each id that makes a valid topic name, its
landmarks (`skeleton2d_smoothed` or `skeleton2d`) and, if asked for, its `posture` are
subscribed while it is tracked and handed on with the id. The first such id is `active`:
the person the robot attends to (the coach coaches her, the approach drives to her).
"""
from __future__ import annotations

from typing import Callable

from berntsen_interfaces.msg import BodyPosture, IdsList, Skeleton2D
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data

# Body topics are a stream of measurements: a lost sample is replaced by the next one and
# the counter tolerates gaps. Sensor-data QoS (best effort, REP 2003) also matches a
# reliable publisher, so the nodes hear the pose node whichever it picks.
BODY_QOS = qos_profile_sensor_data
SKELETON_TOPICS = ('skeleton2d_smoothed', 'skeleton2d')


class TrackedBodies:
    def __init__(self, node: Node, skeleton_topic: str, *, role: str,
                 on_skeleton: Callable[[str, Skeleton2D], None],
                 on_posture: Callable[[str, BodyPosture], None] | None = None,
                 on_tracked: Callable[[], None] | None = None):
        if skeleton_topic not in SKELETON_TOPICS:
            raise ValueError(f'parameter skeleton_topic must be skeleton2d_smoothed or '
                             f'skeleton2d, got {skeleton_topic!r}')
        self._node, self._skeleton_topic, self._role = node, skeleton_topic, role
        self._on_skeleton, self._on_posture, self._on_tracked = \
            on_skeleton, on_posture, on_tracked
        self.active = ''                         # the attended body's id ('' nobody)
        self._subs: dict[str, tuple] = {}
        self._unusable_ids: set[str] = set()     # ids that make no valid topic name
        node.create_subscription(IdsList, '/humans/bodies/tracked', self._tracked, BODY_QOS)

    def _tracked(self, msg: IdsList):
        if self._on_tracked is not None:
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
            self._node.get_logger().info(f'{self._role} body "{active}"' if active
                                         else 'nobody tracked')
            self.active = active

    def _subscribe(self, body_id: str):
        prefix = f'/humans/bodies/{body_id}'
        node = self._node
        try:
            subs = [node.create_subscription(
                Skeleton2D, f'{prefix}/{self._skeleton_topic}',
                lambda m, b=body_id: self._on_skeleton(b, m), BODY_QOS)]
            if self._on_posture is not None:
                subs.append(node.create_subscription(
                    BodyPosture, f'{prefix}/posture',
                    lambda m, b=body_id: self._on_posture(b, m), BODY_QOS))
        except Exception as exc:  # rclpy raises several types for invalid topic names
            self._unusable_ids.add(body_id)
            node.get_logger().warning(f'ignoring body id {body_id!r}: {exc}')
            return
        self._subs[body_id] = tuple(subs)
