"""MediaPipe BlazePose (mediapipe 0.10.14, bundled full model) on RGB frames, no rclpy.

Only `model_complexity=1` works offline: the 0.10.14 wheel bundles `pose_landmark_full`
and `pose_detection`; other complexities would download a model, which is not allowed.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

NUM_LANDMARKS = 33
# BlazePose landmark order (mediapipe.solutions.pose.PoseLandmark), lower case
LANDMARK_NAMES = (
    'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye', 'right_eye_outer',
    'left_ear', 'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder', 'right_shoulder', 'left_elbow',
    'right_elbow', 'left_wrist', 'right_wrist', 'left_pinky', 'right_pinky', 'left_index', 'right_index',
    'left_thumb', 'right_thumb', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle',
    'right_ankle', 'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index',
)
# columns of both landmark arrays returned by PoseEstimator.process
X, Y, Z, VISIBILITY = range(4)


class PoseLandmarks(NamedTuple):
    """One person's 33 landmarks in one frame, twice.

    `image`: (33, 4) float32, normalised image coordinates: x from the left edge, y from the
    top (0..1, may fall slightly outside), z depth relative to the hips on x's scale, and
    visibility (0..1).
    `world`: (33, 4) float32, BlazePose's metric 3D estimate: metres, origin between the
    hips, axes as the camera's (x right, y down, z away from the camera), and the same
    visibility. Estimated for every landmark, also for ones outside the image; joint angles
    taken from it do not depend on where the camera stands.
    """

    image: np.ndarray
    world: np.ndarray


LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 11, 12, 23, 24
# upright: turn when the body points more than 60 degrees away from up in the turned frame;
# with nobody found for this many frames, look at the frame turned the next way
UPRIGHT_COS = 0.5
MISSES_BEFORE_TURNING = 3
SEARCH_TURNS = (0, 1, 3, 2)


def unturn(landmarks: PoseLandmarks, turn: int) -> PoseLandmarks:
    """Landmarks found in a frame turned `turn` quarters (np.rot90) in the original frame.

    Image x, y are normalised; world x, y are the camera's axes (x right, y down), turned
    with the image; depth (z) and visibility are unchanged.
    """
    turn %= 4
    if turn == 0:
        return landmarks
    image, world = landmarks.image.copy(), landmarks.world.copy()
    xi, yi = landmarks.image[:, X], landmarks.image[:, Y]
    xw, yw = landmarks.world[:, X], landmarks.world[:, Y]
    if turn == 1:      # counter-clockwise: the frame's right edge is now its top
        image[:, X], image[:, Y], world[:, X], world[:, Y] = 1.0 - yi, xi, -yw, xw
    elif turn == 2:
        image[:, X], image[:, Y], world[:, X], world[:, Y] = 1.0 - xi, 1.0 - yi, -xw, -yw
    else:              # clockwise
        image[:, X], image[:, Y], world[:, X], world[:, Y] = yi, 1.0 - xi, yw, -xw
    return PoseLandmarks(image, world)


class PoseEstimator:
    """Track the most prominent person in a video stream with BlazePose.

    `process(rgb, timestamp_s)` returns the person's PoseLandmarks (image and world
    landmarks in BlazePose order), or None when no person is found. Frames are
    treated as a video: the landmarks of one frame seed the search in the next, and the
    landmark smoothing filters use the given timestamps. `upright`: turn frames a quarter
    at a time so that the person stands upright in them (someone lying in bed); the
    landmarks are always in the frame as given.
    """

    def __init__(self, min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 smooth_landmarks: bool = True, upright: bool = False):
        for name, value in (('min_detection_confidence', min_detection_confidence),
                            ('min_tracking_confidence', min_tracking_confidence)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'{name} must be within [0, 1], got {value}')
        # imported here so the pure modules that only need the constants stay light
        import mediapipe as mp

        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False, model_complexity=1, smooth_landmarks=smooth_landmarks,
            enable_segmentation=False, min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence)
        self._last_timestamp_us: int | None = None
        self._upright = upright
        self._turn = 0       # quarter turns (np.rot90) applied to frames before inference
        self._misses = 0     # frames in a row without a person

    def process(self, rgb: np.ndarray, timestamp_s: float) -> PoseLandmarks | None:
        """Image and world landmarks of the person in `rgb` (H, W, 3 uint8), or None."""
        if self._pose is None:
            raise RuntimeError('PoseEstimator is closed')
        if not isinstance(rgb, np.ndarray):
            raise TypeError(f'expected a numpy array, got {type(rgb).__name__}')
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
            raise ValueError(f'expected an RGB uint8 array (H, W, 3), got {rgb.dtype} {rgb.shape}')
        timestamp_us = int(round(timestamp_s * 1e6))
        if self._last_timestamp_us is not None and timestamp_us <= self._last_timestamp_us:
            # time went backwards (a replay restarted): start tracking afresh
            self._pose.reset()
        self._last_timestamp_us = timestamp_us
        # The legacy solution API stamps frames itself (+33.333 ms each, before use); setting
        # its counter makes the graph see the real frame time, so smoothing follows real
        # motion at any frame rate. Checked against mediapipe 0.10.14 (pinned).
        self._pose._simulated_timestamp = timestamp_us - 33333
        frame = np.rot90(rgb, self._turn) if self._turn else rgb
        results = self._pose.process(np.ascontiguousarray(frame))
        if results.pose_landmarks is None:
            self._missed()
            return None
        self._misses = 0
        image = np.array([(lm.x, lm.y, lm.z, lm.visibility) for lm in results.pose_landmarks.landmark],
                         dtype=np.float32)
        if results.pose_world_landmarks is None:   # not seen with 0.10.14, but not promised
            world = np.full_like(image, np.nan)
            world[:, VISIBILITY] = 0.0
        else:
            world = np.array([(lm.x, lm.y, lm.z, lm.visibility)
                              for lm in results.pose_world_landmarks.landmark], dtype=np.float32)
        landmarks = unturn(PoseLandmarks(image, world), self._turn)
        if self._upright:
            self._turn_upright(landmarks.image, rgb.shape[1], rgb.shape[0])
        return landmarks

    # ---- upright: BlazePose is trained on people upright in the image; one lying in bed,
    # seen from beside it, lies across the image and is found in a few frames in ten. Turned
    # a quarter so that she stands in it, she is found in nine in ten (rendered patient,
    # heel slides seen obliquely: 44 -> 540 frames of 590).

    def _turn_upright(self, image: np.ndarray, width: int, height: int) -> None:
        """Turn the next frames so that this body (shoulders above hips) stands upright."""
        shoulders = image[[LEFT_SHOULDER, RIGHT_SHOULDER], :2].mean(axis=0)
        hips = image[[LEFT_HIP, RIGHT_HIP], :2].mean(axis=0)
        dx, dy = (shoulders[0] - hips[0]) * width, (shoulders[1] - hips[1]) * height
        length = math.hypot(dx, dy)
        if length == 0.0:
            return
        up_in = {0: -dy, 1: dx, 2: dy, 3: -dx}   # how far up the body points, per turn
        if up_in[self._turn] >= UPRIGHT_COS * length:
            return
        turn = max(up_in, key=up_in.get)
        if turn != self._turn:
            self._turn = turn
            self._pose.reset()   # tracking seeds the next frame from this one's landmarks

    def _missed(self) -> None:
        self._misses += 1
        if self._upright and self._misses >= MISSES_BEFORE_TURNING:
            self._misses = 0
            self._turn = SEARCH_TURNS[(SEARCH_TURNS.index(self._turn) + 1) % len(SEARCH_TURNS)]
            self._pose.reset()

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
