"""A client of the `speak` action (berntsen_interfaces/Speak) that any node can use.

Phrases go to the server in the order they were said, one goal each (the server queues
them and lets an urgent one pre-empt the rest). Every phrase ends exactly once, reported
through `on_finished(ticket)`: when the server says it has been spoken, when it fails or is
rejected, when its result is overdue (as long as the slowest speech would take to say it,
plus a margin, at most `timeout`), or when the server disappears (what it was saying is
lost). So a dead or hung speech node delays whoever waits by seconds, never for ever.

Call `update()` periodically (it sends what waited for the server and times out overdue
phrases); `cancel_all()` stops talking. Not thread-safe: use it from one executor thread, as a node's callbacks are.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Callable

from berntsen_interfaces.action import Speak
from rclpy.action import ActionClient
from rclpy.node import Node

WAIT_LOG_PERIOD = 5.0             # s between "speech server not up" warnings
SLOWEST_SPEECH_CHARS_PER_S = 6.0  # espeak-ng speaks 12-15 characters a second at rate 1.0
MARGIN = 5.0                      # s: the audio device, the queue, a loaded machine


@dataclass(frozen=True)
class _Phrase:
    ticket: int
    text: str
    language: str
    urgent: bool
    label: str     # how the node's log names it (its text may name the patient)


class SpeechClient:
    def __init__(self, node: Node, on_finished: Callable[[int], None], *,
                 action: str = 'speak', timeout: float = 30.0):
        self._node = node
        self._on_finished = on_finished
        self._timeout = timeout
        self._client = ActionClient(node, Speak, action)
        self._action = action
        self._unsent: deque[_Phrase] = deque()
        self._awaiting: dict[int, tuple[float, _Phrase]] = {}   # ticket → (sent at, phrase)
        self._handles: dict[int, object] = {}   # ticket → accepted goal (ClientGoalHandle)
        self._last_ticket = 0
        self._last_wait_log = -math.inf
        self.unavailable_since: float | None = None   # node clock; None while the server is up
        self._seen = False                            # the server has been up at least once

    @property
    def server_ready(self) -> bool:
        return self._client.server_is_ready()

    @property
    def pending(self) -> int:
        """Phrases said and not yet finished (waiting for the server, or being spoken)."""
        return len(self._unsent) + len(self._awaiting)

    def say(self, text: str, language: str, *, urgent: bool = False,
            label: str = 'a phrase') -> int:
        """Queue a phrase and send it if the server is up; returns its ticket."""
        self._last_ticket += 1
        self._unsent.append(_Phrase(self._last_ticket, text, language, urgent, label))
        self._send_unsent()
        return self._last_ticket

    def cancel_all(self) -> None:
        """Stop talking: what waits is dropped and what is being said is cancelled; each
        ends (on_finished) at once."""
        dropped, self._unsent = list(self._unsent), deque()
        for ticket, handle in list(self._handles.items()):
            handle.cancel_goal_async()
        for ticket in list(self._awaiting) + [p.ticket for p in dropped]:
            self._awaiting.setdefault(ticket, (self._now(), None))
            self._finished(ticket)

    def deadline(self, text: str) -> float:
        """How long a phrase may take before it is given up on. A goal a speech node took
        with it when it died (a restarted one knows nothing of it) then delays the caller by
        seconds, not by `timeout`."""
        return min(self._timeout, MARGIN + len(text) / SLOWEST_SPEECH_CHARS_PER_S)

    def update(self) -> None:
        if self.server_ready:
            if self.unavailable_since is not None and self._seen:
                self._node.get_logger().info('speech server is back')
            self.unavailable_since, self._seen = None, True
        elif self.unavailable_since is None:
            self.unavailable_since = self._now()
        if not self.server_ready and self._awaiting:
            self._node.get_logger().warning(
                f'speech server gone; {len(self._awaiting)} phrase(s) it was saying are lost; '
                'carrying on')
            for ticket in list(self._awaiting):
                self._finished(ticket)
        if self._awaiting:
            ticket, (sent_at, phrase) = next(iter(self._awaiting.items()))
            waited = self._now() - sent_at
            if waited > self.deadline(phrase.text):
                self._node.get_logger().warning(
                    f'no result from the speech server {waited:.0f} s after {phrase.label}; '
                    'carrying on')
                self._finished(ticket)
        self._send_unsent()

    def _send_unsent(self) -> None:
        if not self._unsent:
            return
        if not self.server_ready:
            now = self._now()
            if now - self._last_wait_log >= WAIT_LOG_PERIOD:
                self._last_wait_log = now
                self._node.get_logger().warning(
                    f'speech server "{self._action}" not available yet; {len(self._unsent)} '
                    f'phrase(s) waiting, next: {self._unsent[0].label}')
            return
        while self._unsent:
            phrase = self._unsent.popleft()
            self._awaiting[phrase.ticket] = (self._now(), phrase)
            goal = Speak.Goal(text=phrase.text, language=phrase.language, urgent=phrase.urgent)
            self._client.send_goal_async(goal).add_done_callback(
                lambda future, t=phrase.ticket: self._on_goal_response(t, future))

    def _on_goal_response(self, ticket: int, future) -> None:
        handle = future.result()
        if handle is None or not handle.accepted:
            self._node.get_logger().warning('speech server rejected a phrase; carrying on')
            self._finished(ticket)
            return
        if ticket not in self._awaiting:   # given up on or cancelled before it was accepted
            handle.cancel_goal_async()
            return
        self._handles[ticket] = handle
        handle.get_result_async().add_done_callback(
            lambda result_future: self._on_result(ticket, result_future))

    def _on_result(self, ticket: int, future) -> None:
        response = future.result()
        result = response.result if response is not None else None
        if result is None or not result.success:
            error = result.error if result is not None else 'no result'
            self._node.get_logger().warning(f'speech did not finish ({error}); carrying on')
        self._finished(ticket)

    def _finished(self, ticket: int) -> None:
        # a result for a phrase already given up on (overdue, server gone) ends nothing twice
        self._handles.pop(ticket, None)
        if self._awaiting.pop(ticket, None) is not None:
            self._on_finished(ticket)

    def _now(self) -> float:
        return self._node.get_clock().now().nanoseconds * 1e-9
