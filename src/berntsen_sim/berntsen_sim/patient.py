"""Scripted virtual patient: pose and ground truth from time and the coach's state.

Pure Python (no rclpy, no MuJoCo). The simulation asks `VirtualPatient.state(t)` for the
joint positions of the kinematic patient in `assets/bedroom.xml` and for the truth the tests
compare against: the posture and the number of completed repetitions.

A persona is data: how quickly the patient reacts, how long standing up and each repetition
take, how far the arms go, how many of the asked repetitions it does. The cooperative
persona does what the coach asks: stands up when the coach reaches step `stand_up` and does
exactly `target` arm raises when it reaches step `exercise` with exercise `arm_raise`.

Geometry (metres, radians) in the patient frame: x forward (towards the robot), z up. The
pose is described by the hip-joint centre, the trunk lean and the arm abduction; the leg
joints follow by inverse kinematics with the feet flat at a fixed place on the floor.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

JOINT_NAMES = (
    'pelvis_x', 'pelvis_y', 'pelvis_z', 'body_roll', 'body_twist', 'trunk_lean',
    'hip_left', 'knee_left', 'ankle_left',
    'hip_right', 'knee_right', 'ankle_right',
    'shoulder_abd_left', 'shoulder_abd_right',
)

SITTING = 'sitting'
STANDING = 'standing'
LYING = 'lying'
LYING_ON_FLOOR = 'lying_on_floor'

# Segment lengths and foot placement; they match assets/bedroom.xml.
THIGH_LENGTH = 0.44
SHIN_LENGTH = 0.44
ANKLE_X = 0.40           # feet on the floor in front of the bed edge
ANKLE_Z = 0.08           # ankle height above the sole
# Shoulder height above the hip-joint centre, for the "arm above shoulder" truth.
SHOULDER_HEIGHT = 0.47

ARM_HANGING = math.radians(10.0)   # arms hang slightly away from the body


@dataclass(frozen=True)
class BodyPose:
    """Whole-body pose: hip-joint centre (m), trunk lean and arm abduction (rad)."""

    hip_x: float
    hip_z: float
    trunk_lean: float
    arm_abduction: float = ARM_HANGING


SITTING_POSE = BodyPose(hip_x=0.0, hip_z=0.58, trunk_lean=math.radians(5.0))
# Legs almost straight (2 mm short of full extension keeps the knee direction defined).
STANDING_POSE = BodyPose(hip_x=ANKLE_X, hip_z=ANKLE_Z + THIGH_LENGTH + SHIN_LENGTH - 0.002,
                         trunk_lean=0.0)

# Sit-to-stand: lean forward over the feet, lift off, straighten up.
# (fraction of the motion, hip_x, hip_z, trunk lean in degrees)
SIT_TO_STAND_KEYFRAMES = (
    (0.0, SITTING_POSE.hip_x, SITTING_POSE.hip_z, 5.0),
    (0.35, 0.10, 0.60, 40.0),
    (0.70, 0.30, 0.82, 22.0),
    (1.0, STANDING_POSE.hip_x, STANDING_POSE.hip_z, 0.0),
)


@dataclass(frozen=True)
class Exercise:
    """An exercise the patient knows: which motion it makes for one repetition."""

    name: str
    peak_abduction_deg: float   # arm abduction at the top of the repetition


EXERCISES = {
    'arm_raise': Exercise(name='arm_raise', peak_abduction_deg=150.0),
}


@dataclass(frozen=True)
class Persona:
    """How a patient behaves; all durations in seconds."""

    name: str
    reaction_delay: float = 1.0      # from seeing a coach step to starting to move
    stand_duration: float = 2.5
    rep_duration: float = 2.5        # hanging -> up -> hanging
    rep_pause: float = 0.8           # arms hanging between repetitions
    peak_scale: float = 1.0          # fraction of the exercise's peak angle reached
    reps_done_fraction: float = 1.0  # share of the target the patient completes
    timing_jitter: float = 0.1       # +- fraction applied to each duration (seeded)

    def __post_init__(self):
        for name in ('reaction_delay', 'rep_pause'):
            if getattr(self, name) < 0.0:
                raise ValueError(f'persona {self.name}: {name} must be >= 0')
        for name in ('stand_duration', 'rep_duration', 'peak_scale'):
            if getattr(self, name) <= 0.0:
                raise ValueError(f'persona {self.name}: {name} must be > 0')
        if not 0.0 <= self.reps_done_fraction <= 1.0:
            raise ValueError(f'persona {self.name}: reps_done_fraction must be in [0, 1]')
        if not 0.0 <= self.timing_jitter < 0.5:
            raise ValueError(f'persona {self.name}: timing_jitter must be in [0, 0.5)')


PERSONAS = {
    'cooperative': Persona(name='cooperative'),
    'slow': Persona(name='slow', reaction_delay=3.0, stand_duration=6.0, rep_duration=4.5,
                    rep_pause=1.5),
}


@dataclass(frozen=True)
class PatientState:
    """What the patient does at one instant: joint positions and ground truth."""

    joints: dict
    posture: str
    repetitions: int       # completed repetitions of the current exercise
    exercise: str          # current exercise ('' before the first one)
    arms_up: bool          # both wrists above the shoulders


@dataclass
class _ExerciseSet:
    exercise: Exercise
    target: int
    reps: list = field(default_factory=list)   # (start, end) of each repetition it will do


def _smoothstep(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


def leg_joints(hip_x: float, hip_z: float) -> tuple[float, float, float]:
    """Hip flexion, knee flexion and ankle angle that put the foot flat at the ankle point.

    Two-link inverse kinematics in the sagittal plane with the knee in front of the hip-ankle
    line. Raises ValueError when the hip is out of the legs' reach.
    """
    dx, dz = ANKLE_X - hip_x, ANKLE_Z - hip_z
    reach = math.hypot(dx, dz)
    if reach > THIGH_LENGTH + SHIN_LENGTH or reach < abs(THIGH_LENGTH - SHIN_LENGTH) + 1e-6:
        raise ValueError(f'hip ({hip_x:.3f}, {hip_z:.3f}) is out of the legs\' reach')
    toward_ankle = math.atan2(dx, -dz)   # forward angle of the hip->ankle line from straight down
    cos_thigh = (THIGH_LENGTH ** 2 + reach ** 2 - SHIN_LENGTH ** 2) / (2 * THIGH_LENGTH * reach)
    hip = toward_ankle + math.acos(max(-1.0, min(1.0, cos_thigh)))
    knee_x = hip_x + THIGH_LENGTH * math.sin(hip)
    knee_z = hip_z - THIGH_LENGTH * math.cos(hip)
    shin = math.atan2(ANKLE_X - knee_x, -(ANKLE_Z - knee_z))
    knee = hip - shin
    ankle = -shin    # keep the sole level
    return hip, knee, ankle


def joint_positions(pose: BodyPose) -> dict:
    """Joint positions (JOINT_NAMES) of the MuJoCo patient for a body pose."""
    hip, knee, ankle = leg_joints(pose.hip_x, pose.hip_z)
    return {
        'pelvis_x': pose.hip_x, 'pelvis_y': 0.0, 'pelvis_z': pose.hip_z,
        'body_roll': 0.0, 'body_twist': 0.0, 'trunk_lean': pose.trunk_lean,
        'hip_left': hip, 'knee_left': knee, 'ankle_left': ankle,
        'hip_right': hip, 'knee_right': knee, 'ankle_right': ankle,
        'shoulder_abd_left': pose.arm_abduction, 'shoulder_abd_right': pose.arm_abduction,
    }


@dataclass(frozen=True)
class LyingPose:
    """The patient lying stretched out along the bed's long axis (y), head towards the pillow.

    `hip_x`, `hip_y`, `hip_z`: hip-joint centre (m); `twist`: rotation about the body's long
    axis (0 = on the side facing the robot, -pi/2 = on the back).
    """

    hip_x: float
    hip_y: float
    hip_z: float
    twist: float = 0.0


# On the mattress (top at z = 0.50, x from -0.86 to 0.10), hips a little off the centre line.
LYING_IN_BED_POSE = LyingPose(hip_x=-0.25, hip_y=-0.05, hip_z=0.62, twist=-math.pi / 2.0)
# On the floor between the bed and the robot (what a fall leaves): body just above the floor.
LYING_ON_FLOOR_POSE = LyingPose(hip_x=0.6, hip_y=-0.05, hip_z=0.12, twist=-math.pi / 2.0)


def lying_joint_positions(pose: LyingPose) -> dict:
    """Joint positions (JOINT_NAMES) of the patient lying straight, arms at the sides."""
    return {
        'pelvis_x': pose.hip_x, 'pelvis_y': pose.hip_y, 'pelvis_z': pose.hip_z,
        'body_roll': -math.pi / 2.0, 'body_twist': pose.twist, 'trunk_lean': 0.0,
        'hip_left': 0.0, 'knee_left': 0.0, 'ankle_left': 0.0,
        'hip_right': 0.0, 'knee_right': 0.0, 'ankle_right': 0.0,
        'shoulder_abd_left': ARM_HANGING, 'shoulder_abd_right': ARM_HANGING,
    }


def wrist_above_shoulder(arm_abduction: float) -> bool:
    """True when a straight arm at this abduction has the wrist above the shoulder."""
    return math.cos(arm_abduction) < 0.0


def sit_to_stand_pose(fraction: float) -> BodyPose:
    """Body pose part-way (0..1) through standing up."""
    u = _smoothstep(fraction)
    frames = SIT_TO_STAND_KEYFRAMES
    for (u0, x0, z0, l0), (u1, x1, z1, l1) in zip(frames, frames[1:]):
        if u <= u1:
            w = (u - u0) / (u1 - u0)
            return BodyPose(hip_x=x0 + w * (x1 - x0), hip_z=z0 + w * (z1 - z0),
                            trunk_lean=math.radians(l0 + w * (l1 - l0)))
    return STANDING_POSE


def arm_raise_angle(fraction: float, peak: float) -> float:
    """Arm abduction part-way (0..1) through one repetition: up 40 %, hold 20 %, down 40 %."""
    if fraction <= 0.0 or fraction >= 1.0:
        return ARM_HANGING
    if fraction < 0.4:
        w = _smoothstep(fraction / 0.4)
    elif fraction <= 0.6:
        w = 1.0
    else:
        w = _smoothstep((1.0 - fraction) / 0.4)
    return ARM_HANGING + w * (peak - ARM_HANGING)


class VirtualPatient:
    """A persona reacting to the coach: `observe_coach` on each coach state, `state(t)` to read.

    Time `t` is the simulation time in seconds and must not go backwards.
    """

    def __init__(self, persona: str | Persona = 'cooperative', seed: int = 0):
        if isinstance(persona, str):
            if persona not in PERSONAS:
                raise ValueError(f'unknown persona {persona!r}; known: {sorted(PERSONAS)}')
            persona = PERSONAS[persona]
        if not isinstance(persona, Persona):
            raise TypeError('persona must be a persona name or a Persona')
        self.persona = persona
        self._rng = random.Random(seed)
        self._stand_start = None
        self._stand_end = None
        self._set = None
        self._set_key = None
        self._last_t = 0.0

    def _jitter(self, duration: float) -> float:
        j = self.persona.timing_jitter
        return duration * (1.0 + self._rng.uniform(-j, j))

    def _check_time(self, t: float) -> None:
        if not isinstance(t, (int, float)) or not math.isfinite(t):
            raise ValueError(f'time must be a finite number, got {t!r}')
        if t < self._last_t:
            raise ValueError(f'time went backwards: {t} < {self._last_t}')
        self._last_t = t

    def observe_coach(self, t: float, step: str, exercise: str = '', target: int = 0) -> bool:
        """React to the coach's current step. Returns True when the patient starts something new.

        Repeated states (the coach republishes on every counted repetition) change nothing.
        Exercises the patient does not know are ignored (returns False).
        """
        self._check_time(t)
        if not isinstance(step, str) or not isinstance(exercise, str):
            raise TypeError('step and exercise must be strings')
        if isinstance(target, bool) or not isinstance(target, int) or target < 0:
            raise ValueError(f'target must be a non-negative int, got {target!r}')
        if step == 'stand_up' and self._stand_start is None:
            self._stand_start = t + self._jitter(self.persona.reaction_delay)
            self._stand_end = self._stand_start + self._jitter(self.persona.stand_duration)
            return True
        if step == 'exercise' and (exercise, target) != self._set_key:
            if exercise not in EXERCISES:
                return False
            self._set_key = (exercise, target)
            start = t + self._jitter(self.persona.reaction_delay)
            if self._stand_end is not None:
                start = max(start, self._stand_end)
            ex_set = _ExerciseSet(exercise=EXERCISES[exercise], target=target)
            for _ in range(round(target * self.persona.reps_done_fraction)):
                end = start + self._jitter(self.persona.rep_duration)
                ex_set.reps.append((start, end))
                start = end + self._jitter(self.persona.rep_pause)
            self._set = ex_set
            return True
        return False

    def state(self, t: float) -> PatientState:
        """Pose and ground truth at time t."""
        self._check_time(t)
        if self._stand_start is None or t <= self._stand_start:
            pose, posture = SITTING_POSE, SITTING
        elif t < self._stand_end:
            fraction = (t - self._stand_start) / (self._stand_end - self._stand_start)
            pose, posture = sit_to_stand_pose(fraction), SITTING
        else:
            pose, posture = STANDING_POSE, STANDING

        repetitions, arm, name = 0, ARM_HANGING, ''
        if self._set is not None:
            name = self._set.exercise.name
            peak = math.radians(self._set.exercise.peak_abduction_deg) * self.persona.peak_scale
            for start, end in self._set.reps:
                if t >= end:
                    repetitions += 1
                elif t > start:
                    arm = arm_raise_angle((t - start) / (end - start), peak)
                    break
                else:
                    break
        pose = BodyPose(pose.hip_x, pose.hip_z, pose.trunk_lean, arm)
        return PatientState(joints=joint_positions(pose), posture=posture,
                            repetitions=repetitions, exercise=name,
                            arms_up=wrist_above_shoulder(arm))
