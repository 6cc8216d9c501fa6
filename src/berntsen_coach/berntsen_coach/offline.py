"""Count an exercise's repetitions over recorded landmarks (no rclpy, no video decoding).

`berntsen analyze VIDEO --exercise NAME` feeds this the landmarks BlazePose found in each
frame; the counting is the same exercise signal and counter the coach uses live.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .exercises import Exercise, exercise_signal
from .rep_counter import Partial, Rep, TooFast


@dataclass(frozen=True)
class OfflineCount:
    exercise: str
    repetitions: tuple[Rep, ...]
    partial: tuple[Partial, ...]       # attempts that did not reach the threshold
    too_fast: tuple[TooFast, ...]
    frames_with_signal: int
    frames: int

    def as_dict(self) -> dict:
        return {
            'exercise': self.exercise,
            'count': len(self.repetitions),
            'repetitions': [{'number': r.number, 'start_s': round(r.start, 3),
                             'end_s': round(r.end, 3), 'peak': round(r.peak, 3)}
                            for r in self.repetitions],
            'partial_repetitions': [{'start_s': round(p.start, 3), 'end_s': round(p.end, 3),
                                     'peak': round(p.peak, 3)} for p in self.partial],
            'too_fast_repetitions': len(self.too_fast),
            'frames_with_signal': self.frames_with_signal,
            'frames': self.frames,
        }


def count_repetitions(exercise: Exercise,
                      frames: Iterable[tuple[float, Sequence[Sequence[float]] | None]],
                      image_width: int, image_height: int) -> OfflineCount:
    """Count over (time_s, landmarks) frames; landmarks are 33 (x, y, z, visibility) rows,
    or None where nobody was found."""
    counter = exercise.new_counter()
    reps, partial, too_fast = [], [], []
    with_signal = total = 0
    for t, landmarks in frames:
        total += 1
        value = None
        if landmarks is not None:
            value = exercise_signal(exercise, [(x, y, v) for x, y, _, v in landmarks],
                                    image_width, image_height,
                                    depths=[z for _, _, z, _ in landmarks])
        with_signal += value is not None
        event = counter.update_event(t, value)
        if isinstance(event, Rep):
            reps.append(event)
        elif isinstance(event, Partial):
            partial.append(event)
        elif isinstance(event, TooFast):
            too_fast.append(event)
    return OfflineCount(exercise.name, tuple(reps), tuple(partial), tuple(too_fast),
                        with_signal, total)


def format_count(result: OfflineCount) -> str:
    lines = [f'{result.exercise}: {len(result.repetitions)} repetitions '
             f'(signal in {result.frames_with_signal} of {result.frames} frames)']
    for rep in result.repetitions:
        lines.append(f'  {rep.number:>3}  {rep.start:7.2f} s – {rep.end:7.2f} s  peak {rep.peak:.1f}')
    if result.partial:
        lines.append(f'  partial attempts (not counted): '
                     + ', '.join(f'{p.start:.1f}–{p.end:.1f} s' for p in result.partial))
    return '\n'.join(lines)
