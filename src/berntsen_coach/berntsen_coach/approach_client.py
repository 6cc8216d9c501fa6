"""A client of the `approach` action (berntsen_interfaces/Approach) for the coach.

While the caller wants the robot to drive up to the person (`update(wanted=True)`), one goal
is sent and followed; its end is reported once: `on_arrived(distance)`, or
`on_failed(reason)` when the server gives up, rejects the goal, goes silent mid-goal (no
feedback for `server_wait` s: it died or hangs) or never appears. Once the caller no longer
wants it (a fall, a stop), the goal is cancelled. Any server of the action will do (the
approach node today, Nav2 behind an adapter tomorrow).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from action_msgs.msg import GoalStatus
from berntsen_interfaces.action import Approach
from rclpy.action import ActionClient
from rclpy.node import Node


@dataclass
class _Goal:
    """One goal; its handle once the server has accepted it."""

    last_heard: float              # node clock: sent, accepted, or the latest feedback
    handle: object | None = None   # rclpy ClientGoalHandle


class ApproachClient:
    def __init__(self, node: Node, *, stop_distance: float, server_wait: float,
                 on_arrived: Callable[[float], None], on_failed: Callable[[str], None],
                 action: str = 'approach'):
        self._node = node
        self._client = ActionClient(node, Approach, action)
        self._action = action
        self._stop_distance, self._server_wait = stop_distance, server_wait
        self._on_arrived, self._on_failed = on_arrived, on_failed
        self._goal: _Goal | None = None
        self._server_missing_since: float | None = None
        self.state = 'none'    # what it is doing, in words (for diagnostics)

    def reset(self) -> None:
        """A new session: forget how long the server has been missing."""
        self._server_missing_since, self.state = None, 'none'

    def update(self, wanted: bool, why_not: str = '') -> None:
        """Send the goal while `wanted`; cancel it (saying `why_not`) once not; give up when
        no server answers."""
        if not wanted:
            if self._goal is not None:
                self.cancel(why_not)
            return
        now = self._now()
        wait = self._server_wait
        goal = self._goal
        if goal is not None and now - goal.last_heard >= wait:
            # a server that died or restarted mid-goal never sends its result; one that hangs
            # is told to stop
            if goal.handle is not None:
                goal.handle.cancel_goal_async()
            self._failed(f'no word from the {self._action} action server for {wait:.0f} s')
            return
        if self._client.server_is_ready():
            self._server_missing_since = None
            if goal is None:
                self._send()
            return
        if self._server_missing_since is None:
            self._server_missing_since = now
            self.state = f'waiting for the {self._action} action server'
            self._node.get_logger().warning(f'{self._action} action server "{self._action}" '
                                            'not available; waiting for it')
        elif goal is None and now - self._server_missing_since >= wait:
            self._failed(f'{self._action} action server not available for {wait:.0f} s')

    def cancel(self, why: str) -> None:
        goal, self._goal = self._goal, None
        if goal is None:
            return
        self.state = f'cancelled: {why}'
        self._node.get_logger().info(f'approach: cancelling the goal: {why}')
        if goal.handle is not None:
            goal.handle.cancel_goal_async()

    def _send(self) -> None:
        goal = _Goal(last_heard=self._now())
        self._goal = goal
        self.state = 'goal sent'
        self._node.get_logger().info(
            f'approach: asking to stop {self._stop_distance:.2f} m from the person')
        self._client.send_goal_async(
            Approach.Goal(stop_distance=self._stop_distance),
            feedback_callback=lambda msg, g=goal: self._on_feedback(g, msg),
        ).add_done_callback(lambda future, g=goal: self._on_response(g, future))

    def _on_response(self, goal: _Goal, future) -> None:
        handle = future.result()
        if goal is not self._goal:   # cancelled before the server accepted it
            if handle is not None and handle.accepted:
                handle.cancel_goal_async()
            return
        if handle is None or not handle.accepted:
            self._failed(f'the {self._action} action server rejected the goal')
            return
        goal.handle, goal.last_heard = handle, self._now()
        self.state = 'goal accepted'
        handle.get_result_async().add_done_callback(
            lambda result_future: self._on_result(goal, result_future))

    def _on_feedback(self, goal: _Goal, msg) -> None:
        if goal is self._goal:
            goal.last_heard = self._now()
            distance = msg.feedback.distance
            self.state = f'active: {msg.feedback.status}' + (
                f' at {distance:.2f} m' if math.isfinite(distance) else '')

    def _on_result(self, goal: _Goal, future) -> None:
        if goal is not self._goal:
            return   # cancelled here: the caller has moved on
        response = future.result()
        result = response.result if response is not None else None
        if response is not None and response.status == GoalStatus.STATUS_SUCCEEDED \
                and result.arrived:
            self._goal = None
            self.state = f'arrived at {result.distance:.2f} m'
            self._node.get_logger().info(f'approach: {self.state}')
            self._on_arrived(result.distance)
            return
        if result is not None and result.reason:
            reason = result.reason
        elif response is not None and response.status == GoalStatus.STATUS_CANCELED:
            reason = f'the {self._action} goal was cancelled by another node'
        else:
            reason = f'the {self._action} action ended without a result'
        self._failed(reason)

    def _failed(self, reason: str) -> None:
        self._goal = None
        self.state = f'gave up: {reason}'
        self._node.get_logger().warning(f'approach: gave up: {reason}; greeting from here')
        self._on_failed(reason)

    def _now(self) -> float:
        return self._node.get_clock().now().nanoseconds * 1e-9
