"""Offline counting over recorded landmarks: the coach's counter on (time, landmarks) frames."""
from pathlib import Path

from berntsen_coach.exercises import load_exercises
from berntsen_coach.offline import count_repetitions, format_count
from coach_synthetic import HEIGHT, WIDTH, arm_skeleton, rep_signal

ARM_RAISE = load_exercises(Path(__file__).resolve().parent.parent / 'config' / 'exercises.yaml')['arm_raise']


def frames_of(samples, drop_every=0):
    frames = []
    for i, (t, angle) in enumerate(samples):
        if drop_every and i % drop_every == 0:
            frames.append((t, None))   # nobody found in this frame
        else:
            frames.append((t, [(x, y, 0.0, v) for x, y, v in arm_skeleton(angle)]))
    return frames


def test_counts_every_raise_with_its_times():
    result = count_repetitions(ARM_RAISE, frames_of(rep_signal(5, noise=3.0)), WIDTH, HEIGHT)
    assert len(result.repetitions) == 5
    assert [r.number for r in result.repetitions] == [1, 2, 3, 4, 5]
    assert all(r.start < r.end for r in result.repetitions)
    text = format_count(result)
    assert text.startswith('arm_raise: 5 repetitions') and result.as_dict()['count'] == 5


def test_missed_frames_and_partial_raises():
    full = rep_signal(3, noise=2.0)
    low = rep_signal(2, high=80.0, start=full[-1][0] + 0.1)   # never reaches the threshold
    result = count_repetitions(ARM_RAISE, frames_of(full + low, drop_every=7), WIDTH, HEIGHT)
    assert len(result.repetitions) == 3
    assert len(result.partial) == 2
    assert result.frames_with_signal < result.frames
