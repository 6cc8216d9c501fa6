"""Counting repetitions from a signal over time, with hysteresis (no ROS imports).

A repetition is down → up → down: the signal rises from at or below `down_threshold`
to at or above `up_threshold` and falls back to at or below `down_threshold`. Between the
thresholds nothing changes, so jitter around either threshold cannot count twice.
Counting starts only after the person has held the down (ready) position for
`ready_duration`, so getting into position is not a repetition. A repetition faster than
`min_rep_duration` (from the last down sample before the rise to the first down sample
after it) is a glitch and is not counted. Missing samples (None) are skipped: they neither
count nor break a repetition in progress.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Rep:
    """One counted repetition."""

    number: int        # 1-based within the current set
    start: float       # time of the last down sample before the rise
    end: float         # time of the first down sample after the peak
    peak: float        # highest signal during the repetition (for feedback on range)

    @property
    def duration(self) -> float:
        return self.end - self.start


class Phase(enum.Enum):
    GETTING_READY = 'getting_ready'   # not yet held the down position long enough
    DOWN = 'down'                     # ready; waiting for the rise
    UP = 'up'                         # crossed up_threshold; waiting to come back down


class RepCounter:
    def __init__(self, up_threshold: float, down_threshold: float,
                 min_rep_duration: float = 0.8, ready_duration: float = 0.5):
        for name, value in (('up_threshold', up_threshold), ('down_threshold', down_threshold),
                            ('min_rep_duration', min_rep_duration),
                            ('ready_duration', ready_duration)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):
                raise TypeError(f'{name} must be a finite number, got {value!r}')
        if down_threshold >= up_threshold:
            raise ValueError(f'down_threshold ({down_threshold}) must be below '
                             f'up_threshold ({up_threshold})')
        if min_rep_duration < 0 or ready_duration < 0:
            raise ValueError('durations must not be negative')
        self.up_threshold = float(up_threshold)
        self.down_threshold = float(down_threshold)
        self.min_rep_duration = float(min_rep_duration)
        self.ready_duration = float(ready_duration)
        self.reset()

    def reset(self) -> None:
        """Start a new set (e.g. a new exercise): count 0, wait for the ready position."""
        self.reps: list[Rep] = []
        self.rejected = 0            # rises that came down too fast to be a repetition
        self.phase = Phase.GETTING_READY
        self._last_time: float | None = None
        self._ready_since: float | None = None
        self._last_down_time: float | None = None
        self._peak = -math.inf

    @property
    def count(self) -> int:
        return len(self.reps)

    def update(self, t: float, value: float | None) -> Rep | None:
        """Feed one sample; returns the Rep if this sample completed one.

        Samples older than the previous one are ignored (out-of-order delivery).
        """
        if not math.isfinite(t):
            raise ValueError(f'sample time must be finite, got {t}')
        if self._last_time is not None and t < self._last_time:
            return None
        if value is None or not math.isfinite(value):
            return None
        self._last_time = t
        if self.phase is Phase.GETTING_READY:
            if value <= self.down_threshold:
                if self._ready_since is None:
                    self._ready_since = t
                self._last_down_time = t
                if t - self._ready_since >= self.ready_duration:
                    self.phase = Phase.DOWN
            else:
                self._ready_since = None
            return None
        if self.phase is Phase.DOWN:
            if value <= self.down_threshold:
                self._last_down_time = t
            elif value >= self.up_threshold:
                self.phase = Phase.UP
                self._peak = value
            return None
        # Phase.UP
        self._peak = max(self._peak, value)
        if value > self.down_threshold:
            return None
        start = self._last_down_time
        self.phase = Phase.DOWN
        self._last_down_time = t
        if t - start < self.min_rep_duration:
            self.rejected += 1
            return None
        rep = Rep(number=self.count + 1, start=start, end=t, peak=self._peak)
        self.reps.append(rep)
        return rep
