"""One set of one exercise: frames in, counted repetitions out (no ROS imports).

`ExerciseTracker` measures the exercise's signal on each body side in every frame and feeds
its counter(s): one counter on the sides combined for exercises done with both sides at
once (arm raises, chair stands), one counter per side for one-sided exercises (marching,
knee extensions, heel slides), whose set counts both sides. One side moves at a time: seen
from the side, BlazePose mixes the legs up and both sides' signals move together, so of two
sides' repetitions at the same time only the one that moved further counts, once the other
side is back at rest. Heights above the feet are measured above where the feet have been
over the last FEET_WINDOW_S (the median): the feet stay put in chair stands and squats, and
BlazePose's ankles jitter by a tenth of a seated person's height where the legs hide them.
The coach, `berntsen analyze` and the benchmarks all count through this class.
"""
from __future__ import annotations

import statistics
from dataclasses import replace

from .exercises import BodyFrame, Exercise, ImageHeightSide, combine, feet_height, side_signals
from .rep_counter import CounterEvent, Gap, Partial, Rep, RepCounter, TooFast, overlapping

FEET_WINDOW_S = 2.0


class ExerciseTracker:
    """Counts one set; `goal` is the programme's prescribed goal (None: the typical one)."""

    def __init__(self, exercise: Exercise, goal: float | None = None):
        if goal is not None:
            exercise.check_goal(goal)
        self.exercise = exercise
        settings = exercise.counter_settings(goal)
        if exercise.per_side:
            self.counters = {side.name: RepCounter(settings, side.name) for side in exercise.sides}
        else:
            self.counters = {'': RepCounter(settings)}
        self.reps: list[Rep] = []   # numbered over both sides, in the order counted
        self._pending: list[tuple[str, Rep]] = []   # one side's, while another is moving
        self._feet = {side.name: [] for side in exercise.sides     # (t, height) of late
                      if isinstance(side, ImageHeightSide) and side.above}   # feet heights
        self.frames = self.frames_with_signal = 0

    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def count_by_side(self) -> dict[str, int]:
        """Counted repetitions per side ({'': n} for exercises done with both sides)."""
        return {name: counter.count for name, counter in self.counters.items()}

    @property
    def partials(self) -> list[Partial]:
        return self._merged('partials')

    @property
    def too_fast(self) -> list[TooFast]:
        return self._merged('too_fast')

    @property
    def gaps(self) -> list[Gap]:
        return self._merged('gaps')

    def _merged(self, kind: str) -> list:
        """One kind of event of every side, in time order."""
        return sorted((e for c in self.counters.values() for e in getattr(c, kind)),
                      key=lambda e: e.end)

    @property
    def up_since(self) -> float | None:
        """While a repetition is at its far end: since when (the earliest side)."""
        times = [c.up_since for c in self.counters.values() if c.up_since is not None]
        return min(times) if times else None

    def update(self, t: float, frame: BodyFrame | None) -> list[CounterEvent]:
        """Feed one frame (None: nobody seen); returns the events it ended, in order."""
        self.frames += 1
        values = ({} if frame is None
                  else side_signals(self.exercise, frame, self._feet_at(t, frame)))
        if self.exercise.per_side:
            inputs = {name: values.get(name) for name in self.counters}
        else:
            inputs = {'': combine(self.exercise, values) if values else None}
        self.frames_with_signal += any(v is not None for v in inputs.values())
        events = []
        for name, counter in self.counters.items():
            for event in counter.update(t, inputs[name]):
                if isinstance(event, Rep):
                    self._pending.append((name, event))
                else:
                    events.append(event)
        return events + self._settle()

    def get_ready_again(self) -> None:
        """She left her ready position (sat down in a standing set): what she did meanwhile
        is not a repetition; counting resumes once she holds the ready position again. The
        count and her learnt range stand."""
        self._pending.clear()
        for counter in self.counters.values():
            counter.get_ready_again()

    def _feet_at(self, t: float, frame: BodyFrame) -> dict[str, float]:
        """Each side's median feet height over the last FEET_WINDOW_S, this frame's included."""
        anchors = {}
        for side in self.exercise.sides:
            if side.name not in self._feet:
                continue
            samples = self._feet[side.name]
            height = feet_height(self.exercise, side, frame)
            if height is not None:
                samples.append((t, height))
            while samples and samples[0][0] < t - FEET_WINDOW_S:
                samples.pop(0)
            if samples:
                anchors[side.name] = statistics.median(h for _, h in samples)
        return anchors

    def _settle(self) -> list[Rep]:
        """Count the pending repetitions no moving side could still outdo (the further one of
        two at the same time; one that overlaps a counted repetition of another side is
        that side's movement seen twice)."""
        ready = [(name, rep) for name, rep in self._pending
                 if not any(c.moving for other, c in self.counters.items() if other != name)]
        counted = []
        for name, rep in sorted(ready, key=lambda item: item[1].end):
            self._pending.remove((name, rep))
            counter = self.counters[name]
            span = (rep.start, rep.end)
            rivals = [(other, r) for other, r in self._pending
                      if other != name and overlapping(span, (r.start, r.end))]
            if (any(r.side != rep.side and overlapping(span, (r.start, r.end)) for r in self.reps)
                    or any(self.counters[other].range.reach(r.peak) > counter.range.reach(rep.peak)
                           for other, r in rivals)):
                counter.discard(rep)
                continue
            for other, c in self.counters.items():
                if other != name:
                    c.forget_attempts(rep.start, rep.end)
            rep = replace(rep, number=self.count + 1)
            self.reps.append(rep)
            counted.append(rep)
        return counted
