"""Count an exercise's repetitions over recorded landmarks (no rclpy, no video decoding).

`berntsen analyze VIDEO --exercise NAME` feeds this the landmarks BlazePose found in each
frame; the counting is the same ExerciseTracker the coach uses live.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .counting import ExerciseTracker
from .exercises import BodyFrame, Exercise
from .rep_counter import Gap, Partial, Rep, TooFast


@dataclass(frozen=True)
class OfflineCount:
    exercise: str
    repetitions: tuple[Rep, ...]
    partial: tuple[Partial, ...]       # attempts that did not reach the threshold
    too_fast: tuple[TooFast, ...]
    gaps: tuple[Gap, ...]              # stretches without signal longer than max_gap
    by_side: dict[str, int]
    frames_with_signal: int
    frames: int
    unit: str = 'degrees'

    def as_dict(self) -> dict:
        return {
            'exercise': self.exercise,
            'count': len(self.repetitions),
            'count_by_side': {side or 'both': n for side, n in self.by_side.items()},
            'unit': self.unit,
            'repetitions': [{'number': r.number, 'side': r.side or 'both',
                             'start_s': round(r.start, 3), 'end_s': round(r.end, 3),
                             'peak': round(r.peak, 3), 'progress': round(r.progress, 2)}
                            for r in self.repetitions],
            'partial_repetitions': [{'side': p.side or 'both', 'start_s': round(p.start, 3),
                                     'end_s': round(p.end, 3), 'peak': round(p.peak, 3),
                                     'progress': round(p.progress, 2)} for p in self.partial],
            'too_fast_repetitions': len(self.too_fast),
            'gaps': [{'side': g.side or 'both', 'start_s': round(g.start, 3), 'end_s': round(g.end, 3)}
                     for g in self.gaps],
            'frames_with_signal': self.frames_with_signal,
            'frames': self.frames,
        }


def count_repetitions(exercise: Exercise, frames: Iterable[tuple[float, object]],
                      image_width: int, image_height: int,
                      prescribed: float | None = None) -> OfflineCount:
    """Count over (time_s, landmarks) frames. Landmarks are anything with `image` and
    `world` (33, 4) arrays (PoseEstimator's PoseLandmarks), a bare (33, 4) image array (no
    3D: only image signals can be measured), or None where nobody was found. `prescribed`
    is a goal set for this patient (in the exercise's unit), or None."""
    tracker = ExerciseTracker(exercise, prescribed)
    for t, landmarks in frames:
        frame = None
        if landmarks is not None:
            frame = BodyFrame.from_arrays(getattr(landmarks, 'image', landmarks),
                                          getattr(landmarks, 'world', None),
                                          image_width, image_height)
        tracker.update(t, frame)
    return OfflineCount(exercise.name, tuple(tracker.reps), tuple(tracker.partials),
                        tuple(tracker.too_fast), tuple(tracker.gaps), tracker.count_by_side,
                        tracker.frames_with_signal, tracker.frames, exercise.unit)


def format_count(result: OfflineCount) -> str:
    sides = ''
    if len(result.by_side) > 1:
        sides = ' (' + ', '.join(f'{side} {n}' for side, n in result.by_side.items()) + ')'
    lines = [f'{result.exercise}: {len(result.repetitions)} repetitions{sides} '
             f'(signal in {result.frames_with_signal} of {result.frames} frames)']
    for rep in result.repetitions:
        side = f'  {rep.side}' if rep.side else ''
        lines.append(f'  {rep.number:>3}  {rep.start:7.2f} s – {rep.end:7.2f} s  '
                     f'peak {rep.peak:.1f} {result.unit}{side}')
    if result.partial:
        lines.append('  partial attempts (not counted): '
                     + ', '.join(f'{p.start:.1f}–{p.end:.1f} s' for p in result.partial))
    for gap in result.gaps:
        lines.append(f'  no signal {gap.start:.1f}–{gap.end:.1f} s: counting restarted after it')
    return '\n'.join(lines)
