"""One Euro smoothing on synthetic landmark sequences with noise and missing landmarks."""
import math

import numpy as np
import pytest

from berntsen_vision.smoothing import LandmarkSmoother, OneEuroFilter

FPS = 30.0
WRIST = 15


def _still_body(rng, frames, noise=0.01):
    base = rng.uniform(0.2, 0.8, size=(33, 3))
    for i in range(frames):
        landmarks = np.ones((33, 4))
        landmarks[:, :3] = base + rng.normal(0.0, noise, size=(33, 3))
        yield i / FPS, landmarks, base


def test_still_noisy_landmarks_are_smoothed_hard():
    rng = np.random.default_rng(1)
    smoother = LandmarkSmoother(min_cutoff_hz=1.0, beta=5.0)
    raw_error, smooth_error = [], []
    for i, (t, landmarks, truth) in enumerate(_still_body(rng, 90)):
        smoothed = smoother.update(landmarks, t)
        if i >= 30:  # after the filter settled
            raw_error.append(np.abs(landmarks[:, :3] - truth).mean())
            smooth_error.append(np.abs(smoothed[:, :3] - truth).mean())
    assert np.mean(smooth_error) < 0.5 * np.mean(raw_error)


def test_fast_motion_follows_with_little_lag():
    # a wrist going up and down once a second by 0.3 (an arm raise), with noise
    rng = np.random.default_rng(2)
    smoother = LandmarkSmoother(min_cutoff_hz=1.0, beta=5.0)
    errors = []
    for i in range(90):
        t = i / FPS
        truth = 0.5 + 0.15 * math.sin(2 * math.pi * t)
        landmarks = np.full((33, 4), 0.5)
        landmarks[:, 3] = 1.0
        landmarks[WRIST, 1] = truth + rng.normal(0.0, 0.005)
        errors.append(abs(smoother.update(landmarks, t)[WRIST, 1] - truth))
    assert max(errors[15:]) < 0.05
    # the same filter without the speed term lags far behind: beta is what follows the arm
    plain = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    lag = [abs(plain(0.5 + 0.15 * math.sin(2 * math.pi * i / FPS), i / FPS)
               - (0.5 + 0.15 * math.sin(2 * math.pi * i / FPS))) for i in range(90)]
    assert max(lag[15:]) > 0.08


def test_missing_landmarks_hold_their_last_smoothed_position():
    smoother = LandmarkSmoother()
    landmarks = np.full((33, 4), 0.5)
    landmarks[:, 3] = 0.9
    for i in range(10):
        smoother.update(landmarks, i / FPS)
    missing = landmarks.copy()
    missing[WRIST] = (0.0, 0.0, 0.0, 0.05)  # BlazePose's guess for a hidden wrist
    smoothed = smoother.update(missing, 10 / FPS)
    assert smoothed[WRIST, :2] == pytest.approx([0.5, 0.5])
    assert smoothed[WRIST, 3] == pytest.approx(0.05)  # visibility passes through
    assert smoothed[0, :2] == pytest.approx([0.5, 0.5])


def test_never_seen_landmark_takes_its_raw_position_and_nan_is_safe():
    smoother = LandmarkSmoother()
    landmarks = np.full((33, 4), 0.5)
    landmarks[:, 3] = 0.9
    landmarks[WRIST] = (0.1, 0.2, np.nan, 0.1)
    smoothed = smoother.update(landmarks, 0.0)
    assert smoothed[WRIST, :3] == pytest.approx([0.1, 0.2, 0.0])
    assert np.isfinite(smoothed).all()


def test_reset_and_time_going_back_restart_the_filter():
    filt = OneEuroFilter(min_cutoff_hz=0.5)
    filt(0.0, 0.0)
    assert filt(1.0, 0.1) < 0.5
    assert filt(1.0, 0.05) == 1.0  # time went back: start again from this value
    filt.reset()
    assert filt(3.0, 1.0) == 3.0


def test_bad_input_raises():
    with pytest.raises(ValueError):
        OneEuroFilter(min_cutoff_hz=0.0)
    with pytest.raises(ValueError):
        OneEuroFilter(beta=-1.0)
    with pytest.raises(ValueError):
        LandmarkSmoother(min_visibility=2.0)
    with pytest.raises(ValueError, match='shape'):
        LandmarkSmoother().update(np.zeros((17, 4)), 0.0)
    filt = OneEuroFilter()
    filt(np.zeros(3), 0.0)
    with pytest.raises(ValueError, match='shape'):
        filt(np.zeros(4), 0.1)
    with pytest.raises(ValueError, match='finite'):
        filt(np.array([np.inf, 0.0, 0.0]), 0.2)
