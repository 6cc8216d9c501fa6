"""The MuJoCo world: it loads from the package, the robot drives, the patient is posed."""
import math

import numpy as np
import pytest

from berntsen_sim import patient as P
from berntsen_sim.world import BedroomWorld, world_path


@pytest.fixture(scope='module')
def world():
    return BedroomWorld()


def test_world_file_ships_inside_the_package():
    assert world_path().endswith('berntsen_sim/assets/bedroom.xml')


def test_equal_wheel_speeds_drive_the_robot_straight_towards_the_patient():
    world = BedroomWorld()
    start, _ = world.base_pose()
    world.set_wheel_velocities(5.0, 5.0)
    world.step(1000)   # 2 s
    pos, _ = world.base_pose()
    # the robot faces -x (the patient); 5 rad/s on 6 cm wheels is 0.3 m/s
    assert start[0] - pos[0] == pytest.approx(0.6, rel=0.25)
    assert abs(pos[1] - start[1]) < 0.02
    linear, _ = world.base_twist()
    assert linear[0] == pytest.approx(0.3, rel=0.2)
    positions, velocities = world.wheel_states()
    assert velocities == pytest.approx([5.0, 5.0], rel=0.1)
    assert np.all(positions > 8.0)


def test_opposite_wheel_speeds_turn_on_the_spot():
    world = BedroomWorld()
    start, _ = world.base_pose()
    world.set_wheel_velocities(-3.0, 3.0)
    world.step(500)
    pos, _ = world.base_pose()
    _, angular = world.base_twist()
    assert angular[2] > 0.5      # counter-clockwise when the right wheel goes forward
    assert np.linalg.norm(pos[:2] - start[:2]) < 0.05


def test_wheel_commands_are_clipped_to_the_actuator_range(world):
    world.set_wheel_velocities(100.0, -100.0)
    assert list(world.data.ctrl) == [world.wheel_limit, -world.wheel_limit]
    world.set_wheel_velocities(0.0, 0.0)


def test_patient_holds_its_pose_while_physics_runs(world):
    joints = P.joint_positions(P.STANDING_POSE)
    world.set_patient_joints(joints)
    world.step(250)
    head_z = world.data.body('head').xpos[2]
    assert 1.5 < head_z < 1.8                       # an adult's head height
    world.set_patient_joints(P.joint_positions(P.SITTING_POSE))
    world.step(250)
    assert world.data.body('head').xpos[2] == pytest.approx(head_z - 0.375, abs=0.05)
    # feet stay on the floor in both
    assert world.data.body('left_foot').xpos[2] == pytest.approx(P.ANKLE_Z, abs=1e-6)


def test_camera_intrinsics_follow_the_vertical_field_of_view(world):
    fx, fy, cx, cy = world.camera_intrinsics(640, 480)
    fovy = math.radians(world.model.cam_fovy[world.camera_id])
    assert 2 * math.atan(240 / fy) == pytest.approx(fovy)
    assert fx == fy and (cx, cy) == (319.5, 239.5)


def _sitting_world():
    world = BedroomWorld()
    world.set_patient_joints(P.joint_positions(P.SITTING_POSE))
    return world


def test_place_robot_puts_the_base_at_rest_on_the_floor_at_the_given_pose():
    world = _sitting_world()
    world.set_wheel_velocities(5.0, 5.0)
    world.step(200)
    world.place_robot(1.5, -0.5, math.radians(90))
    pos, quat = world.base_pose()
    assert pos == pytest.approx([1.5, -0.5, 0.0])
    assert quat == pytest.approx([math.cos(math.pi / 4), 0, 0, math.sin(math.pi / 4)])
    linear, angular = world.base_twist()
    assert np.allclose(linear, 0) and np.allclose(angular, 0)
    assert np.allclose(world.wheel_states()[1], 0)
    # the head camera moved with it (mj_forward ran): it looks along +y now
    cam_xmat = world.data.cam_xmat[world.camera_id].reshape(3, 3)
    assert -cam_xmat[:, 2] @ [0, 1, 0] > 0.9     # MuJoCo cameras look along their -z
    # and it stays put: wheels stopped, it sits on the floor
    world.set_wheel_velocities(0.0, 0.0)
    world.step(250)
    assert world.base_pose()[0] == pytest.approx([1.5, -0.5, 0.0], abs=0.01)


def test_place_robot_rejects_non_finite_poses():
    with pytest.raises(ValueError, match='yaw'):
        BedroomWorld().place_robot(1.0, 0.0, float('nan'))


def test_patient_distance_is_horizontal_from_base_centre_to_hip_centre():
    world = _sitting_world()
    world.place_robot(2.5, 0.0, math.pi)
    assert world.patient_distance() == pytest.approx(2.5)
    world.place_robot(1.5, 0.0, math.pi)
    assert world.patient_distance() == pytest.approx(1.5)       # 1 m closer, 1 m less
    world.place_robot(1.5, 2.0 - 0.3, 0.0)                       # heading does not matter
    assert world.patient_distance() == pytest.approx(math.hypot(1.5, 1.7))
    # the hip-joint centre, not the head: standing up moves it forward 0.4 m
    world.place_robot(2.5, 0.0, math.pi)
    world.set_patient_joints(P.joint_positions(P.STANDING_POSE))
    world.step(1)
    assert world.patient_distance() == pytest.approx(2.5 - P.ANKLE_X, abs=1e-6)


def test_clearance_in_the_open_reports_the_range_limit_and_no_contact():
    world = _sitting_world()
    world.place_robot(2.5, 0.0, math.pi)
    assert world.clearance() == (1.0, '', '', -1)
    assert world.clearance(distmax=3.0).distance < 3.0
    assert world.touching() == ''


def test_clearance_measures_the_gap_to_the_bed_and_the_touch_names_it():
    world = _sitting_world()
    bed_edge = 0.12                 # x of the bed frame's front face (assets/bedroom.xml)
    chassis_radius = 0.2
    world.place_robot(bed_edge + chassis_radius + 0.3, -0.7, math.pi)
    near = world.clearance()
    assert near.distance == pytest.approx(0.3, abs=1e-6)
    assert (near.other, near.robot) == ('bed_frame', 'chassis')
    assert world.touching() == ''
    world.place_robot(bed_edge + chassis_radius - 0.01, -0.7, math.pi)   # 1 cm into it
    near = world.clearance()
    assert near.distance == pytest.approx(-0.01, abs=1e-6) and near.other == 'bed_frame'
    assert world.touching() == 'bed_frame'


def test_unnamed_geoms_are_named_by_their_body():
    world = _sitting_world()
    world.place_robot(0.9 + 0.21 + 0.2 + 0.1, 1.5, math.pi)   # in front of the chair legs
    near = world.clearance()
    assert near.other == 'chair' and 0.05 < near.distance < 0.2


def test_touching_the_patient_counts_although_patient_geoms_do_not_collide():
    world = _sitting_world()
    # sitting, the feet reach x ~0.58; put the robot a little in front of them
    world.place_robot(0.85, 0.0, math.pi)
    far = world.clearance()
    assert far.distance > 0.005
    assert world.touching() == ''
    world.place_robot(0.85 - far.distance, 0.0, math.pi)
    near = world.clearance()
    assert -0.005 < near.distance < 0.005
    assert near.other_id in world.patient_geoms
    assert world.touching() == near.other
    # no physical contact with the patient: the touch comes from the clearance
    assert not set(world.data.contact.geom[:world.data.ncon].ravel()) & set(world.patient_geoms)
