"""One set of one exercise: frames in, counted repetitions out (no ROS imports).

`ExerciseTracker` measures the exercise's signal on each body side in every frame and feeds
its counter(s): one counter on the sides combined for exercises done with both sides at
once (arm raises, chair stands), one counter per side for one-sided exercises (marching,
knee extensions, heel slides), whose set counts both sides. The coach, `berntsen analyze`
and the benchmarks all count through this class.
"""
from __future__ import annotations

from dataclasses import replace

from .exercises import BodyFrame, Exercise, combine, side_signals
from .rep_counter import CounterEvent, Gap, Partial, Rep, RepCounter, TooFast


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
        values = {} if frame is None else side_signals(self.exercise, frame)
        if self.exercise.per_side:
            inputs = {name: values.get(name) for name in self.counters}
        else:
            inputs = {'': combine(self.exercise, values) if values else None}
        self.frames_with_signal += any(v is not None for v in inputs.values())
        events = []
        for name, counter in self.counters.items():
            event = counter.update(t, inputs[name])
            if isinstance(event, Rep):
                event = replace(event, number=self.count + 1)
                self.reps.append(event)
            if event is not None:
                events.append(event)
        return events
