"""A second person in the bedroom: a relative who walks through the room while the patient
exercises. Pure Python (no rclpy, no MuJoCo).

`VisitorWalk` is a walk along waypoints at a steady speed; `VisitorWalk.pose(t)` says where
the visitor is at simulation time t (`VisitorPose`: the point on the floor under the hips,
the heading and the joint positions of a walking gait), or None before the walk starts and
after it ends (the visitor is then parked out of sight). `berntsen_sim.world.BedroomWorld.
set_visitor` poses the kinematic visitor of `assets/bedroom.xml` with it.

Geometry: world frame of assets/bedroom.xml (x from the bed towards the robot, z up), metres
and radians. The visitor's own frame has x forward, y to its left; yaw 0 faces +x.

Gait: each foot stands still on a foothold beside the path while the hips pass over it and
swings to the next one (starting and stopping at rest, lifting a few centimetres); one gait
cycle is a step of each foot. Hips bob at mid-stance, the arms swing opposite to the legs,
the body turns smoothly over TURN_DISTANCE around each waypoint. Legs follow from where the
feet are by inverse kinematics (hip abduction, then hip and knee flexion in the abducted
plane; soles level).
A walk may keep a fixed `facing` instead of looking where it goes: walking sideways then
becomes side-stepping (shorter steps, feet a little wider apart); that is how a person gets
through the 0.32 m gap between the bed and the back wall (`BEHIND_THE_BED`).
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

# Segment lengths of the visitor; they match assets/bedroom.xml (bodies visitor_*).
THIGH_LENGTH = 0.45
SHIN_LENGTH = 0.45
ANKLE_Z = 0.08                    # ankle above the sole
STANDING_HIP_HEIGHT = THIGH_LENGTH + SHIN_LENGTH + ANKLE_Z   # 0.98, legs straight
HEIGHT = 1.79                     # top of the head, standing
HIP_HALF_WIDTH = 0.1              # hip-joint centres either side of the middle
SHOULDER_WIDTH = 0.53             # across the hanging arms: the body is this wide
BODY_DEPTH = 0.26                 # front to back (chest, head), without the feet

# Gait.
WALK_HIP_HEIGHT = 0.915           # mean hip-joint centre above the floor while walking
HIP_BOB = 0.012                   # hips up at mid-stance, down at double support
SWING_CLEARANCE = 0.06            # how high the swing foot lifts (m)
ARM_SWING = math.radians(18.0)    # shoulder flexion amplitude at a forward walk
ELBOW_BENT = math.radians(12.0)   # elbows while walking, more when the arm swings forward
ELBOW_SWING = math.radians(14.0)
SIDE_STEP_SHORTENING = 0.55       # a pure side step is (1 - this) of a forward step
SIDE_STEP_WIDENING = 0.1          # feet this much (m) wider apart when side-stepping
# Side-stepping keeps the hips level and higher (knees straighter) and shuffles (the foot
# barely lifts): the knees then stay behind the toes, as in the 0.32 m gap behind the bed.
SIDE_STEP_RISE = 0.034
STEP_LENGTH_RANGE = (0.1, 0.7)    # m; longer steps are out of the legs' reach
TURN_DISTANCE = 0.3               # m before and after a waypoint over which the body turns

# Joint names of the visitor's limbs in assets/bedroom.xml (VisitorPose.joints keys).
# Conventions as the patient's: hip_abd_* abduction (leg out to its own side), hip_* and
# shoulder_* flexion (limb forward), knee_* flexion, ankle_* dorsiflexion, elbow_* flexion
# (forearm forward and up); ankle_roll_* turns the sole against the hip abduction (equal
# values: the sole stays level).
JOINT_NAMES = (
    'visitor_hip_abd_left', 'visitor_hip_left', 'visitor_knee_left', 'visitor_ankle_left',
    'visitor_ankle_roll_left',
    'visitor_hip_abd_right', 'visitor_hip_right', 'visitor_knee_right', 'visitor_ankle_right',
    'visitor_ankle_roll_right',
    'visitor_shoulder_left', 'visitor_elbow_left',
    'visitor_shoulder_right', 'visitor_elbow_right',
)

# Default paths (world frame, m) through the bedroom of assets/bedroom.xml: the room's inner
# faces are at x -1.2 .. 4.3, y -2.0 .. 2.0; the bed covers x -0.88 .. 0.12, y -1.0 .. 1.0
# (headboard at y 1.0), the chair x 0.68 .. 1.12, y 1.28 .. 1.72; the patient sits at x 0,
# feet to x 0.58; the robot (chassis radius 0.2) usually stands at (2.5, 0), else at
# (3.7, 0.4) or (0.6, -1.6). End points stay 0.5 m from the side walls (feet and stride).
#
# Behind the patient, as seen by the robot: along the back wall, in the 0.32 m gap between
# the bed and the wall. Only side-stepping fits there (the shoulders are 0.53 m wide, the
# body 0.26 m deep): walk it with facing=0.0 (towards the room) and a slower speed, e.g.
# VisitorWalk(start, BEHIND_THE_BED, speed=0.5, facing=0.0). Its lower body is hidden by the
# bed from the robot; everything above the mattress shows behind the patient.
BEHIND_THE_BED = ((-1.065, -1.5), (-1.065, 1.5))
# Across the room between the patient and the robot at (2.5, 0): 0.9 m past her toes, 0.8 m
# before the robot's chassis, 0.08 m clear of the chair; passes 1 m in front of the head
# camera (head and feet out of the image) and hides the patient for a moment. Walked
# facing where it goes (facing=None).
ACROSS_THE_ROOM = ((1.5, -1.5), (1.5, 1.5))
# From the robot's side of the room up to the patient, past her and away again, turning at
# the waypoints: 1.2 m in front of the head camera at the robot's (2.5, 0) pose, and at
# least 0.08 m clear of her in every sitting and standing exercise (a marching knee, a
# squat, a seated knee extension reach furthest). Walked facing where it goes.
PAST_THE_PATIENT = ((1.9, -1.5), (1.3, -0.7), (1.3, 0.7), (1.9, 1.5))


@dataclass(frozen=True)
class VisitorPose:
    """Where the visitor is and how it holds its limbs.

    x, y: the point on the floor under the hip-joint centre (world frame, m); yaw: the way the
    body faces (rad, 0 = +x, counter-clockwise); z: height of the whole body above its
    standing height (m; negative while walking with slightly bent knees); joints: limb joint
    positions by JOINT_NAMES (rad; a joint left out is 0, straight).
    """

    x: float
    y: float
    yaw: float
    joints: dict[str, float]
    z: float = 0.0


def _check_finite(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'visitor walk: {name} must be a number, got {value!r}') from None
    if not math.isfinite(number):
        raise ValueError(f'visitor walk: {name} must be finite, got {value!r}')
    return number


def _wrap(angle: float) -> float:
    return math.atan2(math.sin(angle), math.cos(angle))


def _leg(forward: float, outward: float, down: float) -> tuple[float, float, float, float]:
    """(hip abduction, hip flexion, knee flexion, ankle) that put the ankle `forward`,
    `outward` (to the leg's own side) and `down` from the hip-joint centre, sole level."""
    abduction = math.atan2(outward, down)
    down = math.hypot(outward, down)              # in the abducted leg plane
    reach = min(math.hypot(forward, down), THIGH_LENGTH + SHIN_LENGTH - 1e-6)
    toward = math.atan2(forward, down)            # forward angle of the hip-ankle line
    cos_thigh = ((THIGH_LENGTH ** 2 + reach ** 2 - SHIN_LENGTH ** 2)
                 / (2.0 * THIGH_LENGTH * reach))
    hip = toward + math.acos(max(-1.0, min(1.0, cos_thigh)))   # knee in front of the line
    knee_x, knee_down = THIGH_LENGTH * math.sin(hip), THIGH_LENGTH * math.cos(hip)
    shin = math.atan2(forward - knee_x, down - knee_down)
    return abduction, hip, hip - shin, -shin


def _smoothstep(u: float) -> float:
    return u * u * (3.0 - 2.0 * u)


@dataclass(frozen=True)
class VisitorWalk:
    """A walk through the room: enters at the first waypoint at `start` (s, simulation time),
    walks the waypoints in order at `speed` (m/s) and leaves at the last one at `end`.

    step_length: m per step (a gait cycle is two steps); facing: None to face along the path
    (turning over TURN_DISTANCE either side of each waypoint), or a fixed yaw (rad) to keep
    facing while walking (side-stepping where the path goes sideways). The path is walked
    as given: keeping it clear of furniture, walls, the patient and the robot is the
    caller's choice (the default paths below are).

    Raises ValueError for fewer than two waypoints, coinciding consecutive waypoints, a speed
    not above zero, a step length outside STEP_LENGTH_RANGE or a value that is not a finite
    number.
    """

    start: float
    path: tuple[tuple[float, float], ...]
    speed: float = 0.9
    step_length: float = 0.6
    facing: float | None = None
    _cumulative: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _phases: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        start = _check_finite('start', self.start)
        speed = _check_finite('speed', self.speed)
        if speed <= 0.0:
            raise ValueError(f'visitor walk: speed must be above 0 m/s, got {self.speed!r}')
        step = _check_finite('step_length', self.step_length)
        if not STEP_LENGTH_RANGE[0] <= step <= STEP_LENGTH_RANGE[1]:
            raise ValueError(f'visitor walk: step_length must be within {STEP_LENGTH_RANGE} m, '
                             f'got {self.step_length!r}')
        facing = None if self.facing is None else _check_finite('facing', self.facing)
        try:
            raw = list(self.path)
        except TypeError:
            raise ValueError(f'visitor walk: path must be a sequence of (x, y) waypoints, '
                             f'got {self.path!r}') from None
        if len(raw) < 2:
            raise ValueError(f'visitor walk: path needs at least 2 waypoints, got {len(raw)}')
        path = []
        for i, point in enumerate(raw):
            try:
                x, y = point
            except (TypeError, ValueError):
                raise ValueError(f'visitor walk: waypoint {i} must be an (x, y) pair, '
                                 f'got {point!r}') from None
            path.append((_check_finite(f'waypoint {i} x', x), _check_finite(f'waypoint {i} y', y)))
        cumulative, phases = [0.0], [0.0]
        for i in range(1, len(path)):
            length = math.dist(path[i - 1], path[i])
            if length == 0.0:
                raise ValueError(f'visitor walk: waypoints {i - 1} and {i} coincide '
                                 f'({path[i][0]}, {path[i][1]})')
            cumulative.append(cumulative[-1] + length)
            phases.append(phases[-1] + length / (2.0 * self._step(path[i - 1], path[i], step,
                                                                   facing)))
        for name, value in (('start', start), ('speed', speed), ('step_length', step),
                            ('facing', facing), ('path', tuple(path)),
                            ('_cumulative', tuple(cumulative)), ('_phases', tuple(phases))):
            object.__setattr__(self, name, value)

    @staticmethod
    def _lateral(a, b, facing: float | None) -> float:
        """Sideways share of the walking direction from a to b in the body frame (-1..1)."""
        if facing is None:
            return 0.0
        heading = math.atan2(b[1] - a[1], b[0] - a[0])
        return math.sin(heading - facing)

    @classmethod
    def _step(cls, a, b, step_length: float, facing: float | None) -> float:
        lateral = cls._lateral(a, b, facing)
        return step_length * (1.0 - SIDE_STEP_SHORTENING * lateral * lateral)

    @property
    def length(self) -> float:
        """Length of the path (m)."""
        return self._cumulative[-1]

    @property
    def end(self) -> float:
        """Simulation time (s) the visitor reaches the last waypoint and leaves."""
        return self.start + self.length / self.speed

    def pose(self, t: float) -> VisitorPose | None:
        """The visitor at simulation time t, or None before `start` and after `end`."""
        t = float(t)
        if not math.isfinite(t):
            raise ValueError(f'visitor walk: time must be finite, got {t!r}')
        if t < self.start or t > self.end:
            return None
        distance = min((t - self.start) * self.speed, self.length)
        x, y = self._point(distance)
        yaw = self._yaw(distance)
        direction = self._direction(distance)
        phase = self._phase(distance)
        hip_height = self._hip_height(phase, direction)
        cos_yaw, sin_yaw = math.cos(yaw), math.sin(yaw)
        joints = {}
        for side, sign, offset in (('left', 1.0, 0.0), ('right', -1.0, 0.5)):
            # this foot stands during the first half of its cycle, swings in the second
            cycle = math.floor(phase + offset)
            share = phase + offset - cycle
            foot_x, foot_y = self._foothold(cycle + 0.25 - offset, sign)
            lift = 0.0
            if share >= 0.5:
                u = (share - 0.5) / 0.5
                next_x, next_y = self._foothold(cycle + 1.25 - offset, sign)
                w = _smoothstep(u)
                foot_x, foot_y = foot_x + w * (next_x - foot_x), foot_y + w * (next_y - foot_y)
                lift = SWING_CLEARANCE * math.sin(math.pi * u) * math.cos(direction) ** 2
            dx = foot_x - (x - sin_yaw * sign * HIP_HALF_WIDTH)
            dy = foot_y - (y + cos_yaw * sign * HIP_HALF_WIDTH)
            forward = cos_yaw * dx + sin_yaw * dy
            left = -sin_yaw * dx + cos_yaw * dy
            abduction, hip, knee, ankle = _leg(forward, sign * left, hip_height - ANKLE_Z - lift)
            joints[f'visitor_hip_abd_{side}'] = abduction
            joints[f'visitor_hip_{side}'] = hip
            joints[f'visitor_knee_{side}'] = knee
            joints[f'visitor_ankle_{side}'] = ankle
            joints[f'visitor_ankle_roll_{side}'] = abduction
            # the arm swings against its own side's leg: forward while that foot is behind
            swing = -ARM_SWING * max(-1.5, min(1.5, forward / (0.5 * self.step_length)))
            joints[f'visitor_shoulder_{side}'] = swing
            joints[f'visitor_elbow_{side}'] = ELBOW_BENT + ELBOW_SWING * max(0.0, swing) / ARM_SWING
        return VisitorPose(x, y, _wrap(yaw), joints, z=hip_height - STANDING_HIP_HEIGHT)

    # ---- along the path, by distance s (m) from the first waypoint; before the first and
    # beyond the last waypoint the end segments are extended (for footholds)

    def _locate(self, s: float) -> tuple[int, float]:
        """Segment i (from waypoint i-1 to i) and the distance into it."""
        i = min(max(bisect.bisect_right(self._cumulative, s), 1), len(self.path) - 1)
        return i, s - self._cumulative[i - 1]

    def _segment_step(self, i: int) -> float:
        return self._step(self.path[i - 1], self.path[i], self.step_length, self.facing)

    def _point(self, s: float) -> tuple[float, float]:
        i, along = self._locate(s)
        (ax, ay), (bx, by) = self.path[i - 1], self.path[i]
        u = along / (self._cumulative[i] - self._cumulative[i - 1])
        return ax + u * (bx - ax), ay + u * (by - ay)

    def _heading(self, i: int) -> float:
        (ax, ay), (bx, by) = self.path[i - 1], self.path[i]
        return math.atan2(by - ay, bx - ax)

    def _yaw(self, s: float) -> float:
        if self.facing is not None:
            return self.facing
        i, along = self._locate(s)
        return self._turning(i, along, self._heading(i))

    def _direction(self, s: float) -> float:
        """Walking direction in the body frame (rad, 0 forward, pi/2 to the left)."""
        return self._heading(self._locate(s)[0]) - self._yaw(s)

    def _phase(self, s: float) -> float:
        """Gait cycles walked (one cycle: a step of each foot)."""
        i, along = self._locate(s)
        return self._phases[i - 1] + along / (2.0 * self._segment_step(i))

    def _distance(self, phase: float) -> float:
        i = min(max(bisect.bisect_right(self._phases, phase), 1), len(self.path) - 1)
        return self._cumulative[i - 1] + (phase - self._phases[i - 1]) * 2.0 * self._segment_step(i)

    def _foothold(self, phase: float, sign: float) -> tuple[float, float]:
        """Where a foot (sign +1 left, -1 right) stands for the stance whose middle is at this
        phase: beside the path point the hips then pass, at the hip's side (wider when
        side-stepping)."""
        s = self._distance(phase)
        x, y = self._point(s)
        yaw = self._yaw(s)
        lateral = sign * (HIP_HALF_WIDTH + SIDE_STEP_WIDENING * math.sin(self._direction(s)) ** 2)
        return x - math.sin(yaw) * lateral, y + math.cos(yaw) * lateral

    def _turning(self, i: int, along: float, heading: float) -> float:
        """Yaw on segment i, `along` m into it: its heading, turning smoothly from the
        previous segment's and into the next one's near the waypoints."""
        segment = self._cumulative[i] - self._cumulative[i - 1]

        def reach(j):      # turning distance around waypoint j (between segments j and j+1)
            return min(TURN_DISTANCE, 0.5 * (self._cumulative[j] - self._cumulative[j - 1]),
                       0.5 * (self._cumulative[j + 1] - self._cumulative[j]))

        if i > 1 and 0.0 <= along < reach(i - 1):    # finishing the turn from segment i-1
            turn = _wrap(heading - self._heading(i - 1))
            return heading - turn * (1.0 - _smoothstep(0.5 + 0.5 * along / reach(i - 1)))
        if i < len(self.path) - 1 and 0.0 <= segment - along < reach(i):   # into segment i+1
            turn = _wrap(self._heading(i + 1) - heading)
            return heading + turn * _smoothstep(0.5 - 0.5 * (segment - along) / reach(i))
        return heading

    @staticmethod
    def _hip_height(phase: float, direction: float) -> float:
        sideways = math.sin(direction) ** 2
        return (WALK_HIP_HEIGHT + SIDE_STEP_RISE * sideways
                - HIP_BOB * (1.0 - sideways) * math.cos(4.0 * math.pi * phase))
