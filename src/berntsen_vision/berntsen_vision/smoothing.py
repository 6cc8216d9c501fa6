"""One Euro filter for landmark smoothing (Casiez, Roussel, Vogel, CHI 2012); no rclpy.

The filter is a low-pass whose cut-off frequency rises with the signal's speed: a still
limb is smoothed hard (no jitter to double-count as a repetition), a moving one follows with
little lag. `LandmarkSmoother` applies it to the x, y, z of 33 BlazePose landmarks; a
landmark seen too poorly in a frame (visibility below `min_visibility`) does not move its
filtered position, so one missing wrist does not drag the smoothed skeleton to (0, 0).
"""
from __future__ import annotations

import math

import numpy as np

from .pose_estimator import NUM_LANDMARKS, VISIBILITY


def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over a fixed-shape float array (a scalar is shape ()).

    `min_cutoff_hz`: cut-off at rest (lower = smoother when still); `beta`: how fast the
    cut-off rises with speed (higher = less lag when moving); `derivative_cutoff_hz`: cut-off
    for the speed estimate.
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.0, derivative_cutoff_hz: float = 1.0):
        for name, value in (('min_cutoff_hz', min_cutoff_hz), ('derivative_cutoff_hz', derivative_cutoff_hz)):
            if not value > 0.0:
                raise ValueError(f'{name} must be positive, got {value}')
        if beta < 0.0:
            raise ValueError(f'beta must not be negative, got {beta}')
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.derivative_cutoff_hz = derivative_cutoff_hz
        self.reset()

    def reset(self) -> None:
        self._value: np.ndarray | None = None
        self._speed: np.ndarray | None = None
        self._last_t: float | None = None

    def __call__(self, value, t: float, mask=None) -> np.ndarray:
        """Filter `value` observed at time `t` (seconds, increasing); returns the filtered value.

        `mask` (bool, same shape) selects the elements observed this time; the others keep
        their filtered value. A time that does not increase restarts the filter.
        """
        value = np.asarray(value, dtype=np.float64)
        if mask is not None:
            mask = np.broadcast_to(np.asarray(mask, dtype=bool), value.shape)
        if not np.all(np.isfinite(value[mask] if mask is not None else value)):
            raise ValueError('values to filter must be finite')
        if self._value is not None and value.shape != self._value.shape:
            raise ValueError(f'shape changed from {self._value.shape} to {value.shape}')
        if self._value is None or self._last_t is None or t <= self._last_t:
            self._value = value.copy()
            self._speed = np.zeros_like(value)
            self._last_t = t
            return self._value.copy()
        dt = t - self._last_t
        self._last_t = t
        speed = (value - self._value) / dt
        speed = self._speed + _alpha(self.derivative_cutoff_hz, dt) * (speed - self._speed)
        cutoff = self.min_cutoff_hz + self.beta * np.abs(speed)
        filtered = self._value + _alpha(cutoff, dt) * (value - self._value)
        if mask is None:
            self._value, self._speed = filtered, speed
        else:
            self._value = np.where(mask, filtered, self._value)
            self._speed = np.where(mask, speed, self._speed)
        return self._value.copy()


class LandmarkSmoother:
    """One Euro smoothing of (33, 4) landmarks; visibility passes through unfiltered.

    Landmarks below `min_visibility` keep their last smoothed position (or their raw
    position if never seen well). Call `reset()` when the tracked body changes.
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 5.0, derivative_cutoff_hz: float = 1.0,
                 min_visibility: float = 0.5):
        if not 0.0 <= min_visibility <= 1.0:
            raise ValueError(f'min_visibility must be within [0, 1], got {min_visibility}')
        self.min_visibility = min_visibility
        self._filter = OneEuroFilter(min_cutoff_hz, beta, derivative_cutoff_hz)
        self._seen = np.zeros(NUM_LANDMARKS, dtype=bool)

    def reset(self) -> None:
        self._filter.reset()
        self._seen[:] = False

    def update(self, landmarks, t: float) -> np.ndarray:
        """Smoothed copy (33, 4) float32 of `landmarks` observed at time `t`."""
        landmarks = np.asarray(landmarks, dtype=np.float64)
        if landmarks.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f'expected landmarks of shape ({NUM_LANDMARKS}, 4), got {landmarks.shape}')
        if not math.isfinite(t):
            raise ValueError(f'time must be finite, got {t}')
        visible = landmarks[:, VISIBILITY] >= self.min_visibility
        observed = visible | ~self._seen  # take a first position even if poorly seen
        self._seen |= visible
        positions = np.nan_to_num(landmarks[:, :3])
        smoothed = self._filter(positions, t, mask=observed[:, np.newaxis])
        result = np.empty((NUM_LANDMARKS, 4), dtype=np.float32)
        result[:, :3] = smoothed
        result[:, VISIBILITY] = landmarks[:, VISIBILITY]
        return result
