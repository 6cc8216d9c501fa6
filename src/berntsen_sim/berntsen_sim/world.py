"""The MuJoCo bedroom world: physics of the robot, kinematic patient, head-camera rendering.

No rclpy here; the sim node, the tests and bench/sim_render.py share this class.
Rendering uses `mujoco.Renderer`, which picks its OpenGL backend from the MUJOCO_GL
environment variable (osmesa or egl for headless machines).
"""
from __future__ import annotations

import math
from importlib import resources

import mujoco
import numpy as np

from berntsen_sim.patient import JOINT_NAMES

WORLD_FILE = 'bedroom.xml'
CAMERA_NAME = 'head_camera'
WHEEL_NAMES = ('left_wheel', 'right_wheel')
WHEEL_RADIUS = 0.06       # m, matches assets/bedroom.xml
WHEEL_SEPARATION = 0.34   # m


def world_path() -> str:
    """Path of the packaged MJCF world (works from sources and when installed)."""
    return str(resources.files('berntsen_sim') / 'assets' / WORLD_FILE)


class BedroomWorld:
    """Physics state of the bedroom plus helpers to drive the robot and pose the patient."""

    def __init__(self, path: str | None = None):
        self.model = mujoco.MjModel.from_xml_path(path or world_path())
        self.data = mujoco.MjData(self.model)
        m = self.model
        self._patient_qpos = np.array(
            [m.jnt_qposadr[m.joint(name).id] for name in JOINT_NAMES], dtype=int)
        self._patient_dof = np.array(
            [m.jnt_dofadr[m.joint(name).id] for name in JOINT_NAMES], dtype=int)
        self._wheel_qpos = np.array([m.jnt_qposadr[m.joint(n).id] for n in WHEEL_NAMES], dtype=int)
        self._wheel_dof = np.array([m.jnt_dofadr[m.joint(n).id] for n in WHEEL_NAMES], dtype=int)
        self._wheel_act = np.array([m.actuator(n).id for n in WHEEL_NAMES], dtype=int)
        self.wheel_limit = float(m.actuator_ctrlrange[self._wheel_act[0], 1])
        base_joint = m.joint('base_free').id
        self._base_qpos = m.jnt_qposadr[base_joint]
        self._base_dof = m.jnt_dofadr[base_joint]
        self.camera_id = m.camera(CAMERA_NAME).id
        self._patient_target = self.data.qpos[self._patient_qpos].copy()
        mujoco.mj_forward(m, self.data)

    @property
    def time(self) -> float:
        return float(self.data.time)

    @property
    def timestep(self) -> float:
        return float(self.model.opt.timestep)

    def set_patient_joints(self, joints: dict) -> None:
        """Joint positions the patient holds from now on (see patient.JOINT_NAMES)."""
        self._patient_target = np.array([joints[name] for name in JOINT_NAMES], dtype=float)
        self._hold_patient()

    def _hold_patient(self) -> None:
        self.data.qpos[self._patient_qpos] = self._patient_target
        self.data.qvel[self._patient_dof] = 0.0

    def set_wheel_velocities(self, left: float, right: float) -> None:
        """Velocity-servo setpoints in rad/s, clipped to the actuators' range."""
        lim = self.wheel_limit
        self.data.ctrl[self._wheel_act] = np.clip([left, right], -lim, lim)

    def step(self, n: int = 1) -> None:
        """Advance the physics n steps; the kinematic patient is held at its targets."""
        for _ in range(n):
            self._hold_patient()
            mujoco.mj_step(self.model, self.data)
        self._hold_patient()

    def wheel_states(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions rad, velocities rad/s) of the left and right wheels."""
        return self.data.qpos[self._wheel_qpos].copy(), self.data.qvel[self._wheel_dof].copy()

    def base_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Robot base position (x, y, z) and orientation quaternion (w, x, y, z) in the world."""
        q = self.data.qpos[self._base_qpos:self._base_qpos + 7]
        return q[:3].copy(), q[3:7].copy()

    def base_twist(self) -> tuple[np.ndarray, np.ndarray]:
        """Linear (m/s) and angular (rad/s) velocity of the base, in the base frame (REP 105)."""
        v = self.data.qvel[self._base_dof:self._base_dof + 6]
        _, quat = self.base_pose()
        rot = np.zeros(9)
        mujoco.mju_quat2Mat(rot, quat)
        rot = rot.reshape(3, 3)
        # free joint: linear velocity in the world frame, angular in the body frame
        return rot.T @ v[:3], v[3:6].copy()

    def snapshot(self) -> np.ndarray:
        """The generalized positions, enough to render the scene from."""
        return self.data.qpos.copy()

    def camera_intrinsics(self, width: int, height: int) -> tuple[float, float, float, float]:
        """Pinhole (fx, fy, cx, cy) of the head camera rendered at width x height.

        MuJoCo's fovy is the vertical field of view; pixels are square.
        """
        fovy = math.radians(float(self.model.cam_fovy[self.camera_id]))
        fy = 0.5 * height / math.tan(0.5 * fovy)
        return fy, fy, (width - 1) / 2.0, (height - 1) / 2.0


class HeadCameraRenderer:
    """Renders the head camera from qpos snapshots with its own MjData (thread-confined)."""

    def __init__(self, model: mujoco.MjModel, width: int, height: int):
        if width > model.vis.global_.offwidth or height > model.vis.global_.offheight:
            raise ValueError(
                f'{width}x{height} exceeds the offscreen buffer '
                f'{model.vis.global_.offwidth}x{model.vis.global_.offheight} of the world')
        self.model = model
        self.data = mujoco.MjData(model)
        self.renderer = mujoco.Renderer(model, height=height, width=width)

    def render(self, qpos: np.ndarray) -> np.ndarray:
        """An RGB uint8 image (height, width, 3) of the scene at these positions."""
        self.data.qpos[:] = qpos
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_camlight(self.model, self.data)
        self.renderer.update_scene(self.data, camera=CAMERA_NAME)
        return self.renderer.render()

    def close(self) -> None:
        self.renderer.close()
