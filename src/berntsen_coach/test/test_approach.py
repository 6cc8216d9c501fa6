"""Person distance from synthetic skeletons (pinhole projections of known 3D points) and the
approach controller's rules, without ROS."""
import math
import random

import pytest

from berntsen_coach.approach import (ARRIVED, DRIVING, FAILED, LOST, SEARCHING, TURNING,
                                     WAITING, ApproachController, ApproachSettings, BodyPriors,
                                     CameraModel, NearestPerFrame, PersonEstimate,
                                     TravelMeter, check_stop_distance, estimate_person)

W, H = 640, 480
# the sim's head camera: 60 degrees vertical field of view at 640x480
F = 0.5 * H / math.tan(math.radians(30.0))
CAMERA = CameraModel(F, F, (W - 1) / 2, (H - 1) / 2, W, H, mount_height=1.12,
                     tilt=math.radians(5.0), forward_offset=0.035)


def project(camera, point):
    """Normalised image coordinates of a base-frame point (x forward, y left, z up)."""
    bx, by, bz = point[0] - camera.forward_offset, point[1], point[2] - camera.mount_height
    c, s = math.cos(camera.tilt), math.sin(camera.tilt)
    forward, left, up = bx * c - bz * s, by, bx * s + bz * c
    assert forward > 0, 'behind the camera'
    u = camera.cx + camera.fx * (-left / forward)
    v = camera.cy + camera.fy * (-up / forward)
    return u / camera.width, v / camera.height


def person(distance, bearing=0.0, posture='standing', turned=0.0, camera=CAMERA,
           hidden=(), shoulder_width=0.38, feet_ahead=None, lean=0.0):
    """33 (x, y, visibility) landmarks of a person whose pelvis is `distance` m from the base
    centre at `bearing`, facing the robot, the shoulder line turned `turned` rad away, the
    feet `feet_ahead` m nearer than the pelvis (sitting: 0.40 by default) and the shoulders
    `lean` m nearer."""
    px, py = distance * math.cos(bearing), distance * math.sin(bearing)
    toward = (-math.cos(bearing), -math.sin(bearing))          # from the person to the robot
    side = (-toward[1], toward[0])
    hip_z = 0.95 if posture == 'standing' else 0.58
    if feet_ahead is None:
        feet_ahead = 0.0 if posture == 'standing' else 0.40

    def at(ahead, lateral, z, lateral_turned=False):
        if lateral_turned:
            ahead, lateral = ahead + lateral * math.sin(turned), lateral * math.cos(turned)
        return (px + ahead * toward[0] + lateral * side[0],
                py + ahead * toward[1] + lateral * side[1], z)

    points = {11: at(lean, shoulder_width / 2, hip_z + 0.47, True),
              12: at(lean, -shoulder_width / 2, hip_z + 0.47, True),
              23: at(0, 0.1, hip_z), 24: at(0, -0.1, hip_z),
              27: at(feet_ahead, 0.1, 0.08), 28: at(feet_ahead, -0.1, 0.08),
              29: at(feet_ahead - 0.06, 0.1, 0.03), 30: at(feet_ahead - 0.06, -0.1, 0.03),
              31: at(feet_ahead + 0.15, 0.1, 0.03), 32: at(feet_ahead + 0.15, -0.1, 0.03)}
    landmarks = [(0.5, 0.5, 0.0)] * 33
    for index, point in points.items():
        x, y = project(camera, point)
        landmarks[index] = (x, y, 0.0 if index in hidden else 0.95)
    return landmarks


FEET = (27, 28, 29, 30, 31, 32)

# ---- the estimate -------------------------------------------------------------------------


@pytest.mark.parametrize('distance', [1.8, 2.2, 3.0, 4.0])
@pytest.mark.parametrize('bearing_deg', [0.0, 20.0, -25.0])
def test_a_standing_person_is_placed_at_their_distance_and_bearing(distance, bearing_deg):
    estimate = estimate_person(person(distance, math.radians(bearing_deg)), CAMERA)
    assert estimate.distance == pytest.approx(distance, abs=0.03)
    assert math.degrees(estimate.bearing) == pytest.approx(bearing_deg, abs=0.5)
    assert set(estimate.cues) == {'feet', 'shoulders', 'torso'}
    # the heels are 6 cm behind the ankles: the feet point is 3 cm beyond the pelvis
    assert estimate.cues['feet'] == pytest.approx(distance + 0.03, abs=0.01)
    assert estimate.cues['shoulders'] == pytest.approx(distance, abs=0.01)


def test_bearing_is_positive_to_the_left():
    left = estimate_person(person(2.5, math.radians(15)), CAMERA)
    right = estimate_person(person(2.5, math.radians(-15)), CAMERA)
    assert left.bearing > 0 > right.bearing


def test_a_seated_persons_feet_bound_the_pelvis_distance_from_below():
    estimate = estimate_person(person(2.6, posture='sitting'), CAMERA)
    # the feet are 0.40 m nearer; the pelvis is at least feet_ahead_of_pelvis behind them
    assert estimate.cues['feet'] == pytest.approx(
        2.2 + 0.03 + BodyPriors().feet_ahead_of_pelvis, abs=0.01)
    assert estimate.distance == estimate.cues['feet'] <= 2.6


def test_feet_tucked_in_and_a_small_person_leaning_forward_still_stop_it_early():
    # feet only 0.15 m ahead of the pelvis, narrow shoulders, torso leaning towards the
    # camera: the size cues read too far, the feet cue is still not beyond the pelvis
    landmarks = person(2.2, posture='sitting', feet_ahead=0.15, shoulder_width=0.33,
                       lean=0.15)
    # (the mean of ankles and heels is 0.03 m behind the ankles, hence the few centimetres)
    assert estimate_person(landmarks, CAMERA).distance <= 2.2 + 0.04


def test_foreshortened_shoulders_are_outvoted_by_the_smallest_cue():
    turned = estimate_person(person(2.5, turned=math.radians(60)), CAMERA)
    assert turned.cues['shoulders'] > 4.0          # looks half as wide: twice as far
    assert turned.distance == pytest.approx(2.5, abs=0.03)


def test_a_narrow_person_seen_without_feet_is_placed_too_far_by_the_width_prior():
    # the documented limit of size priors: 0.33 m shoulders read 15 % too far; the torso
    # cue (and the feet, when seen) keep the estimate near the truth
    estimate = estimate_person(person(2.5, shoulder_width=0.33, hidden=FEET), CAMERA)
    assert estimate.cues['shoulders'] == pytest.approx(2.5 * 0.38 / 0.33, rel=0.02)
    assert estimate.distance == pytest.approx(2.5, abs=0.06)


def test_size_cues_alone_when_the_feet_are_out_of_view():
    estimate = estimate_person(person(3.0, hidden=FEET), CAMERA)
    assert 'feet' not in estimate.cues
    assert estimate.distance == pytest.approx(3.0, abs=0.06)


def test_the_shoulders_alone_give_a_distance_and_bearing():
    estimate = estimate_person(person(3.0, math.radians(10), hidden=FEET + (23, 24)), CAMERA)
    assert set(estimate.cues) == {'shoulders'}
    assert estimate.distance == pytest.approx(3.0, abs=0.03)
    assert math.degrees(estimate.bearing) == pytest.approx(10.0, abs=1.0)


def test_nobody_usable_gives_no_estimate():
    assert estimate_person([(0.5, 0.5, 0.1)] * 33, CAMERA) is None
    # feet alone give no torso bearing
    assert estimate_person(person(2.5, hidden=(11, 12, 23, 24)), CAMERA) is None


def test_malformed_landmarks_are_refused():
    with pytest.raises(ValueError, match='33 landmarks'):
        estimate_person([(0.5, 0.5, 1.0)] * 32, CAMERA)
    with pytest.raises(ValueError, match='triples'):
        estimate_person([(0.5, 'a', 1.0)] * 33, CAMERA)
    with pytest.raises(ValueError, match='triples'):
        estimate_person([(0.5, 0.5)] * 33, CAMERA)
    with pytest.raises(TypeError):
        estimate_person(person(2.0), camera=None)


def test_non_finite_landmarks_are_not_seen():
    landmarks = person(2.5)
    landmarks[11] = (float('nan'), 0.3, 0.99)
    estimate = estimate_person(landmarks, CAMERA)
    assert 'shoulders' not in estimate.cues and estimate.distance == pytest.approx(2.5, abs=0.05)


def test_camera_model_from_fov_and_its_checks():
    sim = CameraModel.from_fov(2 * math.atan(math.tan(math.radians(30)) * W / H), W, H)
    assert sim.fx == pytest.approx(F) and sim.cx == pytest.approx((W - 1) / 2)
    forward = CAMERA.ray(CAMERA.cx / W, CAMERA.cy / H)
    assert forward[1] == pytest.approx(0.0, abs=1e-9)
    assert math.degrees(math.atan2(-forward[2], forward[0])) == pytest.approx(5.0)
    for bad in ({'fx': 0.0}, {'fy': float('nan')}, {'width': 0}, {'height': 4.5},
                {'mount_height': 5.0}, {'tilt': math.radians(80)}, {'cx': True}):
        args = {**dict(fx=F, fy=F, cx=320.0, cy=240.0, width=W, height=H), **bad}
        with pytest.raises(ValueError, match=next(iter(bad))):
            CameraModel(**args)
    with pytest.raises(ValueError, match='hfov'):
        CameraModel.from_fov(math.pi, W, H)
    with pytest.raises(ValueError, match='shoulder_width'):
        BodyPriors(shoulder_width=0.0)


# ---- the controller -----------------------------------------------------------------------

SETTINGS = ApproachSettings(stop_distance=2.2, tolerance=0.05, max_speed=0.25, min_speed=0.05,
                            slow_down_distance=0.8, facing_tolerance=math.radians(12),
                            fresh_for=0.5, search_after=3.0, search_turn_rate=0.3,
                            timeout=60.0, max_travel=4.0)


def seen(distance, bearing=0.0):
    return PersonEstimate(distance=distance, bearing=bearing)


def test_turns_towards_the_person_before_driving():
    c = ApproachController(SETTINGS, start=0.0)
    c.add_estimate(1.0, seen(3.5, math.radians(40)))
    command = c.update(1.1)
    assert command.status == TURNING and command.linear == 0.0 and command.angular > 0
    c.add_estimate(1.2, seen(3.5, math.radians(-40)))
    command = c.update(1.3)
    assert command.linear == 0.0 and command.angular == -SETTINGS.max_turn_rate
    c.add_estimate(1.4, seen(3.5, math.radians(5)))
    command = c.update(1.5)
    assert command.status == DRIVING and command.linear == SETTINGS.max_speed
    assert 0 < command.angular < 0.1       # keeps correcting its heading while driving


def test_slows_down_near_the_goal_and_stops_at_the_distance():
    c = ApproachController(SETTINGS, start=0.0)
    speeds = []
    t, distance = 0.0, 3.6
    while True:
        t += 0.1
        c.add_estimate(t - 0.05, seen(distance))
        command = c.update(t)
        if command.status != DRIVING:
            break
        speeds.append(command.linear)
        distance -= command.linear * 0.1
    assert command.status == ARRIVED and command.linear == 0.0 and command.angular == 0.0
    assert SETTINGS.stop_distance <= distance <= SETTINGS.stop_distance + SETTINGS.tolerance
    assert speeds[0] == SETTINGS.max_speed
    assert all(a >= b for a, b in zip(speeds, speeds[1:])), 'never speeds up'
    assert min(speeds) == SETTINGS.min_speed
    assert command.distance == pytest.approx(distance, abs=0.03)
    # arrived is final: a later far estimate does not start it again
    c.add_estimate(t + 0.1, seen(3.0))
    assert c.update(t + 0.2) == command


def test_never_forward_when_closer_than_the_distance_and_no_backing_away():
    c = ApproachController(SETTINGS, start=0.0)
    c.add_estimate(0.0, seen(1.5))
    command = c.update(0.1)
    assert command.status == ARRIVED and command.linear == 0.0


def test_turns_to_face_before_declaring_arrival():
    c = ApproachController(SETTINGS, start=0.0)
    c.add_estimate(0.0, seen(2.2, math.radians(30)))
    command = c.update(0.1)
    assert command.status == TURNING and command.linear == 0.0 and command.angular > 0
    c.add_estimate(0.2, seen(2.2, math.radians(2)))
    assert c.update(0.3).status == ARRIVED


def test_never_forward_without_a_fresh_estimate():
    c = ApproachController(SETTINGS, start=0.0)
    c.add_estimate(1.0, seen(3.5))
    assert c.update(1.5).linear > 0            # 0.5 s old: still fresh
    command = c.update(1.6)
    assert command.status == LOST and (command.linear, command.angular) == (0.0, 0.0)
    # a frame in which nobody was usable does not refresh anything
    c.add_estimate(1.7, None)
    assert c.update(1.8).status == LOST


def test_a_single_far_outlier_does_not_drive_it_on():
    c = ApproachController(SETTINGS, start=0.0)
    for i, d in enumerate([2.24, 2.23, 2.25, 2.24]):
        c.add_estimate(i * 0.1, seen(d))
    c.add_estimate(0.4, seen(4.0))
    command = c.update(0.45)
    assert command.status == ARRIVED and command.linear == 0.0


def test_waits_then_searches_towards_where_the_person_was_last_seen():
    c = ApproachController(SETTINGS, start=0.0)
    assert c.update(1.0).status == WAITING and c.update(1.0).angular == 0.0
    command = c.update(3.0)
    assert command.status == SEARCHING and command.linear == 0.0
    assert command.angular == SETTINGS.search_turn_rate
    c.add_estimate(4.0, seen(3.5, math.radians(-30)))
    assert c.update(4.1).status == TURNING
    assert c.update(5.0).status == LOST
    command = c.update(7.0)
    assert command.status == SEARCHING and command.angular == -SETTINGS.search_turn_rate


def test_never_turns_when_the_person_vanished_close_by():
    c = ApproachController(SETTINGS, start=0.0)
    c.add_estimate(1.0, seen(SETTINGS.stop_distance + SETTINGS.search_margin - 0.05))
    for t in (2.0, 5.0, 30.0):
        command = c.update(t)
        assert command.status == LOST and (command.linear, command.angular) == (0.0, 0.0)


def test_gives_up_after_the_timeout():
    c = ApproachController(SETTINGS, start=10.0)
    c.add_estimate(69.9, seen(3.5))
    assert c.update(69.95).status == DRIVING
    command = c.update(70.0)
    assert command.status == FAILED and (command.linear, command.angular) == (0.0, 0.0)
    assert '60 s' in command.reason
    assert c.finished and c.update(71.0) == command


def test_gives_up_after_the_maximum_travel():
    c = ApproachController(SETTINGS, start=0.0)
    c.add_estimate(1.0, seen(3.5))
    assert c.update(1.1, travelled=3.9).status == DRIVING
    command = c.update(1.2, travelled=4.0)
    assert command.status == FAILED and 'max_travel' in command.reason
    assert command.linear == 0.0


def test_stop_ends_it_at_once():
    c = ApproachController(SETTINGS, start=0.0)
    c.add_estimate(1.0, seen(3.5))
    assert c.update(1.1).linear > 0
    command = c.stop('e-stop pressed')
    assert command.status == FAILED and command.reason == 'e-stop pressed'
    c.add_estimate(1.2, seen(3.5))
    assert c.update(1.3) == command
    assert c.stop('again') == command, 'the first reason stands'


def test_forward_only_from_a_fresh_far_estimate_straight_ahead():
    """Random estimates and clocks: the rules hold for every command."""
    rng = random.Random(3)
    s = SETTINGS
    for _ in range(200):
        c = ApproachController(s, start=0.0)
        t = 0.0
        for _ in range(30):
            t += rng.uniform(0.0, 0.4)
            if rng.random() < 0.7:
                c.add_estimate(t - rng.uniform(0.0, 0.8),
                               seen(rng.uniform(1.0, 4.5), rng.uniform(-1.0, 1.0)))
            newest = c._recent[-1] if c._recent else None
            command = c.update(t, travelled=rng.uniform(0.0, 3.0))
            assert command.linear >= 0.0
            assert abs(command.angular) <= s.max_turn_rate
            if command.linear > 0:
                assert newest is not None and t - newest[0] <= s.fresh_for + 1e-9
                assert newest[1].distance > s.stop_distance + s.tolerance
                assert abs(newest[1].bearing) <= s.facing_tolerance


def test_out_of_order_estimates_are_ignored_and_inputs_checked():
    c = ApproachController(SETTINGS, start=0.0)
    c.add_estimate(1.0, seen(3.5))
    c.add_estimate(0.5, seen(2.0))
    assert c.update(1.1).status == DRIVING
    with pytest.raises(TypeError):
        c.add_estimate(1.2, (3.0, 0.0))
    with pytest.raises(ValueError, match='now'):
        c.update(float('inf'))
    with pytest.raises(ValueError, match='travelled'):
        c.update(1.3, travelled=-1.0)
    with pytest.raises(TypeError):
        ApproachController({'stop_distance': 2.2}, start=0.0)


@pytest.mark.parametrize('bad', [
    {'stop_distance': 0.2}, {'stop_distance': float('nan')}, {'tolerance': 0.0},
    {'max_speed': 0.0}, {'min_speed': 0.3}, {'slow_down_distance': 0.0},
    {'max_turn_rate': -1.0}, {'facing_tolerance': 1.0}, {'fresh_for': 0.0},
    {'search_turn_rate': 0.9}, {'timeout': 0.0}, {'max_travel': 0.0}, {'smoothing': 0},
    {'smoothing': 2.5}, {'timeout': '60'},
])
def test_settings_are_validated(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        ApproachSettings(**bad)


def test_the_horizontal_field_of_view_follows_the_intrinsics():
    hfov = 2 * math.atan(math.tan(math.radians(30)) * W / H)
    assert CAMERA.horizontal_fov == pytest.approx(hfov)
    assert CameraModel.from_fov(math.radians(90), W, H).horizontal_fov == \
        pytest.approx(math.radians(90))


def test_a_goals_stop_distance_is_checked():
    assert check_stop_distance(2.2) == 2.2
    assert check_stop_distance(1) == 1.0
    for bad, why in ((0.5, '>= 1'), (4.5, '<= 4'), (float('nan'), 'a finite'), ('2', 'a finite')):
        with pytest.raises(ValueError, match=f'stop distance must be {why}'):
            check_stop_distance(bad)


def test_travel_is_summed_from_odometry_and_bad_positions_are_skipped():
    meter = TravelMeter()
    assert meter.add(1.0, 1.0) == 0.0, 'the first position is only the reference'
    assert meter.add(1.3, 1.4) == pytest.approx(0.5)
    with pytest.raises(ValueError, match='odometry y'):
        meter.add(1.3, float('nan'))
    assert meter.add(1.3, 1.9) == pytest.approx(1.0), 'no jump through the bad position'
    assert meter.add(1.3, 1.4) == pytest.approx(1.5), 'driving back counts too'


def test_per_frame_the_nearest_person_is_published_last():
    nearest = NearestPerFrame()
    # frame 1.0: the patient at 2.5 m, then a visitor passing at 1.2 m, then someone at 3 m
    assert [nearest.offer(1.0, d) for d in (2.5, 1.2, 3.0)] == [True, True, False]
    # frame 1.1: the farther one first this time; the nearer one still comes out last
    assert [nearest.offer(1.1, d) for d in (3.0, 1.3, 2.5)] == [True, True, False]
    assert not nearest.offer(1.05, 0.5), 'a late skeleton of an older frame'
    assert nearest.offer(1.2, 2.6), 'a new frame: whoever is seen'
    with pytest.raises(ValueError, match='distance'):
        nearest.offer(1.3, float('nan'))
