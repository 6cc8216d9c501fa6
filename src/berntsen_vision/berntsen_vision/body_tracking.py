"""Give the tracked body a stable id (REP 155 style); no rclpy.

BlazePose follows one person, so there is at most one body. Its id stays the same while
the person is detected and through misses shorter than the grace period; after a longer
loss the next detection gets a new id, so a consumer never mixes two people's histories.
"""
from __future__ import annotations

import random
import string
from typing import Callable


def random_body_id(rng: random.Random = random.SystemRandom()) -> str:
    """Five random lowercase letters, the id form REP 155 examples and hri_fullbody use."""
    return ''.join(rng.choice(string.ascii_lowercase) for _ in range(5))


class BodyTracker:
    """Track one body's id from per-frame detections."""

    def __init__(self, grace_s: float = 0.5, new_id: Callable[[], str] = random_body_id):
        if grace_s < 0.0:
            raise ValueError(f'grace_s must not be negative, got {grace_s}')
        self.grace_s = grace_s
        self._new_id = new_id
        self._body_id: str | None = None
        self._last_seen = 0.0

    @property
    def body_id(self) -> str | None:
        """The id of the tracked body, or None when nobody is tracked."""
        return self._body_id

    def update(self, detected: bool, now_s: float) -> str | None:
        """Record one frame's result at time `now_s` (seconds, monotonic); returns the current id."""
        self.expire(now_s)
        if detected:
            if self._body_id is None:
                self._body_id = self._new_id()
            self._last_seen = now_s
        return self._body_id

    def expire(self, now_s: float) -> bool:
        """Drop the body if unseen for longer than the grace period; True if it was dropped."""
        if self._body_id is not None and now_s - self._last_seen > self.grace_s:
            self._body_id = None
            return True
        return False
