"""Posture rules on synthetic skeletons, and the debouncer against flicker."""
import numpy as np
import pytest

from berntsen_vision.posture import (Posture, PostureDebouncer, PostureEstimate, PostureThresholds,
                                     classify_posture)

L_SH, R_SH, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANK, R_ANK = 11, 12, 23, 24, 25, 26, 27, 28


def skeleton(points, visibility=0.95):
    """33 landmarks, all at the image centre except those given as {index: (x, y[, z])}
    (square image; z is BlazePose's depth relative to the hips, negative towards the camera)."""
    landmarks = np.zeros((33, 4), np.float32)
    landmarks[:, :2] = 0.5
    landmarks[:, 3] = visibility
    for index, point in points.items():
        landmarks[index, :len(point)] = point
    return landmarks


STANDING = skeleton({L_SH: (0.45, 0.25), R_SH: (0.55, 0.25), L_HIP: (0.46, 0.5), R_HIP: (0.54, 0.5),
                     L_KNEE: (0.46, 0.7), R_KNEE: (0.54, 0.7), L_ANK: (0.46, 0.9), R_ANK: (0.54, 0.9)})
# side view on a chair: thighs horizontal, shins vertical
SITTING_SIDE = skeleton({L_SH: (0.5, 0.2), R_SH: (0.5, 0.2), L_HIP: (0.5, 0.45), R_HIP: (0.5, 0.45),
                         L_KNEE: (0.7, 0.46), R_KNEE: (0.7, 0.46), L_ANK: (0.7, 0.7), R_ANK: (0.7, 0.7)})
# facing the camera on a bed edge: thighs point at the camera, so they look short
SITTING_FRONT = skeleton({L_SH: (0.42, 0.2), R_SH: (0.58, 0.2), L_HIP: (0.45, 0.5), R_HIP: (0.55, 0.5),
                          L_KNEE: (0.44, 0.58), R_KNEE: (0.56, 0.58), L_ANK: (0.44, 0.85), R_ANK: (0.56, 0.85)})
# the same, as BlazePose saw the simulated patient: thighs only a little shorter than a
# standing person's in the image, straight in 2D, but the knees are well in front of the hips
SITTING_FRONT_DEPTH = skeleton({
    L_SH: (0.42, 0.3), R_SH: (0.58, 0.3), L_HIP: (0.45, 0.55), R_HIP: (0.55, 0.55),
    L_KNEE: (0.45, 0.68, -0.38), R_KNEE: (0.55, 0.68, -0.36),
    L_ANK: (0.45, 0.95, -0.2), R_ANK: (0.55, 0.95, -0.2)})
LYING = skeleton({L_SH: (0.2, 0.6), R_SH: (0.2, 0.65), L_HIP: (0.5, 0.6), R_HIP: (0.5, 0.65),
                  L_KNEE: (0.7, 0.6), R_KNEE: (0.7, 0.65), L_ANK: (0.9, 0.6), R_ANK: (0.9, 0.65)})


@pytest.mark.parametrize('landmarks, expected', [
    (STANDING, Posture.STANDING), (SITTING_SIDE, Posture.SITTING),
    (SITTING_FRONT, Posture.SITTING), (SITTING_FRONT_DEPTH, Posture.SITTING),
    (LYING, Posture.LYING)])
def test_classifies_synthetic_postures(landmarks, expected):
    estimate = classify_posture(landmarks)
    assert estimate.posture == expected
    assert 0.5 < estimate.confidence <= 1.0


def test_standing_without_visible_ankles_still_classified_from_thighs():
    landmarks = STANDING.copy()
    landmarks[[L_ANK, R_ANK], 3] = 0.1
    assert classify_posture(landmarks).posture == Posture.STANDING


def test_low_visibility_is_unknown():
    assert classify_posture(skeleton({}, visibility=0.2)) == PostureEstimate(Posture.UNKNOWN, 0.0)
    hips_hidden = STANDING.copy()
    hips_hidden[[L_HIP, R_HIP], 3] = 0.1
    assert classify_posture(hips_hidden).posture == Posture.UNKNOWN
    legs_hidden = STANDING.copy()
    legs_hidden[[L_KNEE, R_KNEE, L_ANK, R_ANK], 3] = 0.1
    assert classify_posture(legs_hidden).posture == Posture.UNKNOWN


def test_aspect_ratio_is_taken_into_account():
    # a torso 40 degrees from vertical in a square image is upright-ish, but in a very wide
    # image the same normalised coordinates are far from vertical
    leaning = STANDING.copy()
    leaning[[L_SH, R_SH], 0] += 0.2
    assert classify_posture(leaning, aspect_ratio=1.0).posture != Posture.LYING
    assert classify_posture(leaning, aspect_ratio=4.0).posture == Posture.LYING


def test_rejects_wrong_shapes_and_thresholds():
    with pytest.raises(ValueError, match='shape'):
        classify_posture(np.zeros((17, 4)))
    with pytest.raises(ValueError, match='aspect_ratio'):
        classify_posture(STANDING, aspect_ratio=0.0)
    with pytest.raises(ValueError):
        PostureThresholds(min_visibility=1.5)
    with pytest.raises(ValueError):
        PostureThresholds(standing_thigh_deg=60.0, sitting_thigh_deg=50.0)


def _feed(debouncer, postures, dt=0.125):  # exact in binary: no rounding at the edge
    reported = []
    for i, posture in enumerate(postures):
        reported.append(debouncer.update(PostureEstimate(posture, 0.9), i * dt).posture)
    return reported


def test_debouncer_ignores_flicker():
    debouncer = PostureDebouncer(confirm_s=0.375, confirm_frames=3)
    S, T, U = Posture.SITTING, Posture.STANDING, Posture.UNKNOWN
    reported = _feed(debouncer, [S] * 6 + [T, S, T, S, U, S, T, T, S] + [S] * 3)
    assert reported[:3] == [U, U, U]  # nothing confirmed yet
    assert set(reported[5:]) == {S}


def test_debouncer_follows_a_real_change_after_the_confirmation_time():
    debouncer = PostureDebouncer(confirm_s=0.375, confirm_frames=3)
    S, T = Posture.SITTING, Posture.STANDING
    reported = _feed(debouncer, [S] * 6 + [T] * 6)
    assert reported[5] == S
    assert reported[6:9] == [S, S, S]  # 0, 0.125, 0.25 s into the change
    assert reported[9:] == [T, T, T]
    debouncer.reset()
    assert debouncer.stable.posture == Posture.UNKNOWN


def test_debouncer_rejects_bad_settings():
    with pytest.raises(ValueError):
        PostureDebouncer(confirm_s=-1.0)
    with pytest.raises(ValueError):
        PostureDebouncer(confirm_frames=0)


# lying low in the image (on the floor in front of the bed) and higher (on the mattress)
LYING_LOW = skeleton({L_SH: (0.7, 0.86), R_SH: (0.7, 0.88), L_HIP: (0.45, 0.9), R_HIP: (0.45, 0.92),
                      L_KNEE: (0.3, 0.91), R_KNEE: (0.3, 0.93), L_ANK: (0.15, 0.92), R_ANK: (0.15, 0.94)})
LYING_HIGH = LYING_LOW.copy()
LYING_HIGH[:, 1] -= 0.3


def test_lying_on_the_floor_is_told_from_lying_on_a_bed_by_the_floor_line():
    thresholds = PostureThresholds(floor_line=0.75)
    on_floor = classify_posture(LYING_LOW, 4 / 3, thresholds)
    in_bed = classify_posture(LYING_HIGH, 4 / 3, thresholds)
    assert (on_floor.posture, on_floor.on_floor) == (Posture.LYING, True)
    assert (in_bed.posture, in_bed.on_floor) == (Posture.LYING, False)
    # switched off (the default): lying, no claim about the floor
    assert not classify_posture(LYING_LOW, 4 / 3).on_floor
    # an upright body low in the image is never "on the floor"
    low_standing = STANDING.copy()
    low_standing[:, 1] += 0.09
    assert not classify_posture(low_standing, 1.0, thresholds).on_floor


def test_floor_needs_the_torso_not_a_stray_low_limb():
    thresholds = PostureThresholds(floor_line=0.75)
    hand_down = LYING_HIGH.copy()
    hand_down[15:23, 1] = 0.95  # an arm hanging over the bed edge
    assert not classify_posture(hand_down, 4 / 3, thresholds).on_floor
    with pytest.raises(ValueError, match='floor_line'):
        PostureThresholds(floor_line=0.0)


def test_noisy_lying_sequence_with_missing_landmarks_is_stable_on_the_floor():
    rng = np.random.default_rng(3)
    debouncer = PostureDebouncer(confirm_s=0.375, confirm_frames=3)
    thresholds = PostureThresholds(floor_line=0.75)
    reported = []
    for i in range(40):
        landmarks = LYING_LOW.copy()
        landmarks[:, :2] += rng.normal(0.0, 0.01, size=(33, 2))
        hidden = rng.choice([L_SH, R_SH, L_HIP, R_HIP, L_KNEE, R_KNEE], size=2, replace=False)
        landmarks[hidden, 3] = 0.1  # two joints missing each frame
        reported.append(debouncer.update(classify_posture(landmarks, 4 / 3, thresholds), i * 0.125))
    settled = reported[5:]
    assert all(r.posture == Posture.LYING and r.on_floor for r in settled)


def test_debouncer_confirms_a_move_from_bed_to_floor():
    debouncer = PostureDebouncer(confirm_s=0.25, confirm_frames=3)
    bed, floor = PostureEstimate(Posture.LYING, 0.9), PostureEstimate(Posture.LYING, 0.9, on_floor=True)
    for i in range(4):
        debouncer.update(bed, i * 0.125)
    assert not debouncer.update(floor, 0.5).on_floor  # one frame is not enough
    for i in range(5, 9):
        result = debouncer.update(floor, i * 0.125)
    assert result.on_floor and result.posture == Posture.LYING


def test_noisy_standing_and_sitting_sequences_with_a_missing_leg():
    rng = np.random.default_rng(4)
    for truth, base in ((Posture.STANDING, STANDING), (Posture.SITTING, SITTING_SIDE)):
        debouncer = PostureDebouncer(confirm_s=0.375, confirm_frames=3)
        reported = []
        for i in range(30):
            landmarks = base.copy()
            landmarks[:, :2] += rng.normal(0.0, 0.008, size=(33, 2))
            landmarks[[L_KNEE, L_ANK], 3] = 0.1  # the left leg hidden (behind a bed frame)
            reported.append(debouncer.update(classify_posture(landmarks), i * 0.125).posture)
        assert set(reported[4:]) == {truth}


def world_body(thigh_forward: float, shin_forward: float = 0.0, torso_forward: float = 0.0):
    """World landmarks (m, y down, z away from the camera) of a body facing the camera:
    each segment leans `*_forward` (0..1 of its length) towards the camera."""
    world = np.zeros((33, 4))
    world[:, 3] = 0.95
    for side, x in ((0, -0.1), (1, 0.1)):
        hip = np.array([x, 0.0, 0.0])
        shoulder = hip + 0.5 * np.array([0.0, -np.sqrt(1 - torso_forward ** 2), -torso_forward])
        knee = hip + 0.45 * np.array([0.0, np.sqrt(1 - thigh_forward ** 2), -thigh_forward])
        ankle = knee + 0.45 * np.array([0.0, np.sqrt(1 - shin_forward ** 2), -shin_forward])
        for index, point in zip(SIDES_3D[side], (shoulder, hip, knee, ankle)):
            world[index, :3] = point
    return world


SIDES_3D = ((L_SH, L_HIP, L_KNEE, L_ANK), (R_SH, R_HIP, R_KNEE, R_ANK))


class Pose:
    def __init__(self, image, world):
        self.image, self.world = image, world


def test_sitting_on_a_chair_seen_from_the_front_reads_sitting_in_3d():
    # In the image the thighs point at the camera and look like a standing person's
    # short upper legs (STANDING's image landmarks); in 3D they are horizontal.
    assert classify_posture(Pose(STANDING, world_body(thigh_forward=1.0))).posture == Posture.SITTING
    assert classify_posture(Pose(STANDING, world_body(thigh_forward=0.1))).posture == Posture.STANDING
    # a person lying seen from the foot end: the trunk runs away from the camera
    lying = world_body(thigh_forward=0.0)
    lying[:, [1, 2]] = lying[:, [2, 1]]
    assert classify_posture(Pose(STANDING, lying)).posture == Posture.LYING


def test_world_landmarks_are_checked_and_fall_back_to_the_image_when_missing():
    with pytest.raises(ValueError, match='world'):
        classify_posture(Pose(STANDING, np.zeros((17, 4))))
    unknown_3d = np.full((33, 4), np.nan)
    assert classify_posture(Pose(SITTING_SIDE, unknown_3d)).posture == Posture.SITTING
