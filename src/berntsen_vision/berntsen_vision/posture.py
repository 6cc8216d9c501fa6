"""Classify a body's posture (standing, sitting, lying) from 33 BlazePose landmarks; no rclpy.

Input is PoseEstimator's PoseLandmarks (image and metric world landmarks), or an image
landmark array (33, 4) alone (x right, y down, z, visibility; normalised). Each cue is
measured only on the sides whose landmarks are visible enough.

With world landmarks (the pose node, `berntsen analyze`) the cues are 3D angles, which do not
depend on where the camera stands (a person on a chair seen from the front has thighs that
look short and upright in the image but are horizontal in 3D):
- trunk angle from vertical (hip midpoint -> shoulder midpoint): far from vertical is lying;
- thigh angle from vertical (hip -> knee): near vertical votes standing, near horizontal sitting;
- knee angle (hip-knee-ankle): straight votes standing, bent votes sitting.
"Vertical" is the camera's y axis: BlazePose's world axes are the camera's, and a robot's or
a phone's camera is held roughly level.

With image landmarks only, the older image-plane cues are used: the torso angle in the image,
the thigh angle with BlazePose's relative depth z, and the knee angle in the image where the
thigh is not foreshortened. The cues vote; a tie is UNKNOWN rather than a guess.

Lying on a bed and lying on the floor look alike in body shape; where they differ is where
the body is in the image. With the camera above the bed height and looking down a little,
the floor in front of the bed appears lower in the image than the mattress, so a lying
torso whose lowest visible point (shoulders, hips) is below `floor_line` (a normalised image
row chosen for the camera's height and tilt) is on the floor: a possible fall. A floor line
of 1.0 or more switches this off where the view cannot tell.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from .pose_estimator import NUM_LANDMARKS, VISIBILITY

LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
SIDES = ((LEFT_SHOULDER, LEFT_HIP, LEFT_KNEE, LEFT_ANKLE), (RIGHT_SHOULDER, RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE))


class Posture(IntEnum):
    """Values match berntsen_interfaces/BodyPosture."""

    UNKNOWN = 0
    STANDING = 1
    SITTING = 2
    LYING = 3


@dataclass(frozen=True)
class PostureThresholds:
    """Angles in degrees; ratios relative to the torso length in the image."""

    min_visibility: float = 0.5
    lying_torso_deg: float = 60.0      # torso further than this from vertical: lying
    standing_thigh_deg: float = 30.0   # thigh (3D) closer than this to vertical votes standing
    sitting_thigh_deg: float = 50.0    # thigh (3D) further than this from vertical votes sitting
    standing_thigh_ratio: float = 0.6  # thigh at least this long in the image: knee angle is usable
    sitting_thigh_ratio: float = 0.4   # thigh shorter than this (pointing at the camera) votes sitting
    standing_knee_deg: float = 150.0   # knee straighter than this votes standing
    sitting_knee_deg: float = 120.0    # knee more bent than this votes sitting
    floor_line: float = 1.0            # normalised image row; a lying torso below it is on the floor

    def __post_init__(self):
        if not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError(f'min_visibility must be within [0, 1], got {self.min_visibility}')
        if not 0.0 < self.lying_torso_deg < 90.0:
            raise ValueError(f'lying_torso_deg must be within (0, 90), got {self.lying_torso_deg}')
        if not self.standing_thigh_deg <= self.sitting_thigh_deg:
            raise ValueError('standing_thigh_deg must not exceed sitting_thigh_deg')
        if not self.sitting_thigh_ratio <= self.standing_thigh_ratio:
            raise ValueError('sitting_thigh_ratio must not exceed standing_thigh_ratio')
        if not self.sitting_knee_deg <= self.standing_knee_deg:
            raise ValueError('sitting_knee_deg must not exceed standing_knee_deg')
        if not 0.0 < self.floor_line:
            raise ValueError(f'floor_line must be positive (>= 1.0 disables it), got {self.floor_line}')


@dataclass(frozen=True)
class PostureEstimate:
    posture: Posture
    confidence: float  # 0..1
    on_floor: bool = False  # LYING below the floor line: a possible fall


UNKNOWN_ESTIMATE = PostureEstimate(Posture.UNKNOWN, 0.0)


def _angle_from_vertical(vector: np.ndarray) -> float:
    """Degrees between a 2D image vector and the image vertical (0..90, direction-free)."""
    return math.degrees(math.atan2(abs(vector[0]), abs(vector[1])))


def _angle_from_vertical_3d(vector: np.ndarray) -> float:
    """Degrees between a 3D vector (x, y down, z depth) and the vertical (0..90)."""
    return math.degrees(math.atan2(math.hypot(vector[0], vector[2]), abs(vector[1])))


def _joint_angle(a: np.ndarray, joint: np.ndarray, b: np.ndarray) -> float:
    """Degrees at `joint` between the segments to a and b (180 = straight)."""
    u, v = a - joint, b - joint
    norm = np.linalg.norm(u) * np.linalg.norm(v)
    if norm == 0.0:
        return float('nan')
    return math.degrees(math.acos(float(np.clip(np.dot(u, v) / norm, -1.0, 1.0))))


def classify_posture(landmarks, aspect_ratio: float = 1.0,
                     thresholds: PostureThresholds = PostureThresholds()) -> PostureEstimate:
    """Posture of one body from PoseLandmarks, or from image landmarks (33, 4) alone;
    `aspect_ratio` is image width / height.

    UNKNOWN (confidence 0) when the torso or both legs are not visible enough.
    """
    world = getattr(landmarks, 'world', None)
    landmarks = np.asarray(getattr(landmarks, 'image', landmarks), dtype=np.float64)
    if landmarks.shape != (NUM_LANDMARKS, 4):
        raise ValueError(f'expected landmarks of shape ({NUM_LANDMARKS}, 4), got {landmarks.shape}')
    if not aspect_ratio > 0.0:
        raise ValueError(f'aspect_ratio must be positive, got {aspect_ratio}')
    if world is not None:
        world = np.asarray(world, dtype=np.float64)
        if world.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f'expected world landmarks of shape ({NUM_LANDMARKS}, 4), got {world.shape}')
        if np.isfinite(world[:, :3]).all():
            return _classify_3d(landmarks, world, thresholds)
    # x and z are normalised by the width, y by the height: scale x and z to y's unit
    points3d = landmarks[:, :3] * np.array([aspect_ratio, 1.0, aspect_ratio])
    points = points3d[:, :2]
    visible = landmarks[:, VISIBILITY] >= thresholds.min_visibility

    final, used, torso_length = _torso(points, landmarks, visible, thresholds, _angle_from_vertical)
    if final is not None:
        return final
    standing_votes = sitting_votes = 0
    for _, hip, knee, ankle in SIDES:
        if not (visible[hip] and visible[knee]):
            continue
        used += [hip, knee]
        thigh = points[knee] - points[hip]
        thigh_ratio = float(np.linalg.norm(thigh)) / torso_length
        if thigh_ratio < thresholds.sitting_thigh_ratio:
            # so short in the image that it can only point at the camera, whatever z says
            sitting_votes += 1
            continue
        knee_angle = None
        if thigh_ratio >= thresholds.standing_thigh_ratio and visible[ankle]:
            used.append(ankle)
            knee_angle = _joint_angle(points[hip], points[knee], points[ankle])
        standing, sitting = _leg_votes(_angle_from_vertical_3d(points3d[knee] - points3d[hip]),
                                       knee_angle, thresholds)
        standing_votes, sitting_votes = standing_votes + standing, sitting_votes + sitting
    return _vote(standing_votes, sitting_votes, landmarks[used, VISIBILITY])


def _classify_3d(image: np.ndarray, world: np.ndarray, thresholds: PostureThresholds) -> PostureEstimate:
    """The 3D cues on world landmarks (metres, camera axes); the floor line on the image."""
    points = world[:, :3]
    visible = image[:, VISIBILITY] >= thresholds.min_visibility
    final, used, _ = _torso(points, image, visible, thresholds, _angle_from_vertical_3d)
    if final is not None:
        return final
    standing_votes = sitting_votes = 0
    for _, hip, knee, ankle in SIDES:
        if not (visible[hip] and visible[knee]):
            continue
        used += [hip, knee]
        knee_angle = None
        if visible[ankle]:
            used.append(ankle)
            knee_angle = _joint_angle(points[hip], points[knee], points[ankle])
        standing, sitting = _leg_votes(_angle_from_vertical_3d(points[knee] - points[hip]),
                                       knee_angle, thresholds)
        standing_votes, sitting_votes = standing_votes + standing, sitting_votes + sitting
    return _vote(standing_votes, sitting_votes, image[used, VISIBILITY])


def _leg_votes(thigh_angle: float, knee_angle: float | None,
               thresholds: PostureThresholds) -> tuple[int, int]:
    """(standing, sitting) votes of one leg: its thigh from vertical and its knee angle."""
    standing = int(thigh_angle < thresholds.standing_thigh_deg)
    sitting = int(thigh_angle > thresholds.sitting_thigh_deg)
    if knee_angle is not None:
        standing += knee_angle > thresholds.standing_knee_deg
        sitting += knee_angle < thresholds.sitting_knee_deg
    return standing, sitting


def _torso(points: np.ndarray, image: np.ndarray, visible: np.ndarray,
           thresholds: PostureThresholds, from_vertical) -> tuple[PostureEstimate | None, list, float]:
    """The trunk, hips to shoulders, in `points`: (UNKNOWN or LYING when that settles the
    posture, else None; the landmarks used; the trunk's length). On the floor or not is
    judged in the image (`image`), where the floor lies below the bed."""
    shoulders = [s for s in (LEFT_SHOULDER, RIGHT_SHOULDER) if visible[s]]
    hips = [h for h in (LEFT_HIP, RIGHT_HIP) if visible[h]]
    if not shoulders or not hips:
        return UNKNOWN_ESTIMATE, [], 0.0
    torso = points[shoulders].mean(axis=0) - points[hips].mean(axis=0)
    length = float(np.linalg.norm(torso))
    if length == 0.0:
        return UNKNOWN_ESTIMATE, [], 0.0
    used = shoulders + hips
    if from_vertical(torso) > thresholds.lying_torso_deg:
        lowest_row = float(image[used, 1].max())
        return (PostureEstimate(Posture.LYING, float(image[used, VISIBILITY].mean()),
                                on_floor=lowest_row > thresholds.floor_line), used, length)
    return None, used, length


def _vote(standing_votes: int, sitting_votes: int, visibilities: np.ndarray) -> PostureEstimate:
    if standing_votes == sitting_votes:
        return UNKNOWN_ESTIMATE
    posture = Posture.STANDING if standing_votes > sitting_votes else Posture.SITTING
    agreement = max(standing_votes, sitting_votes) / (standing_votes + sitting_votes)
    return PostureEstimate(posture, float(agreement * visibilities.mean()))


class PostureDebouncer:
    """Report a posture only after it has held for `confirm_s` seconds and `confirm_frames` frames.

    Single-frame flips (a bad detection, a person mid-motion) do not change the reported
    posture; a real change shows after the confirmation time. Lying on the floor and lying on
    a bed count as different postures here, so a move from one to the other is confirmed too. Until a first posture is
    confirmed the reported posture is UNKNOWN.
    """

    def __init__(self, confirm_s: float = 0.5, confirm_frames: int = 3):
        if confirm_s < 0.0:
            raise ValueError(f'confirm_s must not be negative, got {confirm_s}')
        if confirm_frames < 1:
            raise ValueError(f'confirm_frames must be at least 1, got {confirm_frames}')
        self.confirm_s = confirm_s
        self.confirm_frames = confirm_frames
        self.reset()

    def reset(self) -> None:
        self._stable = UNKNOWN_ESTIMATE
        self._candidate: tuple[Posture, bool] | None = None  # (posture, on_floor)
        self._candidate_since = 0.0
        self._candidate_frames = 0

    @property
    def stable(self) -> PostureEstimate:
        return self._stable

    def update(self, estimate: PostureEstimate, stamp_s: float) -> PostureEstimate:
        """Feed one frame's estimate; returns the debounced posture with its latest confidence."""
        key = (estimate.posture, estimate.on_floor)
        if key == (self._stable.posture, self._stable.on_floor):
            self._candidate = None
            self._stable = estimate
            return self._stable
        if key != self._candidate:
            self._candidate = key
            self._candidate_since = stamp_s
            self._candidate_frames = 0
        self._candidate_frames += 1
        if (self._candidate_frames >= self.confirm_frames
                and stamp_s - self._candidate_since >= self.confirm_s):
            self._stable = estimate
            self._candidate = None
        return self._stable
