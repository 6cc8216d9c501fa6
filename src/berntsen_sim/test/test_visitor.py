"""The visitor: a relative walking through the room (berntsen_sim.visitor) and the kinematic
second person of the MuJoCo world that it poses (BedroomWorld.set_visitor)."""
import math

import numpy as np
import pytest

from berntsen_sim import patient as P
from berntsen_sim import visitor as V
from berntsen_sim.visitor import (ACROSS_THE_ROOM, BEHIND_THE_BED, PAST_THE_PATIENT, VisitorPose,
                                  VisitorWalk)

ROBOT_STARTS = ((2.5, 0.0, math.pi), (3.7, 0.4, math.pi), (0.6, -1.6, math.radians(110.6)))
DEFAULT_WALKS = {
    'across_the_room': VisitorWalk(0.0, ACROSS_THE_ROOM),
    'behind_the_bed': VisitorWalk(0.0, BEHIND_THE_BED, speed=0.5, facing=0.0),
    'past_the_patient': VisitorWalk(0.0, PAST_THE_PATIENT),
}


def times(walk, dt=0.02):
    return np.arange(walk.start, walk.end + 1e-9, dt)


# ---- the walk (pure) ----

def test_walk_enters_at_the_first_waypoint_at_start_and_leaves_at_the_last_at_end():
    walk = VisitorWalk(2.0, ((0.0, 0.0), (3.0, 0.0), (3.0, 4.0)), speed=1.0)
    assert walk.length == pytest.approx(7.0)
    assert walk.end == pytest.approx(9.0)
    first, last = walk.pose(2.0), walk.pose(walk.end)
    assert (first.x, first.y) == pytest.approx((0.0, 0.0))
    assert (last.x, last.y) == pytest.approx((3.0, 4.0))
    corner = walk.pose(5.0)
    assert (corner.x, corner.y) == pytest.approx((3.0, 0.0))
    middle = walk.pose(7.0)
    assert (middle.x, middle.y) == pytest.approx((3.0, 2.0))
    # facing where it goes: +x on the first leg, +y on the second
    assert walk.pose(3.0).yaw == pytest.approx(0.0)
    assert walk.pose(8.0).yaw == pytest.approx(math.pi / 2)


def test_walk_is_absent_before_start_and_after_end():
    walk = VisitorWalk(1.0, ACROSS_THE_ROOM)
    assert walk.pose(0.0) is None
    assert walk.pose(0.999) is None
    assert walk.pose(1.0) is not None and walk.pose(walk.end) is not None
    assert walk.pose(walk.end + 0.01) is None
    assert walk.pose(1e6) is None


@pytest.mark.parametrize('speed', [0.4, 0.9, 1.4])
def test_walk_keeps_its_speed(speed):
    walk = VisitorWalk(0.0, ((0.0, 0.0), (2.0, 1.0), (2.5, -1.0)), speed=speed)
    assert walk.end == pytest.approx(walk.length / speed)
    dt = 0.05
    previous = walk.pose(0.0)
    travelled = 0.0
    for t in np.arange(dt, walk.end, dt):
        pose = walk.pose(t)
        step = math.hypot(pose.x - previous.x, pose.y - previous.y)
        assert step <= speed * dt + 1e-9             # never faster (corners cut a little)
        travelled += step
        previous = pose
    assert travelled == pytest.approx(speed * dt * int(walk.end / dt), rel=0.02)


def test_fixed_facing_keeps_the_yaw_while_walking_sideways():
    walk = VisitorWalk(0.0, BEHIND_THE_BED, speed=0.5, facing=0.0)
    assert all(walk.pose(t).yaw == 0.0 for t in times(walk, 0.25))
    assert VisitorWalk(0.0, BEHIND_THE_BED).pose(1.0).yaw == pytest.approx(math.pi / 2)


def test_gait_swings_legs_and_arms_in_opposition():
    walk = VisitorWalk(0.0, ((0.0, 0.0), (10.0, 0.0)), speed=1.0, step_length=0.6)
    hips, shoulders = [], []
    for t in np.arange(0.0, 2.4, 0.01):
        joints = walk.pose(t).joints
        assert set(joints) == set(V.JOINT_NAMES)
        assert all(math.isfinite(v) for v in joints.values())
        hips.append((joints['visitor_hip_left'], joints['visitor_hip_right']))
        shoulders.append((joints['visitor_shoulder_left'], joints['visitor_shoulder_right']))
    hips, shoulders = np.array(hips), np.array(shoulders)
    # thighs swing through a walking range, half a cycle apart
    for side in (0, 1):
        assert math.radians(25) < np.ptp(hips[:, side]) < math.radians(55)
        assert np.ptp(shoulders[:, side]) > math.radians(25)
    assert np.corrcoef(hips[:, 0], hips[:, 1])[0, 1] < -0.8
    # each arm swings against its own leg
    assert np.corrcoef(hips[:, 0], shoulders[:, 0])[0, 1] < -0.8
    assert np.corrcoef(hips[:, 1], shoulders[:, 1])[0, 1] < -0.8
    # one gait cycle is two steps: the pose repeats every 1.2 m
    a, b = walk.pose(1.0), walk.pose(2.2)
    assert list(a.joints.values()) == pytest.approx(list(b.joints.values()), abs=1e-9)
    assert a.z == pytest.approx(b.z)


@pytest.mark.parametrize('kwargs, message', [
    ({'path': ((0.0, 0.0),)}, 'at least 2 waypoints, got 1'),
    ({'path': ()}, 'at least 2 waypoints, got 0'),
    ({'path': ((0.0, 0.0), (0.0, 0.0))}, 'waypoints 0 and 1 coincide'),
    ({'path': ((0.0, 0.0), (1.0, float('nan')))}, 'waypoint 1 y must be finite'),
    ({'path': ((0.0, 0.0), (1.0,))}, r'waypoint 1 must be an \(x, y\) pair'),
    ({'path': 3}, 'sequence of'),
    ({'speed': 0.0}, 'speed must be above 0'),
    ({'speed': -0.5}, 'speed must be above 0'),
    ({'speed': float('inf')}, 'speed must be finite'),
    ({'start': float('nan')}, 'start must be finite'),
    ({'step_length': 1.2}, 'step_length must be within'),
    ({'facing': float('nan')}, 'facing must be finite'),
])
def test_walk_rejects_unusable_values(kwargs, message):
    args = {'start': 0.0, 'path': ACROSS_THE_ROOM, **kwargs}
    with pytest.raises(ValueError, match=message):
        VisitorWalk(**args)


def test_walk_rejects_a_non_finite_time():
    with pytest.raises(ValueError, match='time must be finite'):
        VisitorWalk(0.0, ACROSS_THE_ROOM).pose(float('nan'))


def test_waypoints_given_as_lists_become_tuples():
    walk = VisitorWalk(0, [[0, 0], [1, 0]])
    assert walk.path == ((0.0, 0.0), (1.0, 0.0))
    assert walk == VisitorWalk(0, ((0.0, 0.0), (1.0, 0.0)))


# ---- the visitor in the MuJoCo world ----

@pytest.fixture(scope='module')
def world():
    from berntsen_sim.world import BedroomWorld

    world = BedroomWorld()
    world.set_patient_joints(P.posture_joints(P.SITTING))
    return world


@pytest.fixture
def parked(world):
    yield world
    world.set_visitor(None)
    world.place_robot(2.5, 0.0, math.pi)


def test_visitor_is_parked_far_below_the_floor_unless_placed(parked):
    import mujoco

    world = parked
    assert not world.visitor_present
    mujoco.mj_forward(world.model, world.data)
    assert world.data.geom_xpos[world.visitor_geoms][:, 2].max() < -20.0
    world.set_visitor(VisitorPose(1.5, 0.3, math.pi / 2, {}))
    assert world.visitor_present
    mujoco.mj_forward(world.model, world.data)
    # zero joints: standing straight, feet flat on the floor, facing +y
    pelvis = world.data.body('visitor_pelvis').xpos
    assert pelvis == pytest.approx((1.5, 0.3, V.STANDING_HIP_HEIGHT))
    assert world.data.body('visitor_head').xpos[2] + 0.11 == pytest.approx(V.HEIGHT, abs=0.005)
    for side in ('left', 'right'):
        assert world.data.body(f'visitor_{side}_foot').xpos[2] == pytest.approx(V.ANKLE_Z)
    nose = world.data.geom('visitor_nose').xpos
    assert nose[1] > 0.3 + 0.09 and abs(nose[0] - 1.5) < 0.01
    world.set_visitor(None)
    mujoco.mj_forward(world.model, world.data)
    assert not world.visitor_present
    assert world.data.geom_xpos[world.visitor_geoms][:, 2].max() < -20.0


def test_visitor_joints_come_after_all_others_in_qpos(world):
    m = world.model
    visitor = [m.joint(n).id for n in ('visitor_x', 'visitor_y', 'visitor_z', 'visitor_yaw')
               + V.JOINT_NAMES]
    others = [j for j in range(m.njnt) if j not in visitor]
    assert max(m.jnt_qposadr[others]) < min(m.jnt_qposadr[visitor])
    # the robot's free joint, the wheels and the patient keep their place: 7 + 2 + 22 values
    assert min(m.jnt_qposadr[visitor]) == 7 + 2 + len(P.JOINT_NAMES)
    assert m.nq == 31 + 4 + len(V.JOINT_NAMES)
    assert len(world.snapshot()) == m.nq


def test_patient_and_visitor_are_posed_independently_and_held_while_stepping(parked):
    world = parked
    m = world.model
    patient_q = [m.jnt_qposadr[m.joint(n).id] for n in P.JOINT_NAMES]
    x_q = m.jnt_qposadr[m.joint('visitor_x').id]
    sitting = world.snapshot()[patient_q]
    pose = DEFAULT_WALKS['across_the_room'].pose(1.0)
    world.set_visitor(pose)
    assert world.snapshot()[patient_q] == pytest.approx(sitting)
    assert world.snapshot()[x_q:x_q + 4] == pytest.approx((pose.x, pose.y, pose.z, pose.yaw))
    world.set_patient_joints(P.posture_joints(P.STANDING))
    world.step(250)       # gravity does not pull the visitor down
    assert world.snapshot()[x_q:x_q + 4] == pytest.approx((pose.x, pose.y, pose.z, pose.yaw))
    knee = m.jnt_qposadr[m.joint('visitor_knee_left').id]
    assert world.snapshot()[knee] == pytest.approx(pose.joints['visitor_knee_left'])
    world.set_patient_joints(P.posture_joints(P.SITTING))
    world.step(1)
    assert world.snapshot()[patient_q] == pytest.approx(sitting)


def test_set_visitor_rejects_unknown_joints_and_non_finite_poses(world):
    with pytest.raises(ValueError, match='no joint hip_left'):
        world.set_visitor(VisitorPose(1.0, 0.0, 0.0, {'hip_left': 0.1}))
    with pytest.raises(ValueError, match='finite'):
        world.set_visitor(VisitorPose(1.0, float('nan'), 0.0, {}))
    assert not world.visitor_present


def test_visitor_never_collides_nor_counts_in_clearance_or_touching(parked):
    world = parked
    m = world.model
    assert not m.geom_contype[world.visitor_geoms].any()
    assert not m.geom_conaffinity[world.visitor_geoms].any()
    # the robot in the open, then the visitor standing right inside it
    world.place_robot(2.5, 0.0, math.pi)
    alone = world.clearance()
    assert alone == (1.0, '', '', -1)
    world.set_visitor(VisitorPose(2.5, 0.0, 0.0, {}))
    world.step(5)
    assert world.clearance() == alone
    assert world.touching() == ''
    assert not set(world.data.contact.geom[:world.data.ncon].ravel()) & set(world.visitor_geoms)
    # next to the bed: the bed is reported, not the visitor between robot and bed
    world.place_robot(0.12 + 0.2 + 0.05, -0.7, math.pi)
    world.set_visitor(VisitorPose(0.3, -0.7, 0.0, {}))
    world.step(1)
    near = world.clearance()
    assert near.other == 'bed_frame' and near.distance == pytest.approx(0.05, abs=1e-6)
    assert near.other_id not in world.visitor_geoms


def _near_pairs(world, geoms, others, distmax):
    """Geom pairs whose bounding spheres are within distmax."""
    m, d = world.model, world.data
    gap = (np.linalg.norm(d.geom_xpos[geoms][:, None] - d.geom_xpos[others][None], axis=2)
           - m.geom_rbound[geoms][:, None] - m.geom_rbound[others][None])
    return [(int(geoms[i]), int(others[j])) for i, j in zip(*np.nonzero(gap < distmax))]


@pytest.mark.parametrize('name', sorted(DEFAULT_WALKS))
def test_default_paths_stay_clear_of_furniture_walls_patient_and_robot(parked, name):
    import mujoco

    world = parked
    m, d = world.model, world.data
    walk = DEFAULT_WALKS[name]
    skip = {m.geom('floor').id, m.geom('ceiling').id}
    others = np.array([g for g in range(m.ngeom)
                       if g not in set(world.visitor_geoms) | skip], dtype=int)
    x_min, x_max, y_min, y_max = world.room_interior()
    for robot in ROBOT_STARTS:
        world.place_robot(*robot)
        for t in times(walk, 0.04):
            world.set_visitor(walk.pose(t))
            mujoco.mj_kinematics(m, d)
            for g, o in _near_pairs(world, world.visitor_geoms, others, 0.05):
                dist = mujoco.mj_geomDistance(m, d, g, o, 0.05, None)
                assert dist > 0.0, (f'{name} at t={t:.2f} s: {world.geom_label(g)} in '
                                    f'{world.geom_label(o)} (robot at {robot})')
            xy = d.geom_xpos[world.visitor_geoms][:, :2]
            assert (xy[:, 0] > x_min).all() and (xy[:, 0] < x_max).all()
            assert (xy[:, 1] > y_min).all() and (xy[:, 1] < y_max).all()


@pytest.mark.parametrize('name', sorted(DEFAULT_WALKS))
def test_default_paths_pass_the_patient_in_any_sitting_or_standing_exercise(parked, name):
    import mujoco

    world = parked
    m, d = world.model, world.data
    walk = DEFAULT_WALKS[name]
    try:
        for exercise, motion in sorted(P.EXERCISES.items()):
            if motion.posture == P.LYING:
                continue
            for fraction, rep in ((0.0, 0), (1.0, 0), (1.0, 1)):
                world.set_patient_joints(P.joint_positions(motion.pose(fraction, rep)))
                for t in times(walk, 0.1):
                    world.set_visitor(walk.pose(t))
                    mujoco.mj_kinematics(m, d)
                    for g, o in _near_pairs(world, world.visitor_geoms, world.patient_geoms, 0.0):
                        assert mujoco.mj_geomDistance(m, d, g, o, 0.05, None) > 0.0, (
                            f'{name} at t={t:.1f} s runs into her {world.geom_label(o)} '
                            f'({exercise} at {fraction:.0%}, repetition {rep})')
    finally:
        world.set_patient_joints(P.posture_joints(P.SITTING))


@pytest.mark.parametrize('name', sorted(DEFAULT_WALKS))
def test_feet_stay_planted_in_stance_and_never_go_through_the_floor(parked, name):
    import mujoco

    world = parked
    m, d = world.model, world.data
    walk = DEFAULT_WALKS[name]
    feet = {side: m.body(f'visitor_{side}_foot').geomadr[0] for side in ('left', 'right')}
    planted = {side: [] for side in feet}      # (t, x, y) of the sole while on the floor
    for t in times(walk, 0.01):
        world.set_visitor(walk.pose(t))
        mujoco.mj_kinematics(m, d)
        for side, geom in feet.items():
            centre, rot = d.geom_xpos[geom], d.geom_xmat[geom].reshape(3, 3)
            corners = [centre + rot @ (np.array(c) * m.geom_size[geom])
                       for c in np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).T.reshape(-1, 3)]
            bottom = min(c[2] for c in corners)
            assert bottom > -0.005, f'{side} foot {bottom:.3f} m below the floor at t={t:.2f}'
            if bottom < 0.002:
                planted[side].append((t, *centre[:2]))
    for side, samples in planted.items():
        assert len(samples) > 0.3 * len(times(walk, 0.01))
        # consecutive samples on the floor: the foot does not slide (a forward walk) or
        # barely (the side step shuffles, but its stance foot stays put too)
        slides = [math.hypot(b[1] - a[1], b[2] - a[2]) for a, b in zip(samples, samples[1:])
                  if b[0] - a[0] < 0.015]
        if name != 'behind_the_bed':
            assert max(slides) < 0.004, f'{side} foot slides {max(slides):.3f} m in 10 ms'


# ---- rendering ----

def _render_setup(world, width=320, height=240):
    from berntsen_sim.world import HeadCameraRenderer

    world.place_robot(2.5, 0.0, math.pi)
    return HeadCameraRenderer(world.model, width, height)


@pytest.mark.slow
def test_head_camera_sees_the_visitor_where_it_stands_and_parking_restores_the_image(parked):
    import mujoco

    from berntsen_sim.world import visitor_keypoints

    world = parked
    renderer = _render_setup(world)
    try:
        before = renderer.render(world.snapshot())
        walk = VisitorWalk(0.0, ((1.0, -1.0), (1.0, 1.0)))
        for t, image_side in ((0.5, 'left'), (1.7, 'right')):
            pose = walk.pose(t)
            world.set_visitor(pose)
            mujoco.mj_forward(world.model, world.data)
            seen = renderer.render(world.snapshot())
            changed = np.any(seen != before, axis=2)
            assert changed.mean() > 0.03
            columns = np.flatnonzero(changed.any(axis=0))
            # world -y is on the image's left for the robot facing -x
            centre = columns.mean() / seen.shape[1]
            assert centre < 0.45 if image_side == 'left' else centre > 0.55
            # her green jumper shows where the visitor's chest projects
            chest = _project(world, visitor_keypoints(world.model, world.data)['pelvis']
                             + np.array([0.0, 0.0, 0.36]), seen.shape)
            r, g, b = seen[chest[1], chest[0]].astype(int)
            assert g > r + 30 and g > b
        world.set_visitor(None)
        after = renderer.render(world.snapshot())
        assert np.array_equal(after, before)
    finally:
        renderer.close()


def _project(world, point, shape):
    """Pixel (column, row) of a world point in the head camera image."""
    import mujoco

    mujoco.mj_forward(world.model, world.data)
    height, width = shape[:2]
    fx, fy, cx, cy = world.camera_intrinsics(width, height)
    pos = world.data.cam_xpos[world.camera_id]
    rot = world.data.cam_xmat[world.camera_id].reshape(3, 3)
    local = rot.T @ (np.asarray(point) - pos)        # camera looks along its -z, y up
    return (int(round(cx + fx * local[0] / -local[2])), int(round(cy - fy * local[1] / -local[2])))


@pytest.mark.slow
def test_the_parked_visitor_draws_no_pixel_from_the_head_or_a_free_camera(world):
    """Parked, the images are those of the world with the visitor made invisible."""
    import copy
    import random

    import mujoco

    from berntsen_sim import viewpoints as VP
    from berntsen_sim.world import FreeCameraRenderer, HeadCameraRenderer, patient_keypoints

    hidden = copy.deepcopy(world.model)
    hidden.geom_rgba[world.visitor_geoms, 3] = 0.0
    hidden.geom_matid[world.visitor_geoms] = -1
    world.set_visitor(None)
    mujoco.mj_forward(world.model, world.data)
    points = patient_keypoints(world.model, world.data)
    rng = random.Random(4)
    for cls in (FreeCameraRenderer, HeadCameraRenderer):
        shown, unseen = cls(world.model, 320, 240), cls(hidden, 320, 240)
        try:
            for robot in ROBOT_STARTS if cls is HeadCameraRenderer else ROBOT_STARTS[:1]:
                world.place_robot(*robot)
                q = world.snapshot()
                if cls is FreeCameraRenderer:
                    for view in ('front', 'side'):
                        viewpoint = VP.sample_viewpoint(rng, points, False, view, 'whole_body')
                        shown.set_viewpoint(viewpoint, q)
                        unseen.set_viewpoint(viewpoint, q)
                        assert np.array_equal(shown.render(q), unseen.render(q)), viewpoint
                else:
                    assert np.array_equal(shown.render(q), unseen.render(q)), robot
        finally:
            shown.close()
            unseen.close()
    world.place_robot(2.5, 0.0, math.pi)
