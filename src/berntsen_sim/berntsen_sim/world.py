"""The MuJoCo bedroom world: physics of the robot, kinematic patient, head-camera rendering.

No rclpy here; the sim node, the tests and bench/sim_render.py share this class.
Rendering uses `mujoco.Renderer`, which picks its OpenGL backend from the MUJOCO_GL
environment variable (osmesa or egl for headless machines).

A second kinematic person, the visitor (berntsen_sim.visitor), can walk through the room
(`BedroomWorld.set_visitor`); absent, it is parked far below the floor, out of every view.
Its joints come last in qpos (after the robot, the wheels and the patient).
"""
from __future__ import annotations

import copy
import math
import xml.etree.ElementTree as ET
from importlib import resources
from typing import NamedTuple

import mujoco
import numpy as np

from berntsen_sim.patient import DEFAULT_BODY, JOINT_NAMES, Body
from berntsen_sim.visitor import JOINT_NAMES as VISITOR_JOINT_NAMES
from berntsen_sim.visitor import VisitorPose

WORLD_FILE = 'bedroom.xml'
CAMERA_NAME = 'head_camera'
WHEEL_NAMES = ('left_wheel', 'right_wheel')
WHEEL_RADIUS = 0.06       # m, matches assets/bedroom.xml
WHEEL_SEPARATION = 0.34   # m
ROBOT_BODY = 'base_link'
PATIENT_BODY = 'patient'
PATIENT_PELVIS = 'pelvis'       # body at the patient's hip-joint centre
VISITOR_BODY = 'visitor'
# the visitor's root joints: world x, y, z (m) of the floor point under its hips, and yaw (rad)
VISITOR_ROOT_JOINTS = ('visitor_x', 'visitor_y', 'visitor_z', 'visitor_yaw')
FURNITURE_BODIES = ('bed', 'chair')
WALL_GEOMS = ('wall_back', 'wall_front', 'wall_left', 'wall_right')
FLOOR_GEOM = 'floor'
CLEARANCE_RANGE = 1.0     # m; clearance() reports at most this


class Clearance(NamedTuple):
    """The smallest distance between the robot and its surroundings (world frame)."""

    distance: float    # m; negative when penetrating, CLEARANCE_RANGE when nothing is nearer
    other: str         # the nearest patient, furniture or wall geom ('' when none in range)
    robot: str         # the robot part nearest to it ('' when none in range)
    other_id: int = -1  # MuJoCo geom id of `other`


def world_path() -> str:
    """Path of the packaged MJCF world (works from sources and when installed)."""
    return str(resources.files('berntsen_sim') / 'assets' / WORLD_FILE)


# Which body proportion scales each patient body's geoms and its children's positions
# (times the overall scale); see patient.Body.
_SEGMENT_OF_BODY = {
    'pelvis': None, 'torso': 'trunk', 'head': None,
    'left_upper_arm': 'upper_arm', 'right_upper_arm': 'upper_arm',
    'left_forearm': 'forearm', 'right_forearm': 'forearm',
    'left_thigh': 'thigh', 'right_thigh': 'thigh',
    'left_shin': 'shin', 'right_shin': 'shin',
    'left_foot': None, 'right_foot': None,
}


def _scale_attr(element, name: str, factor: float) -> None:
    value = element.get(name)
    if value is not None:
        element.set(name, ' '.join(f'{float(v) * factor:.6g}' for v in value.split()))


def patient_xml(body: Body | None = None, path: str | None = None) -> str:
    """The world's MJCF text with the patient scaled to `body` (patient.Body).

    Each patient body's geoms (sizes, positions, fromto) and its child bodies' positions
    scale by the overall scale times that segment's proportion, so the segment lengths are
    those patient.Body reports (thigh_length, shoulder_height, ...).
    """
    text = open(path or world_path(), encoding='utf-8').read()
    body = body or DEFAULT_BODY
    if body == DEFAULT_BODY:
        return text
    root = ET.fromstring(text)
    for element in root.iter('body'):
        name = element.get('name')
        if name not in _SEGMENT_OF_BODY:
            continue
        segment = _SEGMENT_OF_BODY[name]
        factor = body.scale * (getattr(body, segment) if segment else 1.0)
        for geom in element.findall('geom'):
            for attr in ('size', 'pos', 'fromto'):
                _scale_attr(geom, attr, factor)
        for child in element.findall('body'):
            _scale_attr(child, 'pos', factor)
    return ET.tostring(root, encoding='unicode')


class BedroomWorld:
    """Physics state of the bedroom plus helpers to drive the robot and pose the patient.

    `body` (patient.Body) scales the patient; the default is the MJCF as written.
    """

    def __init__(self, path: str | None = None, body: Body | None = None):
        if body is None or body == DEFAULT_BODY:
            self.model = mujoco.MjModel.from_xml_path(path or world_path())
        else:
            self.model = mujoco.MjModel.from_xml_string(patient_xml(body, path))
        self.body = body or DEFAULT_BODY
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
        self._base_body = m.body(ROBOT_BODY).id
        self._pelvis_body = m.body(PATIENT_PELVIS).id
        self._base_z = float(m.qpos0[self._base_qpos + 2])
        self.robot_geoms = self._subtree_geoms(ROBOT_BODY)
        self.patient_geoms = self._subtree_geoms(PATIENT_BODY)
        furniture = np.concatenate([self._subtree_geoms(b) for b in FURNITURE_BODIES])
        walls = np.array([m.geom(n).id for n in WALL_GEOMS], dtype=int)
        self._obstacle_geoms = np.concatenate([self.patient_geoms, furniture, walls])
        self._is_robot_geom = np.zeros(m.ngeom, dtype=bool)
        self._is_robot_geom[self.robot_geoms] = True
        self._is_patient_geom = np.zeros(m.ngeom, dtype=bool)
        self._is_patient_geom[self.patient_geoms] = True
        self._floor_geom = m.geom(FLOOR_GEOM).id
        self._patient_target = self.data.qpos[self._patient_qpos].copy()
        visitor_joints = VISITOR_ROOT_JOINTS + VISITOR_JOINT_NAMES
        self._visitor_qpos = np.array(
            [m.jnt_qposadr[m.joint(name).id] for name in visitor_joints], dtype=int)
        self._visitor_dof = np.array(
            [m.jnt_dofadr[m.joint(name).id] for name in visitor_joints], dtype=int)
        self._visitor_limb = {name: i for i, name in enumerate(visitor_joints)
                              if name in VISITOR_JOINT_NAMES}
        self._visitor_parked = m.qpos0[self._visitor_qpos].copy()   # where qpos0 puts it
        self._visitor_target = self._visitor_parked.copy()
        self._visitor_present = False
        self.visitor_geoms = self._subtree_geoms(VISITOR_BODY)
        mujoco.mj_forward(m, self.data)

    def _subtree_geoms(self, body_name: str) -> np.ndarray:
        """Ids of the geoms of a body and of all its descendants."""
        m = self.model
        root = m.body(body_name).id
        in_subtree = np.zeros(m.nbody, dtype=bool)
        for body in range(m.nbody):   # parents come before their children
            in_subtree[body] = body == root or (body > 0 and in_subtree[m.body_parentid[body]])
        return np.flatnonzero(in_subtree[m.geom_bodyid]).astype(int)

    def geom_label(self, geom_id: int) -> str:
        """A geom's name, or its body's name for the unnamed ones (chair legs, limbs)."""
        geom = self.model.geom(int(geom_id))
        return geom.name or self.model.body(int(self.model.geom_bodyid[geom_id])).name

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

    def set_visitor(self, pose: VisitorPose | None) -> None:
        """Where the visitor stands and how it holds its limbs from now on
        (berntsen_sim.visitor.VisitorPose, e.g. VisitorWalk.pose(t)); None parks it out of
        sight. Like set_patient_joints, positions are in qpos (and snapshot()) at once and in
        the kinematics from the next step or mj_forward.

        The visitor never collides and is not part of clearance() or touching().
        Raises ValueError for a non-finite value or a joint name the visitor does not have.
        """
        if pose is None:
            self._visitor_target = self._visitor_parked.copy()
            self._visitor_present = False
            self._hold_patient()
            return
        target = np.zeros(len(self._visitor_qpos))
        target[:4] = (pose.x, pose.y, pose.z, pose.yaw)
        unknown = sorted(set(pose.joints) - set(self._visitor_limb))
        if unknown:
            raise ValueError(f'set_visitor: the visitor has no joint {", ".join(unknown)}')
        for name, value in pose.joints.items():
            target[self._visitor_limb[name]] = value
        if not np.all(np.isfinite(target)):
            raise ValueError(f'set_visitor: pose must be finite, got {pose!r}')
        self._visitor_target = target
        self._visitor_present = True
        self._hold_patient()

    @property
    def visitor_present(self) -> bool:
        """Whether the visitor is in the room (not parked)."""
        return self._visitor_present

    def _hold_patient(self) -> None:
        """Hold the kinematic people (the patient and the visitor) at their targets."""
        self.data.qpos[self._patient_qpos] = self._patient_target
        self.data.qvel[self._patient_dof] = 0.0
        self.data.qpos[self._visitor_qpos] = self._visitor_target
        self.data.qvel[self._visitor_dof] = 0.0

    def set_wheel_velocities(self, left: float, right: float) -> None:
        """Velocity-servo setpoints in rad/s, clipped to the actuators' range."""
        lim = self.wheel_limit
        self.data.ctrl[self._wheel_act] = np.clip([left, right], -lim, lim)

    def step(self, n: int = 1) -> None:
        """Advance the physics n steps; the kinematic patient and visitor are held at their
        targets."""
        for _ in range(n):
            self._hold_patient()
            mujoco.mj_step(self.model, self.data)
        self._hold_patient()

    def place_robot(self, x: float, y: float, yaw: float) -> None:
        """Put the robot base at (x, y) m facing yaw rad (world frame), at rest on the floor.

        Velocities of the base and wheels become zero; wheel angles and commands are kept.
        """
        for name, value in (('x', x), ('y', y), ('yaw', yaw)):
            if not math.isfinite(value):
                raise ValueError(f'place_robot: {name} must be finite, got {value!r}')
        q = self._base_qpos
        self.data.qpos[q:q + 3] = (x, y, self._base_z)
        self.data.qpos[q + 3:q + 7] = (math.cos(yaw / 2.0), 0.0, 0.0, math.sin(yaw / 2.0))
        self.data.qvel[self._base_dof:self._base_dof + 6] = 0.0
        self.data.qvel[self._wheel_dof] = 0.0
        self._hold_patient()
        mujoco.mj_forward(self.model, self.data)

    def room_interior(self) -> tuple[float, float, float, float]:
        """(x_min, x_max, y_min, y_max) in m of the floor area between the walls."""
        m = self.model

        def face(name, axis, sign):
            geom = m.geom(name).id
            return float(m.geom_pos[geom][axis] + sign * m.geom_size[geom][axis])

        return (face('wall_back', 0, 1), face('wall_front', 0, -1),
                face('wall_right', 1, 1), face('wall_left', 1, -1))

    def patient_distance(self) -> float:
        """Horizontal distance (m) from the robot base centre to the patient's hip-joint centre."""
        base = self.data.xpos[self._base_body]
        pelvis = self.data.xpos[self._pelvis_body]
        return float(math.hypot(pelvis[0] - base[0], pelvis[1] - base[1]))

    def clearance(self, distmax: float = CLEARANCE_RANGE) -> Clearance:
        """Smallest distance between any robot geom and the patient, furniture or walls.

        Positions as of the last step or mj_forward. Geom pairs whose bounding spheres are
        farther apart than distmax are skipped, so the few near pairs cost MuJoCo calls.
        """
        m, d = self.model, self.data
        robot, others = self.robot_geoms, self._obstacle_geoms
        gap = (np.linalg.norm(d.geom_xpos[robot][:, None, :] - d.geom_xpos[others][None, :, :],
                              axis=2)
               - m.geom_rbound[robot][:, None] - m.geom_rbound[others][None, :])
        nearest, pair = float(distmax), None
        for i, j in zip(*np.nonzero(gap < distmax)):
            dist = mujoco.mj_geomDistance(m, d, int(robot[i]), int(others[j]), distmax, None)
            if dist < nearest:
                nearest, pair = float(dist), (int(robot[i]), int(others[j]))
        if pair is None:
            return Clearance(nearest, '', '')
        return Clearance(nearest, self.geom_label(pair[1]), self.geom_label(pair[0]), pair[1])

    def touching(self, near_patient: Clearance | None = None,
                 touch_distance: float = 0.005) -> str:
        """What the robot touches besides the floor: a geom label, or '' for nothing.

        Physical contacts come from the last collision pass; the patient's geoms do not
        collide, so a robot geom within touch_distance of one counts as touching it too
        (pass a clearance() result to reuse it).
        """
        d = self.data
        for k in range(d.ncon):
            g1, g2 = int(d.contact.geom1[k]), int(d.contact.geom2[k])
            if self._is_robot_geom[g1] == self._is_robot_geom[g2]:
                continue
            other = g2 if self._is_robot_geom[g1] else g1
            if other != self._floor_geom and d.contact.dist[k] < touch_distance:
                return self.geom_label(other)
        near = near_patient if near_patient is not None else self.clearance()
        if near.distance < touch_distance and near.other_id >= 0 \
                and self._is_patient_geom[near.other_id]:
            return near.other
        return ''

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


# Key points of the patient (body, offset in the body frame of the default body, m) used to
# frame viewpoints; offsets scale with the body like its geoms.
_KEYPOINTS = {
    'head_top': ('head', (0.0, 0.0, 0.11)),
    'pelvis': ('pelvis', (0.0, 0.0, 0.0)),
    'left_shoulder': ('left_upper_arm', (0.0, 0.0, 0.0)),
    'right_shoulder': ('right_upper_arm', (0.0, 0.0, 0.0)),
    'left_hand': ('left_forearm', (0.0, 0.0, -0.33)),
    'right_hand': ('right_forearm', (0.0, 0.0, -0.33)),
    'left_toe': ('left_foot', (0.18, 0.0, -0.08)),
    'right_toe': ('right_foot', (0.18, 0.0, -0.08)),
    'left_heel': ('left_foot', (-0.06, 0.0, -0.08)),
    'right_heel': ('right_foot', (-0.06, 0.0, -0.08)),
}


def patient_keypoints(model: mujoco.MjModel, data: mujoco.MjData,
                      scale: float = 1.0) -> dict:
    """World positions (x, y, z) of the patient's key points (head top, pelvis, shoulders,
    hands, toes, heels) as of the last kinematics pass; `scale` the body's overall scale."""
    return _keypoints(model, data, _KEYPOINTS, scale)


# The same key points of the visitor (assets/bedroom.xml, bodies visitor_*), plus the nose.
_VISITOR_KEYPOINTS = {name: (f'visitor_{body}', offset) for name, (body, offset) in
                      _KEYPOINTS.items()} | {'nose': ('visitor_head', (0.105, 0.0, 0.0))}


def visitor_keypoints(model: mujoco.MjModel, data: mujoco.MjData) -> dict:
    """World positions (x, y, z) of the visitor's key points (patient_keypoints' names and
    the nose) as of the last kinematics pass; parked, they are far below the floor."""
    return _keypoints(model, data, _VISITOR_KEYPOINTS, 1.0)


def _keypoints(model, data, table: dict, scale: float) -> dict:
    points = {}
    for name, (body, offset) in table.items():
        b = model.body(body).id
        local = np.array(offset) * scale
        points[name] = tuple(float(v) for v in data.xpos[b] + data.xmat[b].reshape(3, 3) @ local)
    return points


HIDDEN_GROUP = 5     # geom group the free camera does not draw
NEVER_HIDDEN = ('floor', 'bed_mattress', 'bed_frame', 'bed_pillow')   # she sits or lies on them


class FreeCameraRenderer:
    """Renders the scene from a free camera (berntsen_sim.viewpoints.Viewpoint), with its own
    copy of the model and its own MjData (thread-confined).

    The robot is not drawn (it holds the camera), nor is anything standing between the
    camera and the patient's key points (a wall behind a camera placed beyond the room, the
    headboard, the chair): `set_viewpoint` finds those by casting rays.
    """

    def __init__(self, model: mujoco.MjModel, width: int, height: int):
        if width > model.vis.global_.offwidth or height > model.vis.global_.offheight:
            raise ValueError(f'{width}x{height} exceeds the offscreen buffer of the world')
        self.model = copy.deepcopy(model)
        self.data = mujoco.MjData(self.model)
        self.renderer = mujoco.Renderer(self.model, height=height, width=width)
        self._groups = self.model.geom_group.copy()
        self._robot = BedroomWorld._subtree_geoms(self, ROBOT_BODY)
        self._patient = np.zeros(self.model.ngeom, dtype=bool)
        self._patient[BedroomWorld._subtree_geoms(self, PATIENT_BODY)] = True
        self.option = mujoco.MjvOption()
        self.option.geomgroup[HIDDEN_GROUP] = 0
        self.camera = mujoco.MjvCamera()
        self.camera.type = mujoco.mjtCamera.mjCAMERA_FREE
        self.hidden: list[str] = []

    def _label(self, geom: int) -> str:
        g = self.model.geom(geom)
        return g.name or self.model.body(int(self.model.geom_bodyid[geom])).name

    def set_viewpoint(self, viewpoint, qpos: np.ndarray | None = None) -> list[str]:
        """Aim the camera; with qpos (a rest pose), hide what occludes the patient's key
        points from it. Returns the labels of the hidden geoms besides the robot."""
        m, d = self.model, self.data
        m.geom_group[:] = self._groups
        m.geom_group[self._robot] = HIDDEN_GROUP
        m.vis.global_.fovy = viewpoint.fovy
        position = np.array(viewpoint.position, dtype=float)
        lookat = np.array(viewpoint.lookat, dtype=float)
        forward = lookat - position
        distance = float(np.linalg.norm(forward))
        self.camera.lookat[:] = lookat
        self.camera.distance = distance
        self.camera.azimuth = math.degrees(math.atan2(forward[1], forward[0]))
        self.camera.elevation = math.degrees(math.asin(forward[2] / distance))
        self.hidden = []
        if qpos is not None:
            d.qpos[:] = qpos
            mujoco.mj_kinematics(m, d)
            scale = float(m.geom_size[m.geom('head').id][0] / 0.095)
            groups = np.ones(6, dtype=np.uint8)
            groups[HIDDEN_GROUP] = 0
            geom = np.zeros(1, dtype=np.int32)
            for point in patient_keypoints(m, d, scale).values():
                for _ in range(10):
                    vec = np.array(point) - position
                    x = mujoco.mj_ray(m, d, position, vec, groups, 1, -1, geom)
                    hit = int(geom[0])
                    if x < 0 or hit < 0 or self._patient[hit] or x > 0.97 \
                            or self._label(hit) in NEVER_HIDDEN:
                        break
                    m.geom_group[hit] = HIDDEN_GROUP
                    self.hidden.append(self._label(hit))
        return self.hidden

    def render(self, qpos: np.ndarray) -> np.ndarray:
        """An RGB uint8 image (height, width, 3) of the scene at these positions."""
        self.data.qpos[:] = qpos
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_camlight(self.model, self.data)
        self.renderer.update_scene(self.data, camera=self.camera, scene_option=self.option)
        return self.renderer.render()

    def close(self) -> None:
        self.renderer.close()
