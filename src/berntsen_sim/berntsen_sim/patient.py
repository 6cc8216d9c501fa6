"""Scripted virtual patient: pose and ground truth from time and what the robot says.

Pure Python (no rclpy, no MuJoCo). The simulation tells `VirtualPatient.hear` each utterance
of the robot (its text and language, when it begins and ends) and asks
`VirtualPatient.state(t)` for the joint positions of the kinematic patient in
`assets/bedroom.xml` and for the truth the tests compare against: the posture, and each
repetition she finished (`finished_repetitions`) with its reach.

A persona is data: how quickly the patient reacts, how long standing up and each repetition
take, how far it moves and how evenly, how many of the asked repetitions it does and how
many fall short, and the ways people are hard: starting while the robot still explains,
stopping early without a word, falling just short of the range, resting or sitting down in
the middle of a set, not reacting to a prompt. The cooperative persona does what it hears:
stands up when asked, and does the repetitions an exercise's introduction asks for.

An exercise is data too (`ExerciseMotion`): the posture it is done in and the body pose at
any fraction of its full range. One repetition goes rest → full range → rest (up 40 %,
hold 20 %, down 40 % of its duration). A repetition reaching less than the motion's
`counted_fraction` of the range is partial: the truth does not count it but reports it
separately. `plan_set` lays out a set with given tempo, range and pauses (the benchmark
uses it directly); the personas build their sets with it.

Geometry (metres, radians) in the patient frame: x forward (towards the robot), z up. The
pose is described by the hip-joint centre, the trunk lean, the arm flexion, abduction and
elbow flexion, a heel raise and a knee lift, knee extension and hip abduction per leg; the
leg joints follow by inverse kinematics with the feet at a fixed place on the floor (the
standing leg, for a knee lift). Lying exercises (`LyingPose`) set the joints directly.

Joint conventions (as in the MJCF comment of assets/bedroom.xml): hip_* and shoulder_flex_*
are flexion (limb forward; lying on the back: up towards the ceiling), hip_abd_* and
shoulder_abd_* abduction (limb out to its own side), knee_* and elbow_* flexion, ankle_*
dorsiflexion. Flexion is applied before abduction, so abduction swings a flexed limb sideways.

Bodies vary (`Body`: overall scale and limb proportions); every length the inverse kinematics
uses comes from the body, and `berntsen_sim.world.patient_xml(body)` scales the MJCF to match.
The module constants (THIGH_LENGTH, ANKLE_X, ...) are those of the default body.

People vary too: `person_set` draws a seeded set as people do it (continuous range with some
low repetitions, a weaker and lagging side, tempo, holds, sway and fidgeting, early starts,
stopping short, body size) and keeps the truth: a repetition counts when its amplitude (for
both-sided motions: the mean reach of the two sides) is at least the motion's
`counted_fraction`.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from berntsen_sim.listening import Heard, understand

JOINT_NAMES = (
    'pelvis_x', 'pelvis_y', 'pelvis_z', 'body_roll', 'body_twist', 'trunk_lean',
    'hip_left', 'knee_left', 'ankle_left',
    'hip_right', 'knee_right', 'ankle_right',
    'shoulder_abd_left', 'shoulder_abd_right',
    'shoulder_rot_left', 'shoulder_rot_right',
    'elbow_left', 'elbow_right',
    'hip_abd_left', 'hip_abd_right',
    'shoulder_flex_left', 'shoulder_flex_right',
)
SIDES = ('left', 'right')

SITTING = 'sitting'
STANDING = 'standing'
LYING = 'lying'
LYING_ON_FLOOR = 'lying_on_floor'

# Segment lengths and foot placement; they match assets/bedroom.xml.
THIGH_LENGTH = 0.44
SHIN_LENGTH = 0.44
ANKLE_X = 0.40           # feet on the floor in front of the bed edge
ANKLE_Z = 0.08           # ankle height above the sole
BALL_X = 0.12            # ball of the foot ahead of the ankle: the pivot of a heel raise
HEEL_X = 0.06            # back of the heel behind the ankle
# Shoulder height above the hip-joint centre, for the "arm above shoulder" truth.
SHOULDER_HEIGHT = 0.47

ARM_HANGING = math.radians(10.0)   # arms hang slightly away from the body

# Anatomical ranges (rad) every scripted pose stays inside; the tests check them.
JOINT_LIMITS = {
    'trunk_lean': (math.radians(-10), math.radians(60)),
    'hip': (math.radians(-15), math.radians(120)),
    'knee': (math.radians(-1), math.radians(135)),
    'ankle': (math.radians(-45), math.radians(30)),
    'hip_abd': (math.radians(-10), math.radians(45)),
    'shoulder_flex': (math.radians(-40), math.radians(175)),
    'shoulder_abd': (0.0, math.radians(170)),
    'shoulder_rot': (math.radians(-90), math.radians(45)),
    'elbow': (0.0, math.radians(145)),
}


@dataclass(frozen=True)
class BodyPose:
    """Whole-body pose: hip-joint centre (m), trunk lean, arm abduction and elbow flexion,
    upper-arm rotation (see assets/bedroom.xml), heel raise (plantar flexion about the ball
    of the foot) and knee lift per leg (rad). Also per leg: knee extension (knee flexion
    taken off the inverse-kinematics value, the thigh stays: the foot comes up and forward,
    as in a seated knee extension) and hip abduction; and the arms' flexion (forward)."""

    hip_x: float
    hip_z: float
    trunk_lean: float
    arm_abduction: float = ARM_HANGING
    elbow_flexion: float = 0.0
    heel_raise: float = 0.0
    knee_lift_left: float = 0.0
    knee_lift_right: float = 0.0
    arm_rotation: float = 0.0
    knee_extension_left: float = 0.0
    knee_extension_right: float = 0.0
    hip_abduction_left: float = 0.0
    hip_abduction_right: float = 0.0
    arm_flexion: float = 0.0


SITTING_POSE = BodyPose(hip_x=0.0, hip_z=0.58, trunk_lean=math.radians(5.0))
SITTING_HIP_ABOVE_SEAT = 0.08    # hip-joint centre above the mattress top, default body
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


UPPER_ARM_LENGTH = 0.29
FOREARM_LENGTH = 0.33     # elbow to the middle of the hand


@dataclass(frozen=True)
class Body:
    """A patient's size: overall `scale` and per-segment proportions (1 = default body).

    The MJCF is scaled to match by `berntsen_sim.world.patient_xml`; all lengths here are in
    metres. The default body gives exactly the module constants.
    """

    scale: float = 1.0
    thigh: float = 1.0
    shin: float = 1.0
    trunk: float = 1.0
    upper_arm: float = 1.0
    forearm: float = 1.0

    def __post_init__(self):
        if not 0.7 <= self.scale <= 1.3:
            raise ValueError(f'body scale must be in [0.7, 1.3], got {self.scale}')
        for name in ('thigh', 'shin', 'trunk', 'upper_arm', 'forearm'):
            if not 0.8 <= getattr(self, name) <= 1.2:
                raise ValueError(f'body proportion {name} must be in [0.8, 1.2]')

    @property
    def thigh_length(self) -> float:
        return THIGH_LENGTH * (self.scale * self.thigh)

    @property
    def shin_length(self) -> float:
        return SHIN_LENGTH * (self.scale * self.shin)

    @property
    def ankle_x(self) -> float:
        """Feet on the floor this far in front of the bed edge (follows the thigh length)."""
        return ANKLE_X * (self.scale * self.thigh)

    @property
    def ankle_z(self) -> float:
        return ANKLE_Z * self.scale

    @property
    def ball_x(self) -> float:
        return BALL_X * self.scale

    @property
    def heel_x(self) -> float:
        return HEEL_X * self.scale

    @property
    def shoulder_height(self) -> float:
        return SHOULDER_HEIGHT * (self.scale * self.trunk)

    @property
    def upper_arm_length(self) -> float:
        return UPPER_ARM_LENGTH * (self.scale * self.upper_arm)

    @property
    def forearm_length(self) -> float:
        return FOREARM_LENGTH * (self.scale * self.forearm)

    def sitting_pose(self) -> BodyPose:
        if self == DEFAULT_BODY:
            return SITTING_POSE
        return replace(SITTING_POSE,
                       hip_z=SITTING_POSE.hip_z + SITTING_HIP_ABOVE_SEAT * (self.scale - 1.0))

    def standing_pose(self) -> BodyPose:
        if self == DEFAULT_BODY:
            return STANDING_POSE
        return BodyPose(hip_x=self.ankle_x,
                        hip_z=self.ankle_z + self.thigh_length + self.shin_length - 0.002,
                        trunk_lean=0.0)

    def rest_pose(self, posture: str):
        """The body pose at rest in a posture (a LyingPose when lying)."""
        if posture == SITTING:
            return self.sitting_pose()
        if posture == STANDING:
            return self.standing_pose()
        if posture == LYING:
            return lying_in_bed_pose(self)
        if posture == LYING_ON_FLOOR:
            return replace(LYING_ON_FLOOR_POSE, hip_z=LYING_ON_FLOOR_POSE.hip_z
                           + LYING_HIP_ABOVE_MATTRESS * (self.scale - 1.0))
        raise ValueError(f'unknown posture {posture!r}')


DEFAULT_BODY = Body()


def random_body(rng: random.Random, scale: tuple[float, float] = (0.85, 1.15),
                proportions: float = 0.08) -> Body:
    """A seeded body: overall scale in `scale`, each segment within +-`proportions`."""
    return Body(scale=rng.uniform(*scale),
                **{name: 1.0 + rng.uniform(-proportions, proportions)
                   for name in ('thigh', 'shin', 'trunk', 'upper_arm', 'forearm')})


@dataclass(frozen=True)
class Persona:
    """How a patient behaves; all durations in seconds.

    She listens (berntsen_sim.listening): she reacts `reaction_delay` after the robot has
    finished an instruction, and begins a set once the robot has stopped talking after the
    exercise's introduction. She does the number of repetitions she heard, follows the
    robot's count (stops when it says the target) and, asked to carry on while its count is
    short of the target, does the difference (`carries_on`).

    `rep_duration` is the time of one arm raise; other exercises scale their own typical
    duration by the same factor. Each repetition reaches between `peak_scale - range_spread`
    and `peak_scale` of the range; her weaker side up to `side_deficit` less and up to
    `side_lag` s later, her trunk sways. The last `partial_last_reps` repetitions of a set
    reach only `fatigue_amplitude` and take `fatigue_slowdown` times longer.
    """

    name: str
    reaction_delay: float = 1.0      # from the end of an instruction to starting to move
    stand_duration: float = 2.5
    rep_duration: float = 2.5        # hanging -> up -> hanging
    rep_pause: float = 0.8           # arms hanging between repetitions
    peak_scale: float = 1.0          # fraction of the exercise's full range reached
    range_spread: float = 0.12       # repetitions reach peak_scale minus up to this much
    side_deficit: float = 0.08       # the weaker side reaches up to this share less
    side_lag: float = 0.2            # s the weaker side may lag
    sway: float = 2.0                # degrees of slow trunk sway
    reps_done_fraction: float = 1.0  # share of the heard target she does before stopping
    carries_on: bool = True          # asked to carry on, does what the robot's count lacks
    timing_jitter: float = 0.1       # +- fraction applied to each duration (seeded)
    partial_last_reps: int = 0
    fatigue_amplitude: float = 0.45
    fatigue_slowdown: float = 1.3
    near_threshold_reps: int = 0     # after her first, this many fall just short...
    near_threshold_amplitude: float = 0.6   # ...reaching this much, until told "higher"
    early_start: float | None = None  # starts a set this long after its introduction BEGINS
    rest_after: int = 0              # stops for rest_duration after this many repetitions
    rest_duration: float = 0.0
    sits_down_after: int = 0         # standing exercises: sits down after this many
    ignore_chance: float = 0.0       # chance she does not react to a prompt
    misunderstand_chance: float = 0.0   # chance she waits after an introduction until asked
    responds: bool = True            # False: never reacts to anything said
    starts_lying: bool = False       # in bed at the start (else sitting on the bed edge)
    lies_down_again: int = 0         # times it lies back down after sitting up
    lie_down_delay: float = 4.0      # sitting this long before lying back down
    falls_after: float | None = None  # falls to the floor this long after standing up

    def __post_init__(self):
        for name in ('reaction_delay', 'rep_pause', 'lie_down_delay', 'range_spread',
                     'side_deficit', 'side_lag', 'sway', 'rest_duration'):
            if getattr(self, name) < 0.0:
                raise ValueError(f'persona {self.name}: {name} must be >= 0')
        for name in ('stand_duration', 'rep_duration', 'peak_scale', 'fatigue_amplitude',
                     'fatigue_slowdown', 'near_threshold_amplitude'):
            if getattr(self, name) <= 0.0:
                raise ValueError(f'persona {self.name}: {name} must be > 0')
        if self.peak_scale > 1.0 or self.fatigue_amplitude > 1.0 \
                or self.near_threshold_amplitude > 1.0:
            raise ValueError(f'persona {self.name}: peak_scale, fatigue_amplitude and '
                             'near_threshold_amplitude must be <= 1')
        if self.range_spread >= self.peak_scale or self.side_deficit >= 0.5:
            raise ValueError(f'persona {self.name}: range_spread must be below peak_scale and '
                             'side_deficit below 0.5')
        for name in ('reps_done_fraction', 'ignore_chance', 'misunderstand_chance'):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f'persona {self.name}: {name} must be in [0, 1]')
        if not 0.0 <= self.timing_jitter < 0.5:
            raise ValueError(f'persona {self.name}: timing_jitter must be in [0, 0.5)')
        for name in ('partial_last_reps', 'lies_down_again', 'near_threshold_reps',
                     'rest_after', 'sits_down_after'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f'persona {self.name}: {name} must be an int >= 0')
        for name in ('falls_after', 'early_start'):
            value = getattr(self, name)
            if value is not None and not value >= 0.0:
                raise ValueError(f'persona {self.name}: {name} must be None or >= 0')


PERSONAS = {
    'cooperative': Persona(name='cooperative'),
    'slow': Persona(name='slow', reaction_delay=3.0, stand_duration=6.0, rep_duration=4.5,
                    rep_pause=1.5),
    # slower, and the last two repetitions of every set fall short (not counted)
    'tired': Persona(name='tired', reaction_delay=2.0, stand_duration=4.5, rep_duration=3.5,
                     rep_pause=1.5, partial_last_reps=2),
    'unresponsive': Persona(name='unresponsive', responds=False),
    # in bed at the start; sits up when asked, lies back down once, sits up again when asked
    'lies_down_again': Persona(name='lies_down_again', starts_lying=True, lies_down_again=1),
    # stands up when asked and falls to the floor 3 s later; stays there
    'falls': Persona(name='falls', falls_after=3.0),
    # begins while the robot is still explaining the exercise
    'eager': Persona(name='eager', early_start=4.0),
    # does three of five and stops without a word; asking again changes nothing
    'stops_short': Persona(name='stops_short', reps_done_fraction=0.6, carries_on=False),
    # after a full first repetition, two fall just short of the range, until told "higher"
    'hesitant': Persona(name='hesitant', near_threshold_reps=2),
    # rests a while in the middle of every set, then goes on
    'rests_midway': Persona(name='rests_midway', rest_after=2, rest_duration=9.0),
    # sits down again in the middle of a standing exercise, stands when asked
    'sits_down': Persona(name='sits_down', sits_down_after=2),
    # now and then does not react to a prompt, or waits after an introduction until asked
    'distracted': Persona(name='distracted', ignore_chance=0.5, misunderstand_chance=1.0),
}

FALL_DURATION = 0.8   # s from standing to lying on the floor


@dataclass(frozen=True)
class PatientState:
    """What the patient does at one instant: joint positions and ground truth."""

    joints: dict
    posture: str
    repetitions: int       # completed (full) repetitions of the current exercise
    exercise: str          # current exercise ('' before the first one)
    arms_up: bool          # both wrists above the shoulders
    partial_repetitions: int = 0   # repetitions of the current exercise that fell short


def _smoothstep(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


def leg_joints(hip_x: float, hip_z: float, ankle_x: float = ANKLE_X,
               ankle_z: float = ANKLE_Z, body: Body | None = None) -> tuple[float, float, float]:
    """Hip flexion, knee flexion and ankle angle that put the foot flat at the ankle point.

    Two-link inverse kinematics in the sagittal plane with the knee in front of the hip-ankle
    line. Raises ValueError when the hip is out of the legs' reach.
    """
    THIGH_LENGTH = body.thigh_length if body is not None else globals()['THIGH_LENGTH']
    SHIN_LENGTH = body.shin_length if body is not None else globals()['SHIN_LENGTH']
    dx, dz = ankle_x - hip_x, ankle_z - hip_z
    reach = math.hypot(dx, dz)
    if reach > THIGH_LENGTH + SHIN_LENGTH or reach < abs(THIGH_LENGTH - SHIN_LENGTH) + 1e-6:
        raise ValueError(f'hip ({hip_x:.3f}, {hip_z:.3f}) is out of the legs\' reach')
    toward_ankle = math.atan2(dx, -dz)   # forward angle of the hip->ankle line from straight down
    cos_thigh = (THIGH_LENGTH ** 2 + reach ** 2 - SHIN_LENGTH ** 2) / (2 * THIGH_LENGTH * reach)
    hip = toward_ankle + math.acos(max(-1.0, min(1.0, cos_thigh)))
    knee_x = hip_x + THIGH_LENGTH * math.sin(hip)
    knee_z = hip_z - THIGH_LENGTH * math.cos(hip)
    shin = math.atan2(ankle_x - knee_x, -(ankle_z - knee_z))
    knee = hip - shin
    ankle = -shin    # keep the sole level
    return hip, knee, ankle


def ankle_point(heel_raise: float, body: Body | None = None) -> tuple[float, float]:
    """Ankle position (x, z) with the foot pitched heel-up by `heel_raise` about its ball."""
    b = body or DEFAULT_BODY
    return (b.ankle_x + b.ball_x * (1.0 - math.cos(heel_raise)) + b.ankle_z * math.sin(heel_raise),
            b.ball_x * math.sin(heel_raise) + b.ankle_z * math.cos(heel_raise))


def heel_height(heel_raise: float, body: Body | None = None) -> float:
    """Height (m) of the back of the heel above the floor for a heel raise angle."""
    b = body or DEFAULT_BODY
    return (b.ball_x + b.heel_x) * math.sin(heel_raise)


def joint_positions(pose, body: Body | None = None) -> dict:
    """Joint positions (JOINT_NAMES) of the MuJoCo patient for a body pose (or a LyingPose)."""
    if isinstance(pose, LyingPose):
        return lying_joint_positions(pose)
    ankle_x, ankle_z = ankle_point(pose.heel_raise, body)
    hip, knee, ankle = leg_joints(pose.hip_x, pose.hip_z, ankle_x, ankle_z, body)
    ankle -= pose.heel_raise
    joints = {
        'pelvis_x': pose.hip_x, 'pelvis_y': 0.0, 'pelvis_z': pose.hip_z,
        'body_roll': 0.0, 'body_twist': 0.0, 'trunk_lean': pose.trunk_lean,
        'shoulder_abd_left': pose.arm_abduction, 'shoulder_abd_right': pose.arm_abduction,
        'shoulder_rot_left': pose.arm_rotation, 'shoulder_rot_right': pose.arm_rotation,
        'elbow_left': pose.elbow_flexion, 'elbow_right': pose.elbow_flexion,
        'shoulder_flex_left': pose.arm_flexion, 'shoulder_flex_right': pose.arm_flexion,
    }
    for side, lift, extension, abduction in (
            ('left', pose.knee_lift_left, pose.knee_extension_left, pose.hip_abduction_left),
            ('right', pose.knee_lift_right, pose.knee_extension_right, pose.hip_abduction_right)):
        # a lifted leg bends hip and knee alike, so the shin keeps hanging and the foot level
        joints[f'hip_{side}'] = hip + lift
        joints[f'knee_{side}'] = knee + lift - extension
        joints[f'ankle_{side}'] = ankle
        joints[f'hip_abd_{side}'] = abduction
    return joints


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
    hip_flexion_left: float = 0.0     # leg up towards the ceiling when on the back
    hip_flexion_right: float = 0.0
    knee_left: float = 0.0
    knee_right: float = 0.0
    ankle_left: float = 0.0
    ankle_right: float = 0.0
    arm_flexion_left: float = 0.0     # 90 degrees: pointing at the ceiling when on the back
    arm_flexion_right: float = 0.0
    arm_abduction: float = ARM_HANGING


# On the mattress (top at z = 0.50, x from -0.86 to 0.10), hips a little off the centre line.
LYING_IN_BED_POSE = LyingPose(hip_x=-0.25, hip_y=-0.05, hip_z=0.62, twist=-math.pi / 2.0)
# On the floor between the bed and the robot (what a fall leaves): body just above the floor.
LYING_ON_FLOOR_POSE = LyingPose(hip_x=0.6, hip_y=-0.05, hip_z=0.12, twist=-math.pi / 2.0)
LYING_HIP_ABOVE_MATTRESS = 0.12    # default body


def lying_in_bed_pose(body: Body | None = None) -> LyingPose:
    """Lying on the back in bed; a bigger body lies a little higher (thicker pelvis)."""
    b = body or DEFAULT_BODY
    if b == DEFAULT_BODY:
        return LYING_IN_BED_POSE
    return replace(LYING_IN_BED_POSE,
                   hip_z=LYING_IN_BED_POSE.hip_z + LYING_HIP_ABOVE_MATTRESS * (b.scale - 1.0))


def lying_joint_positions(pose: LyingPose) -> dict:
    """Joint positions (JOINT_NAMES) of the patient lying (straight, arms at the sides,
    unless the pose bends legs or raises arms)."""
    return {
        'pelvis_x': pose.hip_x, 'pelvis_y': pose.hip_y, 'pelvis_z': pose.hip_z,
        'body_roll': -math.pi / 2.0, 'body_twist': pose.twist, 'trunk_lean': 0.0,
        'hip_left': pose.hip_flexion_left, 'knee_left': pose.knee_left,
        'ankle_left': pose.ankle_left,
        'hip_right': pose.hip_flexion_right, 'knee_right': pose.knee_right,
        'ankle_right': pose.ankle_right,
        'shoulder_abd_left': pose.arm_abduction, 'shoulder_abd_right': pose.arm_abduction,
        'shoulder_rot_left': 0.0, 'shoulder_rot_right': 0.0,
        'elbow_left': 0.0, 'elbow_right': 0.0,
        'hip_abd_left': 0.0, 'hip_abd_right': 0.0,
        'shoulder_flex_left': pose.arm_flexion_left, 'shoulder_flex_right': pose.arm_flexion_right,
    }


def wrist_above_shoulder(arm_abduction: float, elbow_flexion: float = 0.0,
                         arm_rotation: float = 0.0) -> bool:
    """True when the arm in this pose has the wrist above the shoulder."""
    upper, fore = 0.29, 0.33
    forearm_z = (math.cos(arm_rotation) * math.sin(elbow_flexion) * math.sin(arm_abduction)
                 - math.cos(elbow_flexion) * math.cos(arm_abduction))
    return -upper * math.cos(arm_abduction) + fore * forearm_z > 0.0


def sit_to_stand_pose(fraction: float, body: Body | None = None) -> BodyPose:
    """Body pose part-way (0..1) through standing up."""
    u = _smoothstep(fraction)
    frames = SIT_TO_STAND_KEYFRAMES
    b = body or DEFAULT_BODY
    if b != DEFAULT_BODY:   # the default keyframes, stretched between this body's end poses
        sit, stand = b.sitting_pose(), b.standing_pose()
        kx = stand.hip_x / STANDING_POSE.hip_x
        kz = (stand.hip_z - sit.hip_z) / (STANDING_POSE.hip_z - SITTING_POSE.hip_z)
        frames = tuple((f, x * kx, sit.hip_z + (z - SITTING_POSE.hip_z) * kz, lean)
                       for f, x, z, lean in frames)
    if u >= 1.0:
        return b.standing_pose()
    for (u0, x0, z0, l0), (u1, x1, z1, l1) in zip(frames, frames[1:]):
        if u <= u1:
            w = (u - u0) / (u1 - u0)
            return BodyPose(hip_x=x0 + w * (x1 - x0), hip_z=z0 + w * (z1 - z0),
                            trunk_lean=math.radians(l0 + w * (l1 - l0)))
    return b.standing_pose()


def rep_profile(fraction: float, rise: float = 0.4, hold: float = 0.2) -> float:
    """Share of the repetition's range reached part-way (0..1) through it: up `rise`, hold
    `hold`, down the rest (by default up 40 %, hold 20 %, down 40 %), smooth at both ends."""
    if fraction <= 0.0 or fraction >= 1.0:
        return 0.0
    if fraction < rise:
        return _smoothstep(fraction / rise)
    if fraction <= rise + hold:
        return 1.0
    return _smoothstep((1.0 - fraction) / (1.0 - rise - hold))


def arm_raise_angle(fraction: float, peak: float) -> float:
    """Arm abduction part-way (0..1) through one repetition: up 40 %, hold 20 %, down 40 %."""
    return ARM_HANGING + rep_profile(fraction) * (peak - ARM_HANGING)


# --- the exercise library -------------------------------------------------------------

ARM_RAISED = math.radians(150.0)            # arm raise: arms out to the side and up
ELBOW_FLEXION_ABDUCTION = math.radians(80.0)  # side curl: upper arms held out to the side
ELBOW_FLEXION_FORWARD = math.radians(80.0)  # forward curl: upper arms held forward
CURL_ROTATION = -math.pi / 2.0              # upper arms turned so the elbows bend forward/up
ELBOW_EXTENDED = math.radians(5.0)
ELBOW_FLEXED = math.radians(130.0)
MARCH_LIFT = math.radians(80.0)             # hip (and knee) flexion of a full knee raise
HEEL_RAISE = math.radians(25.0)             # heels about 7.5 cm up, body about 4 cm up
SQUAT_KNEE = math.radians(45.0)             # knee flexion at the bottom of a mini squat
SQUAT_HIP_BACK = 0.10                       # hips go back this far (m) at the bottom
SQUAT_LEAN = 0.6                            # trunk lean per knee flexion
DEEP_SQUAT_KNEE = math.radians(95.0)        # squat: knee flexion at the bottom
DEEP_SQUAT_HIP_BACK = 0.22
DEEP_SQUAT_LEAN = 0.55
KNEE_EXTENDED_SEATED = math.radians(15.0)   # seated knee extension: knee flexion at the top
HIP_ABDUCTION = math.radians(30.0)          # standing hip abduction
HEEL_SLIDE_KNEE = (math.radians(3.0), math.radians(90.0))   # lying knee flexion, rest .. full
LEG_RAISE = math.radians(40.0)              # straight leg raise: hip flexion at the top
LYING_ARMS = (math.radians(90.0), math.radians(165.0))      # lying arm raise: flexion
LYING_ARM_ABDUCTION = math.radians(5.0)


def _side(rep: int) -> str:
    """The side of an alternating exercise's repetition `rep`: left first."""
    return SIDES[rep % 2]


def _arm_raise_pose(posture: str) -> Callable[..., BodyPose]:
    def pose(r: float, _rep: int, body: Body | None = None) -> BodyPose:
        base = (body or DEFAULT_BODY).rest_pose(posture)
        return replace(base, arm_abduction=ARM_HANGING + r * (ARM_RAISED - ARM_HANGING))
    return pose


def _sit_to_stand_pose(r: float, _rep: int, body: Body | None = None) -> BodyPose:
    return sit_to_stand_pose(r, body)


def _march_pose(r: float, rep: int, body: Body | None = None) -> BodyPose:
    return replace((body or DEFAULT_BODY).standing_pose(),
                   **{f'knee_lift_{_side(rep)}': r * MARCH_LIFT})


def _heel_raise_pose(r: float, _rep: int, body: Body | None = None) -> BodyPose:
    b = body or DEFAULT_BODY
    angle = r * HEEL_RAISE
    ankle_x, ankle_z = ankle_point(angle, b)
    standing = b.standing_pose()
    # the straight body rises and moves forward with the ankles
    return replace(standing, hip_x=standing.hip_x + ankle_x - b.ankle_x,
                   hip_z=standing.hip_z + ankle_z - b.ankle_z, heel_raise=angle)


def _curl(r: float) -> float:
    return ELBOW_EXTENDED + r * (ELBOW_FLEXED - ELBOW_EXTENDED)


def _elbow_flexion_pose(r: float, _rep: int, body: Body | None = None) -> BodyPose:
    # a biceps curl: arms hanging, forearms come up in front (towards the camera)
    return replace((body or DEFAULT_BODY).sitting_pose(), arm_rotation=CURL_ROTATION,
                   elbow_flexion=_curl(r))


def _elbow_flexion_forward_pose(r: float, _rep: int, body: Body | None = None) -> BodyPose:
    # upper arms held forward, nearly horizontal; forearms bend up towards the face
    return replace((body or DEFAULT_BODY).sitting_pose(), arm_flexion=ELBOW_FLEXION_FORWARD,
                   arm_rotation=CURL_ROTATION, elbow_flexion=_curl(r))


def _elbow_flexion_side_pose(r: float, _rep: int, body: Body | None = None) -> BodyPose:
    # upper arms out to the side, forearms bend up in the image plane
    return replace((body or DEFAULT_BODY).sitting_pose(), arm_abduction=ELBOW_FLEXION_ABDUCTION,
                   elbow_flexion=_curl(r))


def _squat(knee_bottom: float, hip_back: float, lean: float) -> Callable[..., BodyPose]:
    def pose(r: float, _rep: int, body: Body | None = None) -> BodyPose:
        b = body or DEFAULT_BODY
        standing = b.standing_pose()
        knee = r * knee_bottom
        thigh, shin = b.thigh_length, b.shin_length
        standing_reach = standing.hip_z - b.ankle_z
        # hip-ankle distance with the knee bent (law of cosines), from the standing reach
        reach = standing_reach * math.sqrt(
            (thigh ** 2 + shin ** 2 + 2.0 * thigh * shin * math.cos(knee))) / (thigh + shin)
        back = r * hip_back
        return replace(standing, hip_x=b.ankle_x - back,
                       hip_z=b.ankle_z + math.sqrt(reach ** 2 - back ** 2),
                       trunk_lean=lean * knee)
    return pose


_mini_squat_pose = _squat(SQUAT_KNEE, SQUAT_HIP_BACK, SQUAT_LEAN)


def _seated_knee_extension_pose(r: float, rep: int, body: Body | None = None) -> BodyPose:
    b = body or DEFAULT_BODY
    sitting = b.sitting_pose()
    _, knee, _ = leg_joints(sitting.hip_x, sitting.hip_z, b.ankle_x, b.ankle_z, b)
    return replace(sitting, **{f'knee_extension_{_side(rep)}': r * (knee - KNEE_EXTENDED_SEATED)})


def _hip_abduction_pose(r: float, rep: int, body: Body | None = None) -> BodyPose:
    return replace((body or DEFAULT_BODY).standing_pose(),
                   **{f'hip_abduction_{_side(rep)}': r * HIP_ABDUCTION})


def _heel_slide_pose(r: float, rep: int, body: Body | None = None) -> LyingPose:
    rest, full = HEEL_SLIDE_KNEE
    knee = rest + r * (full - rest)
    side = _side(rep)
    base = lying_in_bed_pose(body)
    # hip flexion half the knee flexion keeps the ankle level with the hip: the heel slides
    # along the mattress; the foot tips a little, heel down
    other = 'right' if side == 'left' else 'left'
    return replace(base, **{f'knee_{side}': knee, f'hip_flexion_{side}': knee / 2.0,
                            f'ankle_{side}': -0.25 * knee,
                            f'knee_{other}': rest, f'hip_flexion_{other}': rest / 2.0,
                            f'ankle_{other}': -0.25 * rest})


def _straight_leg_raise_pose(r: float, rep: int, body: Body | None = None) -> LyingPose:
    return replace(lying_in_bed_pose(body), **{f'hip_flexion_{_side(rep)}': r * LEG_RAISE})


def _lying_arm_raise_pose(r: float, _rep: int, body: Body | None = None) -> LyingPose:
    rest, full = LYING_ARMS
    flexion = rest + r * (full - rest)
    return replace(lying_in_bed_pose(body), arm_flexion_left=flexion, arm_flexion_right=flexion,
                   arm_abduction=LYING_ARM_ABDUCTION)


@dataclass(frozen=True)
class ExerciseMotion:
    """How the patient does one exercise.

    `pose(r, rep, body=None)` is the body pose (a LyingPose for lying exercises) at fraction
    r (0 rest .. 1 full range) of repetition number `rep` (0-based; alternating exercises
    switch side with it, left first). `rep_duration` is the typical duration of one
    repetition at normal tempo. `alternating`: one side per repetition; `two_sided`: both
    arms (or legs) move together, so a person's two sides can differ in reach and timing.
    """

    name: str
    posture: str
    pose: Callable[..., BodyPose]
    rep_duration: float
    counted_fraction: float = 0.7
    description: str = ''
    alternating: bool = False
    two_sided: bool = False
    legs: bool = False      # the legs move: the camera must see them

    def __post_init__(self):
        if self.posture not in (SITTING, STANDING, LYING):
            raise ValueError(f'exercise {self.name}: posture must be sitting, standing or lying')
        if self.rep_duration <= 0.0 or not 0.0 < self.counted_fraction <= 1.0:
            raise ValueError(f'exercise {self.name}: need rep_duration > 0 and '
                             'counted_fraction in (0, 1]')

    def rest_pose(self, body: Body | None = None):
        return self.pose(0.0, 0, body) if body is not None else self.pose(0.0, 0)

    def side(self, rep: int) -> str:
        """'left' or 'right' for an alternating exercise's repetition, '' for both sides."""
        return _side(rep) if self.alternating else ''


EXERCISES = {motion.name: motion for motion in (
    ExerciseMotion('arm_raise', STANDING, _arm_raise_pose(STANDING), 2.5, two_sided=True,
                   description='standing, both arms out to the side and up to 150 degrees'),
    ExerciseMotion('seated_arm_raise', SITTING, _arm_raise_pose(SITTING), 2.5, two_sided=True,
                   description='sitting on the bed edge, both arms out to the side and up'),
    ExerciseMotion('sit_to_stand', SITTING, _sit_to_stand_pose, 4.0, legs=True,
                   description='from the bed edge to standing and back down'),
    ExerciseMotion('standing_march', STANDING, _march_pose, 1.6, alternating=True, legs=True,
                   description='knee raises to 80 degrees hip flexion, left and right in turn; '
                               'every knee raise is one repetition'),
    ExerciseMotion('heel_raise', STANDING, _heel_raise_pose, 2.0, legs=True,
                   description='rise on the toes, heels 7.5 cm up'),
    ExerciseMotion('elbow_flexion', SITTING, _elbow_flexion_pose, 2.5, two_sided=True,
                   description='sitting, arms hanging, a biceps curl from 5 to 130 degrees: the '
                               'forearms come up towards the camera'),
    ExerciseMotion('elbow_flexion_forward', SITTING, _elbow_flexion_forward_pose, 2.5,
                   two_sided=True,
                   description='sitting, upper arms held forward at 80 degrees flexion, forearms '
                               'bend up from 5 to 130 degrees towards the face'),
    ExerciseMotion('elbow_flexion_side', SITTING, _elbow_flexion_side_pose, 2.5, two_sided=True,
                   description='sitting, upper arms out to the side at 80 degrees, forearms '
                               'bend up from 5 to 130 degrees in the camera\'s image plane'),
    ExerciseMotion('mini_squat', STANDING, _mini_squat_pose, 3.0, legs=True,
                   description='knees bend to 45 degrees, hips back, trunk leaning forward'),
    ExerciseMotion('squat', STANDING, _squat(DEEP_SQUAT_KNEE, DEEP_SQUAT_HIP_BACK,
                                             DEEP_SQUAT_LEAN), 3.5, legs=True,
                   description='a deeper squat: knees bend to 95 degrees, hips back, trunk '
                               'leaning forward'),
    ExerciseMotion('seated_knee_extension', SITTING, _seated_knee_extension_pose, 2.5,
                   alternating=True, legs=True,
                   description='sitting on the bed edge, one knee straightens from about 87 to '
                               '15 degrees flexion, left and right in turn'),
    ExerciseMotion('standing_hip_abduction', STANDING, _hip_abduction_pose, 2.5,
                   alternating=True, legs=True,
                   description='standing, one straight leg out to the side to 30 degrees '
                               'abduction, left and right in turn'),
    ExerciseMotion('heel_slide', LYING, _heel_slide_pose, 3.0, alternating=True, legs=True,
                   description='lying on the back, one heel slides along the mattress towards '
                               'the buttock: knee flexion 3 to 90 degrees, hip flexion half of '
                               'it, left and right in turn'),
    ExerciseMotion('straight_leg_raise', LYING, _straight_leg_raise_pose, 3.0,
                   alternating=True, legs=True,
                   description='lying on the back, one straight leg lifted to 40 degrees hip '
                               'flexion, left and right in turn'),
    ExerciseMotion('lying_arm_raise', LYING, _lying_arm_raise_pose, 3.0, two_sided=True,
                   description='lying on the back, both straight arms from pointing at the '
                               'ceiling (90 degrees flexion) to overhead (165 degrees) and back'),
)}

# The motions a coach exercise may be done with: people do an elbow curl with the upper arm
# hanging, held forward or out to the side, and a squat shallow or deep. A set chooses one.
VARIANTS = {
    'elbow_flexion': ('elbow_flexion', 'elbow_flexion_forward', 'elbow_flexion_side'),
    'mini_squat': ('mini_squat', 'squat'),
}


def variants(exercise: str) -> tuple[str, ...]:
    """The motions (EXERCISES keys) a set of the coach's `exercise` may use."""
    if exercise in VARIANTS:
        return VARIANTS[exercise]
    if exercise in EXERCISES:
        return (exercise,)
    raise ValueError(f'unknown exercise {exercise!r}; known: {sorted(EXERCISES)}')


@dataclass(frozen=True)
class RepPlan:
    """One repetition as the patient will do it: times (s), share of the range reached.

    `rise` and `hold`: shares of the duration spent going up and holding at the top (the
    rest going down). `side`: 'left'/'right' for alternating exercises, '' for both sides.
    """

    start: float
    end: float
    amplitude: float
    counted: bool     # reaches the exercise's counted_fraction: a full repetition
    rise: float = 0.4
    hold: float = 0.2
    side: str = ''

    def fraction(self, t: float) -> float:
        """Share of the range reached at time t (0 outside the repetition)."""
        if not self.start < t < self.end:
            return 0.0
        return self.amplitude * rep_profile((t - self.start) / (self.end - self.start),
                                            self.rise, self.hold)


@dataclass(frozen=True)
class SetPlan:
    """A set of repetitions of one exercise, laid out in time; pose and truth at any time."""

    motion: ExerciseMotion
    reps: tuple[RepPlan, ...]
    body: Body | None = None
    first_rep: int = 0      # pose index of the first repetition (1: starts on the right)

    @property
    def end(self) -> float:
        return self.reps[-1].end if self.reps else 0.0

    def counted_ends(self) -> list[float]:
        """End times of the full repetitions: what an honest counter must count."""
        return [rep.end for rep in self.reps if rep.counted]

    def partial_ends(self) -> list[float]:
        return [rep.end for rep in self.reps if not rep.counted]

    def completed(self, t: float) -> tuple[int, int]:
        """(full, partial) repetitions finished by time t."""
        full = sum(1 for rep in self.reps if rep.counted and t >= rep.end)
        partial = sum(1 for rep in self.reps if not rep.counted and t >= rep.end)
        return full, partial

    def _pose(self, r: float, index: int):
        if self.body is None:
            return self.motion.pose(r, index + self.first_rep)
        return self.motion.pose(r, index + self.first_rep, self.body)

    def progress(self, t: float) -> tuple[int, float]:
        """(index of the current or last repetition, share of the range reached) at time t."""
        last = 0
        for index, rep in enumerate(self.reps):
            if t < rep.end:
                if t <= rep.start:
                    break
                return index, rep.fraction(t)
            last = index
        return last, 0.0

    def pose(self, t: float):
        """Body pose at time t (the rest pose outside the repetitions)."""
        for index, rep in enumerate(self.reps):
            if t < rep.end:
                if t <= rep.start:
                    break
                return self._pose(rep.fraction(t), index)
        return self._pose(0.0, 0) if self.first_rep or self.body else self.motion.rest_pose()

    def joints(self, t: float) -> dict:
        return joint_positions(self.pose(t), self.body)


def plan_set(motion: ExerciseMotion, start: float,
             reps: Sequence[tuple], body: Body | None = None, first_rep: int = 0) -> SetPlan:
    """A set starting at `start`: one (duration s, amplitude 0..1, pause after s) per rep,
    optionally followed by (rise, hold) shares of the duration (default 0.4, 0.2)."""
    planned = []
    t = float(start)
    for index, spec in enumerate(reps):
        duration, amplitude, pause = spec[:3]
        rise, hold = spec[3:5] if len(spec) >= 5 else (0.4, 0.2)
        if duration <= 0.0 or pause < 0.0 or not 0.0 < amplitude <= 1.0:
            raise ValueError(f'bad repetition (duration {duration}, amplitude {amplitude}, '
                             f'pause {pause}): need duration > 0, 0 < amplitude <= 1, pause >= 0')
        if not (0.0 < rise and 0.0 <= hold and rise + hold < 1.0):
            raise ValueError(f'bad repetition shares (rise {rise}, hold {hold})')
        planned.append(RepPlan(start=t, end=t + duration, amplitude=amplitude,
                               counted=amplitude >= motion.counted_fraction, rise=rise,
                               hold=hold, side=motion.side(index + first_rep)))
        t += duration + pause
    return SetPlan(motion=motion, reps=tuple(planned), body=body, first_rep=first_rep)


def blend_joints(a: dict, b: dict, weight: float) -> dict:
    """Joint positions part-way (0 a .. 1 b, smoothed) between two sets of joint positions."""
    w = _smoothstep(weight)
    return {name: a[name] + w * (b[name] - a[name]) for name in JOINT_NAMES}


# Time to get into (and out of) an exercise's rest pose when it differs from plain
# sitting or standing, e.g. the upper arms out to the side for elbow flexion.
SETUP_DURATION = 1.0


@dataclass
class _Transition:
    start: float
    end: float
    to_posture: str      # SITTING, STANDING, LYING or LYING_ON_FLOOR


def posture_joints(posture: str) -> dict:
    """Joint positions of the patient at rest in a posture."""
    if posture == SITTING:
        return joint_positions(SITTING_POSE)
    if posture == STANDING:
        return joint_positions(STANDING_POSE)
    if posture == LYING:
        return lying_joint_positions(LYING_IN_BED_POSE)
    if posture == LYING_ON_FLOOR:
        return lying_joint_positions(LYING_ON_FLOOR_POSE)
    raise ValueError(f'unknown posture {posture!r}')


class VirtualPatient:
    """A persona who listens to the robot: `hear` each utterance, `state(t)` to read.

    The patient starts sitting on the bed edge (or lying in bed: `starts_lying`). She sits
    up when asked to (lying), stands up when asked to (sitting), sits or lies down when an
    exercise needs it. An exercise's introduction ("... fem ganger") tells her what to do
    and how many times; "set two of three" that another set follows; she begins once the
    robot has stopped talking, and for an exercise done in the other posture she first
    stands up or sits down. Lying (in bed or on the floor) she does no exercise except the
    lying ones, for which she lies down in bed first. She hears the robot's counts and stops
    at its target. Time `t` is the simulation time in seconds and must not go backwards.

    What the robot says reaches her only through `hear`: she never sees its state.
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
        self._transitions: list[_Transition] = []
        self._set: PersonSet | None = None
        self._setup = (0.0, 0.0)    # (start of getting into position, end of getting out)
        self._initial_posture = LYING if persona.starts_lying else SITTING
        self._lie_downs_left = persona.lies_down_again
        self._last_t = 0.0
        self._reported: set[tuple[float, float]] = set()   # repetitions already told
        # what she understood: the exercise and repetitions asked for, the robot's count
        self._exercise = ''
        self._target = 0
        self._heard_count = 0
        self._set_open = False        # a set she is doing or about to do (not told it ended)
        self._waiting = False         # she knows the set, and begins when the robot is quiet
        self._held = False            # told to wait in the middle of a set
        self._began_during: str | None = None   # the words she began a set during
        self._began_early = False     # this set: begun before the robot had explained it

    # ---- listening ------------------------------------------------------------------------

    def hear(self, t: float, text: str, language: str, finished: bool) -> list[Heard]:
        """The robot began (`finished` False) or finished saying `text`; returns what she
        understood. Time must not go backwards."""
        self._check_time(t)
        if not isinstance(text, str) or not isinstance(language, str):
            raise TypeError('text and language must be strings')
        heard = understand(text, language)
        if not self.persona.responds or self._planned_posture() == LYING_ON_FLOOR:
            return heard
        if not finished:
            if self._set is not None and self._set_open and t < self._setup[0] \
                    and any(item.kind in INSTRUCTIONS for item in heard):
                self._set, self._waiting = None, True   # not begun: she listens on first
            for item in heard:
                if item.kind == 'intro' and self.persona.early_start is not None:
                    self._learn_intro(item)
                    self._begin_set(t + self._jitter(self.persona.early_start))
                    self._began_during, self._began_early = text, True
            return heard
        began_during_it, self._began_during = self._began_during == text, None
        for item in heard:
            if not (began_during_it and item.kind in ('intro', 'set_of')):
                self._react(t, item)   # what she already began on changes nothing
        if self._waiting:   # the robot has stopped talking: she begins
            self._begin_set(t + self._jitter(self.persona.reaction_delay))
        return heard

    def _react(self, t: float, item: Heard) -> None:
        persona, posture = self.persona, self._planned_posture()
        reaction = self._jitter(persona.reaction_delay)
        kind = item.kind
        if kind in PROMPTS and self._rng.random() < persona.ignore_chance:
            return   # did not react this time: the robot must ask again
        if kind == 'sit_up' and posture == LYING and t >= self._busy_until():
            end = self._move_to(t + reaction, SITTING)
            if self._lie_downs_left > 0:
                self._lie_downs_left -= 1
                self._move_to(end + persona.lie_down_delay, LYING)
        elif kind == 'stand_up' and posture == SITTING and t >= self._busy_until():
            end = self._move_to(t + reaction, STANDING)
            if persona.falls_after is not None:
                self._move_to(end + persona.falls_after, LYING_ON_FLOOR, FALL_DURATION)
            elif self._set_open and not self._waiting:
                self._continue_set(end)    # she had sat down in the middle of a set
        elif kind == 'sit_down' and posture == STANDING and t >= self._busy_until():
            self._move_to(t + reaction, SITTING)
        elif kind == 'lie_down' and posture == SITTING and t >= self._busy_until():
            self._move_to(t + reaction, LYING, self.persona.stand_duration)
        elif kind == 'intro':
            self._began_early = False
            self._learn_intro(item)
            if self._rng.random() < persona.misunderstand_chance:
                # not sure what to do: waits until the robot asks her to carry on
                self._set, self._waiting = None, False
        elif kind == 'set_of' and self._exercise and item.number >= 1 and not self._early():
            self._heard_count = 0
            self._set_open, self._waiting = True, True
        elif kind == 'count':
            self._heard_count = item.number
            if self._target and item.number >= self._target:
                self._stop_after(t)
        elif kind == 'keep_going' and self._set_open:
            self._carry_on(t + reaction)
        elif kind == 'paused' and self._set_open and self._set is not None:
            self._held = True             # she finishes the repetition under way, then waits
            self._stop_after(t)
        elif kind == 'resumed' and self._held:
            self._held = False
            self._carry_on(t + reaction)
        elif kind in ('set_done', 'rest'):
            self._set_open, self._waiting = False, False
            self._stop_after(t)
        elif kind == 'higher' and self._set is not None:
            self._set = self._set.with_full_range_after(t)

    def _early(self) -> bool:
        """She began this set during its introduction: "set one of n" after it changes nothing."""
        return self._began_early and self._set_open

    def _learn_intro(self, item: Heard) -> None:
        if not item.exercise or not item.times:
            return
        self._exercise, self._target = item.exercise, item.times
        self._heard_count = 0
        self._set_open, self._waiting = True, True

    # ---- doing a set ------------------------------------------------------------------------

    def _motion(self) -> ExerciseMotion | None:
        """The motion for what she understood, in the posture she is or will be in."""
        name = self._exercise
        if name == 'arm_raise' and self._planned_posture() == SITTING:
            name = 'seated_arm_raise'
        return EXERCISES.get(name)

    def perform(self, t: float, motion: str, repetitions: int) -> bool:
        """Do `repetitions` of one of the simulator's motions (EXERCISES) from t, as if told
        to: for tests and benchmarks that script her without a robot. False when she cannot
        (she does not respond, lies on the floor, or lies in bed for an upright motion)."""
        self._check_time(t)
        if motion not in EXERCISES:
            raise ValueError(f'unknown motion {motion!r}; known: {sorted(EXERCISES)}')
        if isinstance(repetitions, bool) or not isinstance(repetitions, int) or repetitions < 1:
            raise ValueError(f'repetitions must be a positive int, got {repetitions!r}')
        if not self.persona.responds or self._planned_posture() == LYING_ON_FLOOR:
            return False
        self._exercise, self._target, self._heard_count = motion, repetitions, 0
        self._set_open = True
        return self._begin_set(t + self._jitter(self.persona.reaction_delay), EXERCISES[motion])

    def _begin_set(self, start: float, motion: ExerciseMotion | None = None) -> bool:
        """Plan the set she understood, beginning at `start` (after any posture change)."""
        self._waiting = False
        motion = motion or self._motion()
        if motion is not None and self._planned_posture() == LYING and motion.posture != LYING:
            motion = None    # asked to sit up first
        if motion is None:
            self._set_open = False
            return False
        start = max(start, self._busy_until())
        if motion.posture == LYING and self._planned_posture() == STANDING:
            start = self._move_to(start, SITTING)     # sits down, then lies down
        if motion.posture != self._planned_posture():
            start = self._move_to(start, motion.posture)
        setup_start = start
        needs_setup = joint_positions(motion.rest_pose()) != posture_joints(motion.posture)
        if needs_setup:
            start += SETUP_DURATION
        reps = max(0, round(self._target * self.persona.reps_done_fraction))
        self._set = self._person_set(motion, start, reps)
        self._setup = (setup_start, self._set.end + (SETUP_DURATION if needs_setup else 0.0))
        return True

    def _continue_set(self, start: float) -> None:
        """After sitting down midway, the rest of the set the robot's count still lacks."""
        motion = self._motion()
        if motion is None or self._set is None:
            return
        more = max(0, self._target - self._heard_count)
        if more:
            self._extend(start + self._jitter(self.persona.reaction_delay), more)

    def _carry_on(self, start: float) -> None:
        """Asked to carry on: she does what the robot's count lacks (at most three more)."""
        if self._set is None and self._exercise:
            self._begin_set(start)       # she had waited, not understanding the introduction
            return
        if not self.persona.carries_on or self._set is None or start < self._set.end:
            return
        more = min(3, self._target - self._heard_count)
        if more > 0:
            self._extend(start, more)

    def _extend(self, start: float, more: int) -> None:
        """`more` repetitions after those planned, from `start`; no more sitting down."""
        plan = self._set.plan
        first = plan.first_rep + len(plan.reps)
        extra = plan_set(plan.motion, max(start, plan.end), self._spec(plan.motion, first, more),
                         first_rep=first)
        self._set = replace(self._set, plan=replace(plan, reps=plan.reps + extra.reps))
        self._setup = (self._setup[0], self._set.end)

    def _stop_after(self, t: float) -> None:
        """She stops: no repetition begins after t."""
        if self._set is not None:
            self._set = self._set.cut_after(t)
            self._setup = (self._setup[0], max(t, self._set.end))

    def _spec(self, motion: ExerciseMotion, first: int, reps: int) -> list:
        """(duration, amplitude, pause) of her repetitions number first.. of a set."""
        persona, rng = self.persona, self._rng
        duration = motion.rep_duration * persona.rep_duration / PERSONAS['cooperative'].rep_duration
        last = round(self._target * persona.reps_done_fraction)
        spec = []
        for index in range(first, first + reps):
            tired = persona.partial_last_reps and index >= last - persona.partial_last_reps
            if tired:
                amplitude = persona.fatigue_amplitude
            elif 1 <= index <= persona.near_threshold_reps:
                amplitude = persona.near_threshold_amplitude
            else:
                amplitude = persona.peak_scale - rng.uniform(0.0, persona.range_spread)
            pause = self._jitter(persona.rep_pause)
            if index + 1 == persona.rest_after:
                pause += persona.rest_duration
            spec.append((self._jitter(duration * (persona.fatigue_slowdown if tired else 1.0)),
                         amplitude, pause))
        return spec

    def _person_set(self, motion: ExerciseMotion, start: float, reps: int) -> PersonSet:
        """Her set as she does it: her range and tempo, a weaker side, sway; if she sits
        down midway (standing exercises), the repetitions before it, then the sitting down."""
        persona, rng = self.persona, self._rng
        plan = plan_set(motion, start, self._spec(motion, 0, reps))
        sits_after = persona.sits_down_after if motion.posture == STANDING else 0
        if 0 < sits_after < reps:
            plan = replace(plan, reps=plan.reps[:sits_after])
            self._move_to(plan.end + 0.5, SITTING)
        return PersonSet(
            exercise=self._exercise, plan=plan, target=self._target,
            weak_side=rng.choice(SIDES), side_deficit=rng.uniform(0.0, persona.side_deficit),
            lag=rng.uniform(0.0, persona.side_lag) if motion.two_sided else 0.0,
            sway=((math.radians(persona.sway) * rng.uniform(0.5, 1.0), rng.uniform(3.0, 8.0),
                   rng.uniform(0, 6.3)), (0.0, 5.0, 0.0)),
            fidgets=(), lead_in=0.0)

    # ---- the body ---------------------------------------------------------------------------

    def _jitter(self, duration: float) -> float:
        j = self.persona.timing_jitter
        return duration * (1.0 + self._rng.uniform(-j, j))

    def _check_time(self, t: float) -> None:
        if not isinstance(t, (int, float)) or not math.isfinite(t):
            raise ValueError(f'time must be a finite number, got {t!r}')
        if t < self._last_t:
            raise ValueError(f'time went backwards: {t} < {self._last_t}')
        self._last_t = t

    def _planned_posture(self) -> str:
        return self._transitions[-1].to_posture if self._transitions else self._initial_posture

    def _busy_until(self) -> float:
        ends = [tr.end for tr in self._transitions]
        if self._set is not None:
            ends.append(self._setup[1])
        return max(ends, default=0.0)

    def _move_to(self, start: float, posture: str, duration: float | None = None) -> float:
        """Change posture from `start`; returns when the motion ends."""
        end = start + self._jitter(self.persona.stand_duration if duration is None else duration)
        self._transitions.append(_Transition(start, end, posture))
        return end

    def _base(self, t: float) -> tuple[dict, str]:
        """Joint positions and posture from the posture timeline (the posture changes when a
        motion ends)."""
        posture = self._initial_posture
        for tr in self._transitions:
            if t <= tr.start:
                break
            if t < tr.end:
                fraction = (t - tr.start) / (tr.end - tr.start)
                if {posture, tr.to_posture} == {SITTING, STANDING}:
                    if tr.to_posture == SITTING:
                        fraction = 1.0 - fraction
                    return joint_positions(sit_to_stand_pose(fraction)), posture
                # sitting up, lying back down, falling: a smooth blend of the joints
                return blend_joints(posture_joints(posture), posture_joints(tr.to_posture),
                                    fraction), posture
            posture = tr.to_posture
        return posture_joints(posture), posture

    def state(self, t: float) -> PatientState:
        """Pose and ground truth at time t."""
        self._check_time(t)
        joints, posture = self._base(t)
        full = partial = 0
        name = ''
        if self._set is not None:
            plan = self._set.plan
            name = plan.motion.name
            full, partial = plan.completed(t)
            setup_start, setup_end = self._setup
            first_rep = plan.reps[0].start if plan.reps else plan.end
            if setup_start < t < setup_end and posture == plan.motion.posture:
                exercise_joints = self._set.joints(t)
                if t < first_rep:      # getting into the exercise's rest pose
                    weight = (t - setup_start) / max(first_rep - setup_start, 1e-9)
                    joints = blend_joints(joints, exercise_joints, weight)
                elif t > plan.end:   # and back out of it
                    weight = (t - plan.end) / max(setup_end - plan.end, 1e-9)
                    joints = blend_joints(exercise_joints, joints, weight)
                else:
                    joints = exercise_joints
                pose = plan.pose(t)
                standing_tall = getattr(pose, 'hip_z', 0.0) >= STANDING_POSE.hip_z - 0.01
                if plan.motion.name == 'sit_to_stand' and standing_tall:
                    posture = STANDING
        arms_up = wrist_above_shoulder(joints['shoulder_abd_left'], joints['elbow_left'],
                                       joints['shoulder_rot_left'])
        return PatientState(joints=joints, posture=posture, repetitions=full, exercise=name,
                            arms_up=arms_up, partial_repetitions=partial)

    def finished_repetitions(self, t: float) -> list[RepPlan]:
        """The repetitions (full or short of the range) she finished since the last call."""
        if self._set is None:
            return []
        done = [rep for rep in self._set.plan.reps
                if rep.end <= t and (rep.start, rep.end) not in self._reported]
        self._reported.update((rep.start, rep.end) for rep in done)
        return done


# What asks her to move: a distracted person may not react to it the first time.
PROMPTS = ('sit_up', 'stand_up', 'sit_down', 'lie_down', 'keep_going')
# What tells her more about the set she is about to begin: she listens before she starts.
INSTRUCTIONS = ('intro', 'set_of', 'sit_up', 'stand_up', 'sit_down', 'lie_down')


# --- sets as people do them ---------------------------------------------------------------

# Small motions between repetitions (joint, largest excursion rad): shifting, scratching,
# adjusting; never near a repetition's range.
FIDGET_JOINTS = (
    ('trunk_lean', math.radians(5.0)),
    ('shoulder_abd_left', math.radians(10.0)), ('shoulder_abd_right', math.radians(10.0)),
    ('elbow_left', math.radians(20.0)), ('elbow_right', math.radians(20.0)),
    ('shoulder_flex_left', math.radians(12.0)), ('shoulder_flex_right', math.radians(12.0)),
)
LYING_FIDGET_JOINTS = (
    ('shoulder_abd_left', math.radians(8.0)), ('shoulder_abd_right', math.radians(8.0)),
    ('elbow_left', math.radians(20.0)), ('elbow_right', math.radians(20.0)),
    ('knee_left', math.radians(8.0)), ('knee_right', math.radians(8.0)),
)


@dataclass(frozen=True)
class Fidget:
    start: float
    duration: float
    joint: str
    amplitude: float     # rad, signed


@dataclass(frozen=True)
class PersonSet:
    """A set of one exercise as one person does it: the plan (truth), her body, side
    differences, sway and fidgets. `joints(t)` gives the MuJoCo joint positions.

    For both-sided motions the rep amplitude (the truth) is the mean reach of both sides:
    the weaker side reaches `amplitude - delta`, the other `amplitude + delta`, and the
    weaker side lags by `lag` seconds. For alternating motions the weaker side's
    repetitions were drawn lower already (their amplitude is what they reach).
    """

    exercise: str          # the coach's exercise
    plan: SetPlan
    target: int            # repetitions asked for
    weak_side: str
    side_deficit: float    # share of the range the weaker side reaches less
    lag: float             # s
    sway: tuple            # (amplitude rad, period s, phase) of trunk lean, and of body twist
    fidgets: tuple[Fidget, ...]
    lead_in: float         # s before the first repetition starts

    @property
    def motion(self) -> ExerciseMotion:
        return self.plan.motion

    @property
    def body(self) -> Body:
        return self.plan.body or DEFAULT_BODY

    @property
    def end(self) -> float:
        return self.plan.end

    def near_threshold(self, width: float = 0.05) -> int:
        """Repetitions whose amplitude lies within +-width of the counted fraction."""
        c = self.motion.counted_fraction
        return sum(1 for rep in self.plan.reps if abs(rep.amplitude - c) <= width)

    def _side_pose(self, t: float, side: str):
        plan = self.plan
        if self.motion.two_sided and side == self.weak_side:
            t -= self.lag
        index, r = plan.progress(t)
        if self.motion.two_sided and r > 0.0:
            rep = plan.reps[index]
            delta = min(rep.amplitude * self.side_deficit / 2.0, 1.0 - rep.amplitude)
            scale = (rep.amplitude + (-delta if side == self.weak_side else delta)) / rep.amplitude
            r *= scale
        return plan._pose(r, index)

    def joints(self, t: float) -> dict:
        body = self.plan.body
        if self.motion.two_sided:
            left = joint_positions(self._side_pose(t, 'left'), body)
            right = joint_positions(self._side_pose(t, 'right'), body)
            joints = {name: (right[name] if name.endswith('_right') else left[name])
                      for name in JOINT_NAMES}
        else:
            joints = joint_positions(self.plan.pose(t), body)
        (lean_amp, lean_period, lean_phase), (twist_amp, twist_period, twist_phase) = self.sway
        if self.motion.posture != LYING:
            joints['trunk_lean'] += lean_amp * math.sin(2 * math.pi * t / lean_period + lean_phase)
        joints['body_twist'] += twist_amp * math.sin(2 * math.pi * t / twist_period + twist_phase)
        for f in self.fidgets:
            if f.start < t < f.start + f.duration:
                joints[f.joint] += f.amplitude * math.sin(math.pi * (t - f.start) / f.duration) ** 2
        for name, value in joints.items():
            limits = _limits_of(name)
            if limits:
                joints[name] = min(limits[1], max(limits[0], value))
        return joints

    def cut_after(self, t: float) -> 'PersonSet':
        """The set with no repetition beginning after t (she stops)."""
        return replace(self, plan=replace(self.plan, reps=tuple(
            rep for rep in self.plan.reps if rep.start <= t)))

    def with_full_range_after(self, t: float, amplitude: float = 0.95) -> 'PersonSet':
        """Told to go further: the repetitions not begun by t reach at least `amplitude`."""
        c = self.motion.counted_fraction
        return replace(self, plan=replace(self.plan, reps=tuple(
            rep if rep.start <= t or rep.amplitude >= amplitude
            else replace(rep, amplitude=amplitude, counted=amplitude >= c)
            for rep in self.plan.reps)))

    def truth(self) -> dict:
        """The set's truth for records: reps with times, amplitudes, sides."""
        return {
            'exercise': self.exercise, 'motion': self.motion.name, 'target': self.target,
            'counted': len(self.plan.counted_ends()), 'partial': len(self.plan.partial_ends()),
            'near_threshold': self.near_threshold(), 'lead_in': round(self.lead_in, 2),
            'weak_side': self.weak_side, 'side_deficit': round(self.side_deficit, 3),
            'lag': round(self.lag, 3), 'fidgets': len(self.fidgets),
            'body': {k: round(v, 3) for k, v in vars(self.body).items()},
            'reps': [{'start': round(r.start, 3), 'end': round(r.end, 3),
                      'amplitude': round(r.amplitude, 3), 'counted': r.counted,
                      'side': r.side} for r in self.plan.reps],
        }


def _limits_of(joint: str):
    best = None
    for prefix, limits in JOINT_LIMITS.items():
        if joint == prefix or joint.startswith(prefix + '_'):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, limits)
    return best[1] if best else None


def _amplitude(rng: random.Random) -> float:
    """A repetition's range as people reach it: mostly 0.6-1.0, some low ones."""
    u = rng.random()
    if u < 0.12:
        return rng.uniform(0.2, 0.6)
    if u < 0.30:
        return rng.uniform(0.6, 0.8)      # around the threshold
    return min(1.0, rng.uniform(0.8, 1.05))


def person_set(exercise: str, rng: random.Random, target: int | None = None,
               motion: str | None = None, body: Body | None = None,
               lead_in: float | None = None) -> PersonSet:
    """A seeded set of the coach's `exercise` as a person does it.

    Draws (unless given): the motion variant, the body, the target (3-8) and how many she
    does (a quarter stop 1-2 short), each repetition's range (continuous, `_amplitude`),
    a weaker side (reaching 0-12 % less, lagging up to 0.3 s on both-sided motions),
    tempo (0.7-1.4 of typical) with +-15 % per repetition, holds at the top (0-1.2 s),
    pauses (0.2-2.5 s), slow sway, fidgets in the pauses, and the lead-in before the first
    repetition: usually 1.5-3 s, but a fifth start early (0.9-1.5 s) and some hold still
    for less than a second (0.3-0.9 s).
    """
    motion_name = motion or rng.choice(variants(exercise))
    m = EXERCISES[motion_name]
    body = body or random_body(rng)
    target = target or rng.randint(3, 8)
    done = target - (rng.randint(1, 2) if rng.random() < 0.25 and target > 3 else 0)
    weak_side = rng.choice(SIDES)
    deficit = rng.uniform(0.0, 0.12)
    lag = rng.uniform(0.0, 0.3) if m.two_sided else 0.0
    tempo = rng.uniform(0.7, 1.4)
    if lead_in is None:
        u = rng.random()
        lead_in = (rng.uniform(0.3, 0.9) if u < 0.1 else rng.uniform(0.9, 1.5) if u < 0.3
                   else rng.uniform(1.5, 3.0))
    first_rep = rng.randint(0, 1) if m.alternating else 0
    spec = []
    for index in range(done):
        amplitude = _amplitude(rng)
        if m.alternating and m.side(index + first_rep) == weak_side:
            amplitude *= 1.0 - deficit
        amplitude = min(1.0, max(0.15, amplitude))
        move = m.rep_duration * 0.8 * tempo * rng.uniform(0.85, 1.15)   # up and down
        hold = rng.choice((0.0, rng.uniform(0.1, 0.5), rng.uniform(0.5, 1.2)))
        duration = move + hold
        rise = 0.5 * move / duration * rng.uniform(0.8, 1.2)
        rise = min(rise, 0.9 - hold / duration)
        spec.append((duration, amplitude, rng.uniform(0.2, 2.5), rise, hold / duration))
    plan = plan_set(m, lead_in, spec, body=body, first_rep=first_rep)
    sway = ((rng.uniform(0.0, math.radians(3.0)), rng.uniform(3.0, 8.0), rng.uniform(0, 6.3)),
            (rng.uniform(0.0, math.radians(4.0)), rng.uniform(4.0, 10.0), rng.uniform(0, 6.3)))
    # fidgets: in the lead-in and in pauses, never during a repetition
    gaps = [(0.0, lead_in)] + [(a.end, b.start) for a, b in zip(plan.reps, plan.reps[1:])]
    gaps.append((plan.end, plan.end + 1.5))
    fidget_joints = LYING_FIDGET_JOINTS if m.posture == LYING else FIDGET_JOINTS
    fidgets = []
    for start, end in gaps:
        if end - start > 0.8 and rng.random() < 0.35:
            duration = rng.uniform(0.5, min(1.5, end - start - 0.2))
            joint, most = rng.choice(fidget_joints)
            sign = 1.0 if joint.startswith(('elbow', 'shoulder_abd', 'knee')) \
                else rng.choice((-1.0, 1.0))
            fidgets.append(Fidget(start + rng.uniform(0.0, end - start - duration - 0.1),
                                  duration, joint, sign * rng.uniform(0.3, 1.0) * most))
    return PersonSet(exercise=exercise, plan=plan, target=target, weak_side=weak_side,
                     side_deficit=deficit, lag=lag, sway=sway, fidgets=tuple(fidgets),
                     lead_in=lead_in)
