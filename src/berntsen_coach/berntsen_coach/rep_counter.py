"""Counting repetitions of one body signal over time, relative to the person's own range.

No ROS imports. A repetition goes from the person's rest position towards a goal and back.
The counter works in *progress*: 0 at the person's rest level, 1 at the goal, whichever way
the signal moves (an elbow angle falls during a curl, a shoulder angle rises during an arm
raise). So one rule serves every exercise, every viewpoint and every body:

- **Rest is learnt from the person**: counting starts only after she has been in the rest
  position for `ready_duration`: on the rest side of the range (progress at most
  `ready_limit` from the library's typical rest), so getting into position (sitting down
  before chair stands, lowering the arms) is never a repetition. Her rest level is the
  median of that window, then of her recent samples at rest (she may settle differently
  between repetitions); settled half a range or more beyond it, she is ready again only
  once her new rest position is learnt. People start soon after they are told, so being
  still is not asked for. Someone whose rest reads unlike the typical one (a 3D estimate
  that sees a straight knee as bent) becomes ready by holding still (within `still_band`
  of the range) for STILL_READY_S anywhere short of the counting threshold. A `relative`
  signal (one whose level depends on where the person stands, not how) is ready only that
  way, after `ready_duration`. People start as soon as they are told, often before the
  counter knows where they rest: once it does, what she did while it was getting ready
  is judged too, if it began at that rest level. A round trip from her rest to the goal
  and back is a repetition; getting into position is not (it does not start at rest).
- **The goal** is the programme's prescribed range where a physiotherapist set one (kept
  as it is: reaching it is the point). Else it is the exercise's typical goal until she
  shows her own range: the median reach of her last LEARN_ATTEMPTS attempts (excursions
  past `partial_at` lasting `min_rep_duration`, counted or not) over TYPICAL_REACH (her
  usual repetition is not her best). One counted repetition beyond the typical goal raises
  it (half repetitions of a strong person do not count either); two attempts are needed
  to lower it, never below MIN_LEARNT_SHARE of the typical range, nor, once repetitions
  were counted, so far that one reaching less than SHOWN_REACH of theirs would count. When it is
  lowered, her earlier attempts that reach the new threshold count after all (a stiff
  shoulder's raises were her repetitions, not failures; a camera that sees a movement
  foreshortened does too).
- A repetition counts when progress reaches `count_at` and comes back to `return_at`;
  between the two nothing changes (hysteresis), so jitter cannot count twice. An
  excursion that passes `partial_at` but not `count_at` is a `Partial` (not counted,
  reported for a cue); one faster than `min_rep_duration` is `TooFast` (a glitch).
- **Gaps**: frames without a signal (None, NaN: a limb out of view, a missed detection)
  are skipped and the phase is kept for up to `max_gap` seconds. A longer gap is reported
  once as a `Gap`; an unfinished repetition across it is dropped and the person must hold
  still again before counting resumes (what happened unseen is not counted).
"""
from __future__ import annotations

import enum
import math
import statistics
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Rep:
    """One counted repetition."""

    number: int        # 1-based within the set (over both sides for one-sided exercises)
    start: float       # time of the last rest sample before leaving rest
    end: float         # time of the first rest sample after the peak
    peak: float        # the signal's most extreme value, in the signal's unit
    up_at: float | None = None   # time the counting threshold was first reached
    side: str = ''     # 'left' or 'right' for one-sided exercises, '' otherwise
    progress: float = 1.0        # peak as a share of the way from rest to the goal

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Partial:
    """An excursion that did not reach the counting threshold: not counted."""

    start: float
    end: float
    peak: float
    side: str = ''
    progress: float = 0.0


@dataclass(frozen=True)
class TooFast:
    """A full excursion shorter than min_rep_duration: not counted."""

    start: float
    end: float
    peak: float
    side: str = ''
    progress: float = 1.0


@dataclass(frozen=True)
class Gap:
    """No signal for longer than max_gap; an unfinished repetition was dropped."""

    start: float   # time of the last sample before the gap
    end: float     # time of the first sample after it
    side: str = ''


CounterEvent = Rep | Partial | TooFast | Gap


# The learnt rest level follows the median of the rest samples of the last REST_WINDOW_S
# seconds; only samples this close to rest (progress) count, so the start of a rise does not.
REST_WINDOW_S = 3.0
REST_SAMPLE_PROGRESS = 0.15
# Further than this (progress) beyond the rest, away from the goal, the person has taken
# another rest position (stood still, then sat down for chair stands): learn it anew.
REST_LOST_PROGRESS = 0.5
# Held this still for this long (s) short of the counting threshold, a person is ready.
STILL_READY_S = 1.0
# Samples kept while getting ready (s), judged once her rest is known: she may have begun
# her first repetition before the counter knew where she rests.
LOOK_BACK_S = 10.0
# Her own range: the median reach (share of the typical range) of this many recent
# attempts; it is never taken below this share of the typical range (counting at 0.7 of
# it is just over half the typical range: half a movement never counts).
LEARN_ATTEMPTS = 5
MIN_LEARNT_SHARE = 0.75
# A typical repetition reaches about this share of the person's full range: her median
# attempt is not her best, and a repetition counts at `count_at` of her full range.
TYPICAL_REACH = 0.9
# once counted, her repetitions show her range: one reaching this share of them counts
SHOWN_REACH = 0.7


def overlapping(a: tuple[float, float], b: tuple[float, float], share: float = 0.5) -> bool:
    """Whether two time spans share at least `share` of the shorter one."""
    common = min(a[1], b[1]) - max(a[0], b[0])
    return common > 0 and common >= share * min(a[1] - a[0], b[1] - b[0])


class Phase(enum.Enum):
    GETTING_READY = 'getting_ready'   # not yet held the rest position long enough
    REST = 'rest'                     # ready, at (or near) rest
    OUT = 'out'                       # reached the counting threshold; waiting to come back


def _finite(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f'{name} must be a finite number, got {value!r}')
    return float(value)


@dataclass(frozen=True)
class CounterSettings:
    """How a repetition is judged; shares are of the way from rest to the goal."""

    rest: float                  # typical rest level (signal unit)
    goal: float                  # typical or prescribed goal (signal unit)
    count_at: float = 0.7        # progress that counts a repetition
    return_at: float = 0.3       # progress back at rest that ends one
    partial_at: float = 0.4      # progress that makes an uncounted excursion a Partial
    ready_limit: float = 0.35    # the ready position lies at most this far from `rest`
    still_band: float = 0.12     # still = within this share of the range
    min_rep_duration: float = 0.8
    ready_duration: float = 0.5
    smoothing: float = 0.0       # s, exponential smoothing before judging
    max_gap: float = 1.0         # s without signal that keeps the phase
    learn_goal: bool = True      # raise the goal to the person's own range
    relative: bool = False       # rest and goal only say how far apart they are (a signal
                                 # whose level depends on where the person is, not how)
    ratio: bool = False          # relative: goal / rest is the ratio to the person's rest

    def __post_init__(self):
        for name in ('rest', 'goal', 'count_at', 'return_at', 'partial_at', 'ready_limit',
                     'still_band', 'min_rep_duration', 'ready_duration', 'smoothing', 'max_gap'):
            _finite(name, getattr(self, name))
        if self.rest == self.goal:
            raise ValueError(f'rest and goal must differ, both are {self.rest}')
        if self.ratio and not (self.relative and self.rest > 0 and self.goal > 0):
            raise ValueError('a ratio needs a relative signal and a positive rest and goal')
        if not 0.0 < self.return_at < self.partial_at <= self.count_at <= 1.0:
            raise ValueError('need 0 < return_at < partial_at <= count_at <= 1, got '
                             f'{self.return_at}, {self.partial_at}, {self.count_at}')
        if not 0.0 < self.ready_limit < self.count_at:
            raise ValueError(f'ready_limit must be in (0, count_at), got {self.ready_limit}')
        if not 0.0 < self.still_band < 1.0:
            raise ValueError(f'still_band must be in (0, 1), got {self.still_band}')
        if min(self.min_rep_duration, self.ready_duration, self.smoothing, self.max_gap) < 0:
            raise ValueError('durations must not be negative')

    @property
    def direction(self) -> float:
        """+1 when the signal rises towards the goal, -1 when it falls."""
        return 1.0 if self.goal > self.rest else -1.0


class ReadyPosition:
    """Waits for the person to be ready to count (see the module docstring): in the typical
    rest zone for `ready_duration`, or still short of the counting threshold."""

    def __init__(self, settings: CounterSettings):
        self.settings = settings
        self._window: list[tuple[float, float]] = []   # still samples
        self._zone: list[tuple[float, float]] = []     # samples in the typical rest zone

    def update(self, t: float, value: float) -> float | None:
        """Feed one sample; once she is ready, returns her rest level."""
        s = self.settings
        if s.ratio and value <= 0:
            self._window = []     # a ratio to a level at or below zero means nothing
            return None
        typical_progress = (value - s.rest) / (s.goal - s.rest)
        if not s.relative and typical_progress <= s.ready_limit:
            self._window = []     # in the rest position: being still is not needed
            self._zone.append((t, value))
            if t - self._zone[0][0] >= s.ready_duration:
                return statistics.median(v for _, v in self._zone)
            return None
        self._zone = []
        if not s.relative and typical_progress >= s.count_at:
            self._window = []
            return None
        self._window.append((t, value))
        values = [v for _, v in self._window]
        band = s.still_band * abs(s.goal - s.rest)
        if s.ratio:
            band *= abs(value) / s.rest
        while max(values) - min(values) > band:
            self._window.pop(0)
            values.pop(0)
        still_for = s.ready_duration if s.relative else max(STILL_READY_S, s.ready_duration)
        if t - self._window[0][0] >= still_for:
            return statistics.median(values)
        return None


class OwnRange:
    """Where her rest and her goal lie (see the module docstring): the typical or prescribed
    range until she shows her own."""

    def __init__(self, settings: CounterSettings):
        self.settings = settings
        self.rest_value: float | None = None   # her rest level, once learnt
        self.goal_value = settings.goal
        self.share = 1.0                       # her own range, as a share of the typical one
        self._reaches: list[tuple[float, float, float]] = []   # (start, end, reach) of attempts

    @property
    def rest(self) -> float:
        """Her rest level once learnt, the typical one before."""
        return self.settings.rest if self.rest_value is None else self.rest_value

    def progress(self, value: float) -> float:
        """Share of the way from her rest (or the typical rest) to the goal."""
        if self.goal_value == self.rest:
            return 0.0
        return (value - self.rest) / (self.goal_value - self.rest)

    def reach(self, value: float) -> float:
        """How far `value` lies from her rest, as a share of the typical (or prescribed) range."""
        return (value - self.rest) / (self._base_goal() - self.rest)

    def settle(self, rest: float) -> None:
        """She is ready at this rest level."""
        self.rest_value = rest
        if self.settings.relative:   # her own place: the level is new, her range is not
            self.goal_value = self._own_goal()

    def forget(self, start: float, end: float) -> None:
        self._reaches = [a for a in self._reaches if not overlapping((a[0], a[1]), (start, end))]

    def learn(self, start: float, end: float, peak: float, counted_peaks: list[float]) -> bool:
        """Add one attempt (`counted_peaks`: of her counted repetitions so far); whether
        the goal came down past where it was, so that earlier attempts may count."""
        self._reaches.append((start, end, self.reach(peak)))
        recent = [share for *_, share in self._reaches[-LEARN_ATTEMPTS:]]
        own = statistics.median(recent) / TYPICAL_REACH
        floor = self._shown_floor(counted_peaks)
        if own > 1.0 and counted_peaks:
            self.share = max(own, floor)
        elif len(recent) >= 2:
            self.share = max(own, MIN_LEARNT_SHARE, floor)
        else:
            return False
        before = self.goal_value
        self.goal_value = self._own_goal()
        return self.progress(before) > 1.0

    def _shown_floor(self, counted_peaks: list[float]) -> float:
        """The least share her goal may fall to once repetitions were counted: one reaching
        SHOWN_REACH of what they reached still counts, one well short of it (she hesitated,
        she tired) is a partial, and she is told "higher"."""
        if not counted_peaks:
            return 0.0
        shown = statistics.median(self.reach(peak) for peak in counted_peaks)
        return SHOWN_REACH * shown / self.settings.count_at

    def _base_goal(self) -> float:
        """The typical or prescribed goal; for a relative signal, from her rest."""
        s = self.settings
        if s.relative and self.rest_value is not None:
            if s.ratio:
                return self.rest_value * s.goal / s.rest
            return self.rest_value + (s.goal - s.rest)
        return s.goal

    def _own_goal(self) -> float:
        """The goal at her learnt share of the typical range, from her rest."""
        return self.rest + self.share * (self._base_goal() - self.rest)


class RepCounter:
    """Counts one signal's repetitions (see the module docstring)."""

    def __init__(self, settings: CounterSettings, side: str = ''):
        self.settings = settings
        self.side = side
        self.reset()

    def reset(self) -> None:
        """Start a new set: count 0, wait for the ready position."""
        self.reps: list[Rep] = []
        self.partials: list[Partial] = []
        self.too_fast: list[TooFast] = []
        self.gaps: list[Gap] = []
        self.range = OwnRange(self.settings)
        self._last_time: float | None = None   # last sample with a value
        self._smoothed: float | None = None
        self._restart_ready()

    def get_ready_again(self) -> None:
        """Forget the movement under way and wait for the ready position again; the count,
        her rest level and her range stay."""
        self._restart_ready()
        self._smoothed = None

    def _restart_ready(self) -> None:
        self.phase = Phase.GETTING_READY
        self._ready = ReadyPosition(self.settings)
        self._before_ready: list[tuple[float, float]] = []   # samples while getting ready
        self._rest_samples: list[tuple[float, float]] = []  # recent samples at rest
        self._last_rest_time: float | None = None
        self._peak: float | None = None
        self._up_at: float | None = None

    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def moving(self) -> bool:
        """Out of the rest position, in a repetition or an attempt at one."""
        return self._peak is not None

    def discard(self, rep: Rep) -> None:
        """Take back a counted repetition: another side made it."""
        kept = (r for r in self.reps if (r.start, r.end) != (rep.start, rep.end))
        self.reps = [replace(r, number=i + 1) for i, r in enumerate(kept)]
        self.forget_attempts(rep.start, rep.end)

    def forget_attempts(self, start: float, end: float) -> None:
        """Attempts between these times were another side's: they say nothing of her range."""
        self.range.forget(start, end)

    @property
    def up_since(self) -> float | None:
        """While out at the far end of a repetition: when it got there; else None."""
        return self._up_at if self.phase is Phase.OUT else None

    def progress(self, value: float) -> float:
        return self.range.progress(value)

    def update(self, t: float, value: float | None) -> list[CounterEvent]:
        """Feed one sample (None or NaN: no signal in this frame); returns the events it ended.

        Usually none or one; when her own range turns out lower than the goal, the earlier
        attempts that count after all come too, as Reps in time order. Samples older than
        the last one are ignored (out-of-order delivery).
        """
        if not math.isfinite(t):
            raise ValueError(f'sample time must be finite, got {t}')
        if self._last_time is not None and t < self._last_time:
            return []
        if value is None or not math.isfinite(value):
            return []
        events: list[CounterEvent] = []
        if self._last_time is not None and t - self._last_time > self.settings.max_gap:
            gap = Gap(self._last_time, t, self.side)
            self.gaps.append(gap)
            events.append(gap)
            self._smoothed = None
            self._restart_ready()   # what was seen before the gap says nothing now
        previous, self._last_time = self._last_time, t
        value = self._smooth(previous, t, float(value))
        if self.phase is Phase.GETTING_READY:
            self._before_ready.append((t, value))
            while t - self._before_ready[0][0] > LOOK_BACK_S:
                self._before_ready.pop(0)
            rest = self._ready.update(t, value)
            if rest is not None:
                self.range.settle(rest)
                events += self._look_back()
            return events
        return events + self._judged(t, value)

    def _judged(self, t: float, value: float) -> list[CounterEvent]:
        """Judge one sample once ready: the events it ends, with any it makes count after all."""
        event = self._judge(t, value)
        if isinstance(event, (Rep, Partial)):
            return self._learn_goal(event)
        return [] if event is None else [event]

    def _look_back(self) -> list[CounterEvent]:
        """Now that her rest is known, judge the samples seen while she got ready, from the
        first one on, if she was at rest then (see the module docstring)."""
        samples, self._before_ready = self._before_ready, []
        self.phase = Phase.REST
        progress = [self.progress(value) for _, value in samples]
        if progress[0] > self.settings.return_at or min(progress) < -REST_LOST_PROGRESS:
            self._last_rest_time = samples[-1][0]   # getting into position, or settled
            return []                               # elsewhere first: judged from now on
        self._last_rest_time = samples[0][0]
        return [event for t, value in samples for event in self._judged(t, value)]

    # ---- helpers ------------------------------------------------------------------------

    def _smooth(self, previous: float | None, t: float, value: float) -> float:
        if self.settings.smoothing <= 0 or self._smoothed is None or previous is None:
            self._smoothed = value
        else:
            alpha = 1.0 - math.exp(-(t - previous) / self.settings.smoothing)
            self._smoothed += alpha * (value - self._smoothed)
        return self._smoothed

    def _follow_rest(self, t: float, value: float) -> None:
        """The person may settle somewhat differently between repetitions: follow her."""
        self._rest_samples.append((t, value))
        while t - self._rest_samples[0][0] > REST_WINDOW_S:
            self._rest_samples.pop(0)
        if len(self._rest_samples) >= 5:
            self.range.rest_value = statistics.median(v for _, v in self._rest_samples)

    def _judge(self, t: float, value: float) -> CounterEvent | None:
        s = self.settings
        p = self.progress(value)
        if self.phase is Phase.REST:
            if p <= s.return_at:
                if self._peak is not None:
                    return self._end_excursion(t)
                if p <= REST_SAMPLE_PROGRESS:   # a repetition lasts from leaving rest, not
                    self._last_rest_time = t    # from passing return_at on the way out
                if p < -REST_LOST_PROGRESS:
                    self._restart_ready()   # settled far from the goal: a new rest position
                elif not s.relative and p <= REST_SAMPLE_PROGRESS:
                    self._follow_rest(t, value)
            elif p >= s.count_at:
                self.phase = Phase.OUT
                self._up_at = t
                self._peak = value if self._peak is None else self._further(self._peak, value)
            else:
                self._peak = value if self._peak is None else self._further(self._peak, value)
            return None
        self._peak = self._further(self._peak, value)
        if p > s.return_at:
            return None
        start, peak, up_at = self._last_rest_time, self._peak, self._up_at
        self.phase = Phase.REST
        self._last_rest_time = t
        self._peak = None
        if t - start < s.min_rep_duration:
            event = TooFast(start, t, peak, self.side, self.progress(peak))
            self.too_fast.append(event)
            return event
        rep = Rep(self.count + 1, start, t, peak, up_at, self.side, self.progress(peak))
        self.reps.append(rep)
        return rep

    def _further(self, a: float, b: float) -> float:
        """Of two values, the one further towards the goal."""
        return max(a, b) if self.settings.direction > 0 else min(a, b)

    def _end_excursion(self, t: float) -> Partial | None:
        peak, start = self._peak, self._last_rest_time
        self._peak = None
        self._last_rest_time = t
        progress = self.progress(peak)
        if progress < self.settings.partial_at:
            return None    # a wobble just outside rest: not worth a remark
        event = Partial(start, t, peak, self.side, progress)
        self.partials.append(event)
        return event

    def _learn_goal(self, event: Rep | Partial) -> list[CounterEvent]:
        """Her own range from her attempts (see the module docstring); the events to report:
        `event`, and the earlier attempts that count under a lowered goal, in time order."""
        if not self.settings.learn_goal or event.end - event.start < self.settings.min_rep_duration:
            return [event]    # a glitch says nothing about her range
        if not self.range.learn(event.start, event.end, event.peak, [r.peak for r in self.reps]):
            return [event]
        recounted = self._recount()
        kept = [event] if isinstance(event, Rep) or event in self.partials else []
        return sorted(recounted + kept, key=lambda e: e.end)

    def _recount(self) -> list[Rep]:
        """Partial attempts that reach the lowered goal's threshold become repetitions."""
        s = self.settings
        counted = [p for p in self.partials if self.progress(p.peak) >= s.count_at
                   and p.end - p.start >= s.min_rep_duration]
        if not counted:
            return []
        self.partials = [p for p in self.partials if p not in counted]
        new = {(p.start, p.end) for p in counted}
        ordered = sorted(self.reps + [Rep(0, p.start, p.end, p.peak, None, self.side,
                                          self.progress(p.peak)) for p in counted],
                         key=lambda r: r.end)
        self.reps = [replace(r, number=i + 1) for i, r in enumerate(ordered)]
        return [r for r in self.reps if (r.start, r.end) in new]
