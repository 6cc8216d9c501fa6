"""Counting repetitions from a signal over time, with hysteresis (no ROS imports).

Direction `up` (the default): a repetition is rest → out → rest where rest is at or below
`down_threshold` and out is at or above `up_threshold` (an arm raise: the angle rises).
Direction `down`: rest is at or above `up_threshold` and out at or below `down_threshold`
(a squat or an elbow curl: the angle falls first). Between the thresholds nothing changes,
so jitter around either threshold cannot count twice.

Counting starts only after the person has held the rest (ready) position for
`ready_duration`, so getting into position is not a repetition. A repetition faster than
`min_rep_duration` (from the last rest sample before leaving to the first rest sample after
it) is a glitch and is not counted (a `TooFast` event). An excursion that leaves rest, gets
past the middle of the hysteresis band but not to the far threshold, and comes back is a
`Partial` repetition: not counted, reported with its peak so the coach can say "a little
higher". Missing samples (None, NaN) are skipped: they neither count nor break a repetition.

Options for small, noisy signals (heel raises): `smoothing` (s) is the time constant of an
exponential moving average applied before the thresholds; `baseline=True` makes the
thresholds offsets from the person's own rest level, measured as the mean signal while the
ready position was held (rest = within `down_threshold` of it, out = `up_threshold` beyond
it in the exercise's direction; ready = steady within a band of `down_threshold`).
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass

DIRECTIONS = ('up', 'down')


@dataclass(frozen=True)
class Rep:
    """One counted repetition."""

    number: int        # 1-based within the current set
    start: float       # time of the last rest sample before leaving rest
    end: float         # time of the first rest sample after the peak
    peak: float        # most extreme signal during the repetition (highest for `up`)
    up_at: float | None = None   # time the far threshold was first reached (e.g. standing)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Partial:
    """An excursion that did not reach the far threshold: not counted."""

    start: float
    end: float
    peak: float


@dataclass(frozen=True)
class TooFast:
    """A full excursion shorter than min_rep_duration: not counted."""

    start: float
    end: float
    peak: float


CounterEvent = Rep | Partial | TooFast


class Phase(enum.Enum):
    GETTING_READY = 'getting_ready'   # not yet held the rest position long enough
    DOWN = 'down'                     # ready, at rest (named for direction `up`)
    UP = 'up'                         # reached the far threshold; waiting to come back


def _finite_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f'{name} must be a finite number, got {value!r}')
    return float(value)


class RepCounter:
    def __init__(self, up_threshold: float, down_threshold: float,
                 min_rep_duration: float = 0.8, ready_duration: float = 0.5, *,
                 direction: str = 'up', smoothing: float = 0.0, baseline: bool = False):
        up_threshold = _finite_number('up_threshold', up_threshold)
        down_threshold = _finite_number('down_threshold', down_threshold)
        min_rep_duration = _finite_number('min_rep_duration', min_rep_duration)
        ready_duration = _finite_number('ready_duration', ready_duration)
        smoothing = _finite_number('smoothing', smoothing)
        if down_threshold >= up_threshold:
            raise ValueError(f'down_threshold ({down_threshold}) must be below '
                             f'up_threshold ({up_threshold})')
        if min_rep_duration < 0 or ready_duration < 0 or smoothing < 0:
            raise ValueError('durations must not be negative')
        if direction not in DIRECTIONS:
            raise ValueError(f'direction must be one of {DIRECTIONS}, got {direction!r}')
        if baseline and down_threshold < 0:
            raise ValueError('with baseline=True the thresholds are distances from the rest '
                             'level: down_threshold must not be negative')
        self.up_threshold = up_threshold
        self.down_threshold = down_threshold
        self.min_rep_duration = min_rep_duration
        self.ready_duration = ready_duration
        self.direction = direction
        self.smoothing = smoothing
        self.baseline = bool(baseline)
        # Internally the counter always works "upwards": a `down` exercise is mirrored.
        self._sign = 1.0 if direction == 'up' else -1.0
        if direction == 'up' or self.baseline:
            # Baseline mode: distances from the rest level, towards the movement.
            self._rest_level, self._far_level = down_threshold, up_threshold
        else:
            self._rest_level, self._far_level = -up_threshold, -down_threshold
        self.reset()

    def reset(self) -> None:
        """Start a new set (e.g. a new exercise): count 0, wait for the ready position."""
        self.reps: list[Rep] = []
        self.partials: list[Partial] = []
        self.too_fast: list[TooFast] = []
        self.phase = Phase.GETTING_READY
        self.rest_value: float | None = None   # the measured rest level (baseline mode)
        self._last_time: float | None = None
        self._smoothed: float | None = None
        self._ready_since: float | None = None
        self._ready_window: list[tuple[float, float]] = []
        self._last_rest_time: float | None = None
        self._peak = -math.inf
        self._up_at: float | None = None
        self._offset = 0.0   # baseline mode: subtracted from the mirrored signal

    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def rejected(self) -> int:
        """Excursions that came back too fast to be a repetition."""
        return len(self.too_fast)

    @property
    def up_since(self) -> float | None:
        """While at the far end of a repetition: when it got there; else None."""
        return self._up_at if self.phase is Phase.UP else None

    def update(self, t: float, value: float | None) -> Rep | None:
        """Feed one sample; returns the Rep if this sample completed one."""
        event = self.update_event(t, value)
        return event if isinstance(event, Rep) else None

    def update_event(self, t: float, value: float | None) -> CounterEvent | None:
        """Feed one sample; returns a Rep, Partial or TooFast if this sample ended one.

        Samples older than the previous one are ignored (out-of-order delivery).
        """
        if not math.isfinite(t):
            raise ValueError(f'sample time must be finite, got {t}')
        if self._last_time is not None and t < self._last_time:
            return None
        if value is None or not math.isfinite(value):
            return None
        previous = self._last_time
        self._last_time = t
        value = self._smooth(previous, t, float(value)) * self._sign
        if self.phase is Phase.GETTING_READY:
            self._getting_ready(t, value)
            return None
        value -= self._offset
        if self.phase is Phase.DOWN:
            if value <= self._rest_level:
                if self._peak > -math.inf:
                    return self._end_partial(t)
                self._last_rest_time = t
            elif value >= self._far_level:
                self.phase = Phase.UP
                self._peak = value
                self._up_at = t
            else:
                self._peak = max(self._peak, value) if self._peak > -math.inf else value
            return None
        # Phase.UP
        self._peak = max(self._peak, value)
        if value > self._rest_level:
            return None
        start, peak = self._last_rest_time, self._report(self._peak)
        self.phase = Phase.DOWN
        self._last_rest_time = t
        self._peak = -math.inf
        if t - start < self.min_rep_duration:
            event = TooFast(start, t, peak)
            self.too_fast.append(event)
            return event
        rep = Rep(number=self.count + 1, start=start, end=t, peak=peak, up_at=self._up_at)
        self.reps.append(rep)
        return rep

    # ---- helpers ------------------------------------------------------------------------

    def _smooth(self, previous: float | None, t: float, value: float) -> float:
        if self.smoothing <= 0 or self._smoothed is None or previous is None:
            self._smoothed = value
        else:
            alpha = 1.0 - math.exp(-(t - previous) / self.smoothing)
            self._smoothed += alpha * (value - self._smoothed)
        return self._smoothed

    def _getting_ready(self, t: float, value: float) -> None:
        if self.baseline:
            # Ready = steady: every sample of the last ready_duration within the rest band.
            self._ready_window.append((t, value))
            values = [v for _, v in self._ready_window]
            while max(values) - min(values) > self.down_threshold:
                self._ready_window.pop(0)
                values.pop(0)
            if t - self._ready_window[0][0] >= self.ready_duration:
                self._offset = sum(values) / len(values)
                self.rest_value = self._offset * self._sign
                self._enter_ready(t)
            return
        if value <= self._rest_level:
            if self._ready_since is None:
                self._ready_since = t
            if t - self._ready_since >= self.ready_duration:
                self._enter_ready(t)
        else:
            self._ready_since = None

    def _enter_ready(self, t: float) -> None:
        self.phase = Phase.DOWN
        self._last_rest_time = t
        self._peak = -math.inf

    def _partial_level(self) -> float:
        return 0.5 * (self._rest_level + self._far_level)

    def _end_partial(self, t: float) -> Partial | None:
        peak, start = self._peak, self._last_rest_time
        self._peak = -math.inf
        self._last_rest_time = t
        if peak < self._partial_level():
            return None    # a wobble just outside rest: not worth a remark
        event = Partial(start, t, self._report(peak))
        self.partials.append(event)
        return event

    def _report(self, mirrored_peak: float) -> float:
        return (mirrored_peak + self._offset) * self._sign
