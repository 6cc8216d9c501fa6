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
