"""Offline counting over recorded landmarks: the coach's ExerciseTracker on (time,
landmarks) frames, as `berntsen analyze` feeds it."""
from pathlib import Path

import numpy as np
import pytest

from berntsen_coach.exercises import load_exercises
from berntsen_coach.offline import count_repetitions, format_count
from body3d import HEIGHT, WIDTH, Camera, render, repetitions

try:   # the pose node's own type (no MediaPipe needed to import it)
    from berntsen_vision.pose_estimator import PoseLandmarks
except ImportError:   # pragma: no cover
    from typing import NamedTuple

    class PoseLandmarks(NamedTuple):
        image: np.ndarray
        world: np.ndarray

EXERCISES = load_exercises(Path(__file__).resolve().parent.parent / 'config' / 'exercises.yaml')
ARM, MARCH, HEEL = EXERCISES['arm_raise'], EXERCISES['standing_march'], EXERCISES['heel_raise']


def landmarks(frames, drop_every=0):
    """(t, PoseLandmarks) as PoseEstimator returns them (float32), None every `drop_every`."""
    return [(t, None if drop_every and i % drop_every == 0 else
             PoseLandmarks(f.image.astype(np.float32), f.world.astype(np.float32)))
            for i, (t, f) in enumerate(frames)]


def arm_frames(amplitudes, camera=Camera(45, 10, 2.5)):
    return render(repetitions({'shoulder_abduction': 10}, {'shoulder_abduction': 140}, amplitudes),
                  camera, seed=2)


def test_counts_every_raise_with_its_times():
    result = count_repetitions(ARM, landmarks(arm_frames([1.0] * 5)), WIDTH, HEIGHT)
    assert len(result.repetitions) == 5 and result.by_side == {'': 5}
    assert [r.number for r in result.repetitions] == [1, 2, 3, 4, 5]
    assert all(r.start < r.end and r.peak == pytest.approx(150, abs=8) for r in result.repetitions)
    assert result.frames == result.frames_with_signal == len(arm_frames([1.0] * 5))
    assert result.unit == 'degrees' and not result.partial and not result.gaps


def test_missed_frames_and_partial_raises():
    result = count_repetitions(ARM, landmarks(arm_frames([1.0, 1.0, 1.0, 0.5, 0.5]), drop_every=7),
                               WIDTH, HEIGHT)
    assert len(result.repetitions) == 3 and len(result.partial) == 2
    assert result.frames_with_signal < result.frames
    assert not result.gaps   # one frame in seven missing is no gap


def test_none_stretches_make_a_gap():
    frames = landmarks(arm_frames([1.0] * 4))
    frames = [(t, None if 5.0 <= t < 7.0 else lm) for t, lm in frames]   # the 2nd raise unseen
    result = count_repetitions(ARM, frames, WIDTH, HEIGHT)
    assert len(result.gaps) == 1 and len(result.repetitions) == 3
    assert 'no signal' in format_count(result) and 'counting restarted' in format_count(result)


def test_bare_image_arrays_give_no_3d_signal():
    frames = [(t, f.image) for t, f in arm_frames([1.0] * 3)]
    result = count_repetitions(ARM, frames, WIDTH, HEIGHT)
    assert len(result.repetitions) == 0 and result.frames_with_signal == 0
    assert result.frames == len(frames)


def test_bare_image_arrays_count_heel_raises():
    frames = render(repetitions({'rise': 0.0}, {'rise': 0.05}, [1.0] * 4), Camera(0, 0, 2.1), seed=1)
    result = count_repetitions(HEEL, [(t, f.image) for t, f in frames], WIDTH, HEIGHT)
    assert len(result.repetitions) == 4 and result.unit == 'image heights'


def test_a_prescribed_goal_counts_low_raises():
    low = arm_frames([90 / 130] * 3 + [1.0] * 2)   # ~100 degrees, then ~150
    assert len(count_repetitions(ARM, landmarks(low), WIDTH, HEIGHT, prescribed=90.0).repetitions) == 5
    with pytest.raises(ValueError, match='too close'):
        count_repetitions(ARM, [], WIDTH, HEIGHT, prescribed=30.0)


def test_wrong_shapes_are_rejected():
    with pytest.raises(ValueError, match='shape'):
        count_repetitions(ARM, [(0.0, np.zeros((20, 4)))], WIDTH, HEIGHT)


def march_result():
    frames = render(repetitions({'left_hip_flexion': 0, 'right_hip_flexion': 0},
                                [{'left_hip_flexion': 80}, {'right_hip_flexion': 80}], [1.0] * 6),
                    Camera(-30, 5, 2.5), seed=3)
    return count_repetitions(MARCH, landmarks(frames), WIDTH, HEIGHT)


def test_as_dict_content():
    result = march_result()
    data = result.as_dict()
    assert data['exercise'] == 'standing_march' and data['count'] == 6
    assert data['count_by_side'] == {'left': 3, 'right': 3} and data['unit'] == 'degrees'
    assert [r['side'] for r in data['repetitions']] == ['left', 'right'] * 3
    assert [r['number'] for r in data['repetitions']] == [1, 2, 3, 4, 5, 6]
    first = data['repetitions'][0]
    assert set(first) == {'number', 'side', 'start_s', 'end_s', 'peak', 'progress'}
    assert first['start_s'] < first['end_s'] and first['progress'] >= 0.7
    assert data['partial_repetitions'] == [] and data['too_fast_repetitions'] == 0
    assert data['gaps'] == [] and data['frames'] == data['frames_with_signal'] > 0
    both = count_repetitions(ARM, landmarks(arm_frames([1.0, 0.5])), WIDTH, HEIGHT).as_dict()
    assert both['count_by_side'] == {'both': 1} and both['repetitions'][0]['side'] == 'both'


def test_format_count_content():
    text = format_count(march_result())
    lines = text.splitlines()
    assert lines[0].startswith('standing_march: 6 repetitions (left 3, right 3) (signal in ')
    assert len(lines) == 7 and 'peak' in lines[1] and 'degrees  left' in lines[1]
    result = count_repetitions(ARM, landmarks(arm_frames([1.0, 1.0, 0.5])), WIDTH, HEIGHT)
    text = format_count(result)
    assert text.startswith('arm_raise: 2 repetitions (signal in')
    assert 'partial attempts (not counted): ' in text
