"""Sets as people do them (patient.person_set), bodies of other sizes, and viewpoints."""
import math
import random

import pytest

from berntsen_sim import patient as P
from berntsen_sim import viewpoints as V

NEW = ('seated_knee_extension', 'standing_hip_abduction', 'heel_slide', 'straight_leg_raise',
       'lying_arm_raise', 'squat', 'elbow_flexion_forward')
COACH = ('arm_raise', 'seated_arm_raise', 'sit_to_stand', 'standing_march', 'heel_raise',
         'elbow_flexion', 'mini_squat') + NEW[:5]


def deg(joints, name):
    return math.degrees(joints[name])


def test_new_motions_have_the_asked_ranges_and_postures():
    sit = P.joint_positions(P.EXERCISES['seated_knee_extension'].pose(0.0, 0))
    top = P.joint_positions(P.EXERCISES['seated_knee_extension'].pose(1.0, 0))
    assert 80 <= deg(sit, 'knee_left') <= 100 and 10 <= deg(top, 'knee_left') <= 20
    assert deg(top, 'knee_right') == pytest.approx(deg(sit, 'knee_right'))
    out = P.joint_positions(P.EXERCISES['standing_hip_abduction'].pose(1.0, 1))
    assert 25 <= deg(out, 'hip_abd_right') <= 35 and out['hip_abd_left'] == 0.0
    assert out['knee_right'] < math.radians(10)     # as straight as standing
    slide0 = P.joint_positions(P.EXERCISES['heel_slide'].pose(0.0, 0))
    slide1 = P.joint_positions(P.EXERCISES['heel_slide'].pose(1.0, 0))
    assert 0 <= deg(slide0, 'knee_left') <= 5 and 80 <= deg(slide1, 'knee_left') <= 100
    # hip flexion half the knee flexion: the ankle stays level with the hip (heel on the bed)
    assert slide1['hip_left'] == pytest.approx(slide1['knee_left'] / 2)
    raise_ = P.joint_positions(P.EXERCISES['straight_leg_raise'].pose(1.0, 0))
    assert 35 <= deg(raise_, 'hip_left') <= 45 and raise_['knee_left'] == 0.0
    arms0 = P.joint_positions(P.EXERCISES['lying_arm_raise'].pose(0.0, 0))
    arms1 = P.joint_positions(P.EXERCISES['lying_arm_raise'].pose(1.0, 0))
    assert deg(arms0, 'shoulder_flex_left') == pytest.approx(90)
    assert 160 <= deg(arms1, 'shoulder_flex_right') <= 170
    squat = P.joint_positions(P.EXERCISES['squat'].pose(1.0, 0))
    standing = P.joint_positions(P.STANDING_POSE)
    assert 90 <= deg(squat, 'knee_left') <= 100 and squat['pelvis_z'] < standing['pelvis_z'] - 0.25
    for name in ('heel_slide', 'straight_leg_raise', 'lying_arm_raise'):
        assert P.EXERCISES[name].posture == P.LYING
        assert P.joint_positions(P.EXERCISES[name].pose(0.5, 0))['body_roll'] == \
            pytest.approx(-math.pi / 2)


@pytest.mark.parametrize('name', [n for n, m in P.EXERCISES.items() if m.alternating])
def test_alternating_motions_switch_sides_and_the_truth_knows_the_side(name):
    motion = P.EXERCISES[name]
    first = P.joint_positions(motion.pose(1.0, 0))
    second = P.joint_positions(motion.pose(1.0, 1))
    rest = P.joint_positions(motion.pose(0.0, 0))
    moved = [{j for j in P.JOINT_NAMES if abs(j_[j] - rest[j]) > 1e-6 and j.endswith(('_left', '_right'))}
             for j_ in (first, second)]
    assert moved[0] and all(j.endswith('_left') for j in moved[0]), moved[0]
    assert moved[1] and all(j.endswith('_right') for j in moved[1]), moved[1]
    plan = P.plan_set(motion, 0.0, [(2.0, 1.0, 0.5)] * 4)
    assert [r.side for r in plan.reps] == ['left', 'right', 'left', 'right']


def test_lying_patient_does_a_lying_exercise_in_bed():
    patient = P.VirtualPatient('cooperative', seed=3)
    assert patient.perform(0.0, 'heel_slide', 4)
    postures, t, last = set(), 0.0, None
    while t < 60.0:
        state = patient.state(t)
        if state.repetitions:
            postures.add(state.posture)
        last = state
        t += 0.05
    assert last.repetitions == 4 and postures == {P.LYING}


@pytest.mark.parametrize('scale', [0.85, 1.0, 1.15])
@pytest.mark.parametrize('name', sorted(P.EXERCISES))
def test_bodies_of_other_sizes_reach_every_pose_within_the_limits(name, scale):
    rng = random.Random(int(scale * 100))
    for _ in range(3):
        body = P.Body(scale=scale, **{k: 1 + rng.choice((-0.08, 0.08)) for k in
                                      ('thigh', 'shin', 'trunk', 'upper_arm', 'forearm')})
        motion = P.EXERCISES[name]
        for rep in (0, 1):
            for r in (0.0, 0.3, 0.7, 1.0):
                joints = P.joint_positions(motion.pose(r, rep, body), body)
                for joint, value in joints.items():
                    limits = P._limits_of(joint)
                    if limits:
                        assert limits[0] - 1e-9 <= value <= limits[1] + 1e-9, (joint, value)
        if motion.posture != P.LYING:
            # the standing leg's foot is on the floor: forward kinematics of the default
            # leg lengths would miss it, this body's reach it
            j = P.joint_positions(body.rest_pose(motion.posture), body)
            hip, knee = j['hip_left'], j['knee_left']
            z = (j['pelvis_z'] - body.thigh_length * math.cos(hip)
                 - body.shin_length * math.cos(hip - knee))
            assert z == pytest.approx(body.ankle_z, abs=1e-6)


def test_default_body_keeps_the_module_constants():
    b = P.DEFAULT_BODY
    assert (b.thigh_length, b.shin_length, b.ankle_x, b.ankle_z) == \
        (P.THIGH_LENGTH, P.SHIN_LENGTH, P.ANKLE_X, P.ANKLE_Z)
    assert b.standing_pose() == P.STANDING_POSE and b.sitting_pose() == P.SITTING_POSE


@pytest.mark.parametrize('exercise', COACH)
def test_person_sets_vary_stay_in_limits_and_keep_an_honest_truth(exercise):
    sets = [P.person_set(exercise, random.Random(f'{exercise}{i}')) for i in range(12)]
    again = P.person_set(exercise, random.Random(f'{exercise}0'))
    assert again.truth() == sets[0].truth()                      # seeded
    assert set(s.motion.name for s in sets) <= set(P.variants(exercise))
    amplitudes = [r.amplitude for s in sets for r in s.plan.reps]
    assert min(amplitudes) < 0.6 and max(amplitudes) > 0.9       # a continuous spread
    assert len({round(a, 2) for a in amplitudes}) > len(amplitudes) // 3
    assert len({s.body.scale for s in sets}) == len(sets)
    for s in sets:
        c = s.motion.counted_fraction
        assert [r.counted for r in s.plan.reps] == [r.amplitude >= c for r in s.plan.reps]
        assert s.near_threshold() == sum(abs(r.amplitude - c) <= 0.05 for r in s.plan.reps)
        assert len(s.plan.reps) <= s.target
        assert s.plan.reps[0].start == pytest.approx(s.lead_in)
        t = 0.0
        while t < s.end + 1.0:
            joints = s.joints(t)
            for joint, value in joints.items():
                limits = P._limits_of(joint)
                if limits:
                    assert limits[0] <= value <= limits[1]
            t += 0.1


def test_person_sets_include_early_starts_short_sets_fidgets_and_lagging_sides():
    sets = [P.person_set('seated_arm_raise', random.Random(i)) for i in range(80)]
    assert any(s.lead_in < 1.0 for s in sets)
    assert any(len(s.plan.reps) < s.target for s in sets)
    assert any(s.fidgets for s in sets)
    lagging = next(s for s in sets if s.lag > 0.15 and s.side_deficit > 0.05)
    rep = lagging.plan.reps[0]
    peak = rep.start + (rep.end - rep.start) * (rep.rise + rep.hold / 2)
    joints = lagging.joints(peak)
    weak, strong = lagging.weak_side, 'right' if lagging.weak_side == 'left' else 'left'
    assert joints[f'shoulder_abd_{weak}'] < joints[f'shoulder_abd_{strong}']


def test_viewpoint_classes_and_projection():
    assert [V.view_class(a) for a in (0, 24, 26, 64, 66, 90)] == \
        ['front', 'front', 'oblique', 'oblique', 'side', 'side']
    vp = V.Viewpoint(position=(3.0, 0.0, 1.0), lookat=(0.0, 0.0, 1.0), fovy=60.0,
                     azimuth=0.0, side=1)
    assert vp.project((0.0, 0.0, 1.0)) == pytest.approx((0.5, 0.5))
    u, v = vp.project((0.0, 0.5, 1.5))
    assert u > 0.5 and v < 0.5     # looking along -x, world +y (her left) is the image's right
    assert vp.project((4.0, 0.0, 1.0)) is None
    assert V.classes(legs=True, lying=False) == [(v, 'whole_body') for v in V.VIEWS]
    assert len(V.classes(legs=False, lying=False)) == 6
    assert V.classes(legs=False, lying=True) == [(v, 'whole_body') for v in V.VIEWS]


def test_viewpoint_generator_covers_its_classes():
    pytest.importorskip('mujoco')
    import mujoco

    from berntsen_sim.world import BedroomWorld, patient_keypoints
    world = BedroomWorld()
    rng = random.Random(5)
    for name in ('seated_arm_raise', 'arm_raise', 'heel_slide'):
        motion = P.EXERCISES[name]
        world.set_patient_joints(P.joint_positions(motion.rest_pose()))
        mujoco.mj_forward(world.model, world.data)
        points = patient_keypoints(world.model, world.data)
        lying = motion.posture == P.LYING
        for view, framing in V.classes(motion.legs, lying):
            for _ in range(5):
                vp = V.sample_viewpoint(rng, points, lying, view, framing)
                assert (vp.view, vp.framing) == (view, framing)
                assert V.framing_of(vp, points) == framing
                low, high = V.LYING_HEIGHTS if lying else V.HEIGHTS
                assert low <= vp.height <= high
                assert 0.8 <= vp.distance <= 3.5
                if lying:
                    assert vp.height > 0.5 + 0.2      # above the mattress
                    assert vp.position[0] > -0.4 or vp.position[1] < -1.0   # bedside or foot end


def test_scaled_world_matches_the_body():
    pytest.importorskip('mujoco')
    import mujoco

    from berntsen_sim.world import BedroomWorld
    body = P.Body(scale=1.1, thigh=1.05, shin=0.95, trunk=1.04, upper_arm=0.93, forearm=1.0)
    world = BedroomWorld(body=body)
    world.set_patient_joints(P.joint_positions(body.standing_pose(), body))
    mujoco.mj_forward(world.model, world.data)
    m, d = world.model, world.data
    hip = d.xpos[m.body('left_thigh').id]
    knee = d.xpos[m.body('left_shin').id]
    ankle = d.xpos[m.body('left_foot').id]
    shoulder = d.xpos[m.body('left_upper_arm').id]
    elbow = d.xpos[m.body('left_forearm').id]
    assert math.dist(hip, knee) == pytest.approx(body.thigh_length, abs=1e-6)
    assert math.dist(knee, ankle) == pytest.approx(body.shin_length, abs=1e-6)
    assert ankle[2] == pytest.approx(body.ankle_z, abs=1e-6)
    assert shoulder[2] - hip[2] == pytest.approx(body.shoulder_height, abs=1e-6)
    assert math.dist(shoulder, elbow) == pytest.approx(body.upper_arm_length, abs=1e-6)
