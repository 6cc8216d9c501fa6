"""A moving stick figure for an exercise, drawn from its definition in exercises.yaml.

No ROS imports, no pictures of people. The figure starts in the exercise's ready posture;
its rest and goal poses are solved from the signal the coach counts, so a new exercise in
the library gets its demonstration without anyone drawing it:

- an `angle` signal at landmark b between the segments to a and c: the limb from b (c and
  what hangs from it) turns about b until the angle is the exercise's rest, then its goal.
  Seen from the front when the movement is sideways (the signal is an abduction, or a is
  the other side's landmark), else from the side; lying exercises from the side of the bed.
- an `image_height` signal (how high the head or shoulders are): from sitting to standing
  when the ready posture is sitting; standing, a lower goal bends the knees (a squat), a
  higher one lifts the heels. These small movements are shown at least DEMO_MIN_SHARE of
  the figure's height, so that a person sees them at all.

`demonstration(exercise)` returns JSON-able data: the view, the bones, the rest and goal
poses (joint -> [x, y], metres, y up, hips at 0) and which sides take turns. The page
moves the figure between the poses (both sides together, or one after the other).
"""
from __future__ import annotations

import math

from berntsen_coach.exercises import LANDMARK_NAMES, AngleSide, Exercise, ImageHeightSide

JOINTS = ('head', 'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
          'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee',
          'left_ankle', 'right_ankle', 'left_toe', 'right_toe')
BONES = (('head', 'left_shoulder'), ('head', 'right_shoulder'),
         ('left_shoulder', 'right_shoulder'), ('left_shoulder', 'left_elbow'),
         ('left_elbow', 'left_wrist'), ('right_shoulder', 'right_elbow'),
         ('right_elbow', 'right_wrist'), ('left_shoulder', 'left_hip'),
         ('right_shoulder', 'right_hip'), ('left_hip', 'right_hip'), ('left_hip', 'left_knee'),
         ('left_knee', 'left_ankle'), ('left_ankle', 'left_toe'), ('right_hip', 'right_knee'),
         ('right_knee', 'right_ankle'), ('right_ankle', 'right_toe'))
# what turns with a joint: the limb below it
CHILDREN = {'shoulder': ('elbow', 'wrist'), 'elbow': ('wrist',), 'hip': ('knee', 'ankle', 'toe'),
            'knee': ('ankle', 'toe'), 'ankle': ('toe',)}
# a joint that bends backwards (seen from the side, the figure faces +x)
BENDS_BACK = ('knee',)
DEMO_MIN_SHARE = 0.08
FIGURE_HEIGHT = 1.65          # m, head to toe standing
REP_SECONDS = 3.0             # one demonstrated repetition, there and back


def _posture_front(posture: str) -> dict[str, list[float]]:
    """Seen from the front as in a mirror: her left on the screen's left (x < 0)."""
    sitting = posture == 'sitting'
    pose = {'head': [0.0, 0.72], 'left_shoulder': [-0.19, 0.52], 'right_shoulder': [0.19, 0.52],
            'left_elbow': [-0.22, 0.24], 'right_elbow': [0.22, 0.24],
            'left_wrist': [-0.23, -0.02], 'right_wrist': [0.23, -0.02],
            'left_hip': [-0.1, 0.0], 'right_hip': [0.1, 0.0]}
    for sign, side in ((-1, 'left'), (1, 'right')):
        if sitting:   # thighs towards the viewer: the knees just below the hips
            pose.update({f'{side}_knee': [sign * 0.13, -0.08], f'{side}_ankle': [sign * 0.14, -0.5],
                         f'{side}_toe': [sign * 0.16, -0.53]})
        else:
            pose.update({f'{side}_knee': [sign * 0.11, -0.45], f'{side}_ankle': [sign * 0.12, -0.88],
                         f'{side}_toe': [sign * 0.15, -0.92]})
    return pose


def _posture_side(posture: str) -> dict[str, list[float]]:
    """Seen from her left side, facing +x (lying: on her back, head towards -x)."""
    if posture == 'lying':
        one = {'head': [-0.72, 0.04], 'shoulder': [-0.5, 0.0], 'elbow': [-0.24, -0.02],
               'wrist': [0.0, -0.02], 'hip': [0.0, 0.0], 'knee': [0.45, 0.0],
               'ankle': [0.88, 0.0], 'toe': [0.9, 0.1]}
    elif posture == 'sitting':
        one = {'head': [0.02, 0.72], 'shoulder': [0.0, 0.52], 'elbow': [0.02, 0.24],
               'wrist': [0.12, 0.05], 'hip': [0.0, 0.0], 'knee': [0.45, 0.0],
               'ankle': [0.45, -0.43], 'toe': [0.55, -0.45]}
    else:
        one = {'head': [0.02, 0.72], 'shoulder': [0.0, 0.52], 'elbow': [0.01, 0.24],
               'wrist': [0.02, -0.02], 'hip': [0.0, 0.0], 'knee': [0.0, -0.45],
               'ankle': [0.0, -0.88], 'toe': [0.1, -0.92]}
    pose = {'head': list(one['head'])}
    for side in ('left', 'right'):
        pose.update({f'{side}_{j}': list(p) for j, p in one.items() if j != 'head'})
    return pose


def _angle(a, b, c) -> float:
    u, v = (a[0] - b[0], a[1] - b[1]), (c[0] - b[0], c[1] - b[1])
    return math.degrees(math.atan2(abs(u[0] * v[1] - u[1] * v[0]), u[0] * v[0] + u[1] * v[1]))


def _rotate(p, centre, radians):
    dx, dy = p[0] - centre[0], p[1] - centre[1]
    c, s = math.cos(radians), math.sin(radians)
    return [centre[0] + c * dx - s * dy, centre[1] + s * dx + c * dy]


def _joint(landmark: int) -> tuple[str, str]:
    """BlazePose landmark index -> (side, joint) of the figure, e.g. ('left', 'hip')."""
    side, _, joint = LANDMARK_NAMES[landmark].partition('_')
    return side, {'index': 'wrist', 'pinky': 'wrist', 'thumb': 'wrist', 'heel': 'ankle',
                  'foot': 'toe', 'ear': 'head', 'eye': 'head'}.get(joint, joint)


def _set_angle(pose: dict, a: str, b: str, c: str, degrees: float, turn: int) -> None:
    """Turn c (and the limb below it) about b so that the angle a-b-c is `degrees`."""
    pa, pb, pc = pose[a], pose[b], pose[c]
    base = math.atan2(pa[1] - pb[1], pa[0] - pb[0])
    current = math.atan2(pc[1] - pb[1], pc[0] - pb[0])
    target = base + turn * math.radians(degrees)
    moving = [c] + _below(c)
    for name in moving:
        pose[name] = _rotate(pose[name], pb, target - current)


def _below(name: str) -> list[str]:
    side, joint = name.split('_', 1)
    return [f'{side}_{child}' for child in CHILDREN.get(joint, ())]


def _turn(pose: dict, a: str, b: str, c: str, view: str, lying: bool) -> int:
    """Which way the limb turns as the angle opens (+1 counter-clockwise): the way it already
    points when bent, else up from the bed when lying, forward (backward for a knee) or
    outward from the body."""
    pa, pb, pc = pose[a], pose[b], pose[c]
    cross = (pa[0] - pb[0]) * (pc[1] - pb[1]) - (pa[1] - pb[1]) * (pc[0] - pb[0])
    if abs(cross) > 1e-3 and _angle(pa, pb, pc) > 15:
        return 1 if cross > 0 else -1
    # straight: try both ways, keep the one that goes where this joint bends
    side, joint = b.split('_', 1)
    outward = -1.0 if side == 'left' else 1.0
    best, best_score = 1, -math.inf
    for turn in (1, -1):
        trial = {k: list(v) for k, v in pose.items()}
        _set_angle(trial, a, b, c, 90.0, turn)
        dx = trial[c][0] - pb[0]
        if lying:
            score = trial[c][1] - pb[1]
        elif view == 'front':
            score = outward * dx
        else:
            score = -dx if joint in BENDS_BACK else dx
        if score > best_score:
            best, best_score = turn, score
    return best


def _bend_knee_in_bed(pose: dict, side: str, degrees: float) -> None:
    """Lying, a knee bends by rising: the heel slides along the mattress towards the hip."""
    hip, knee, ankle = (pose[f'{side}_{j}'] for j in ('hip', 'knee', 'ankle'))
    thigh, shank = math.dist(hip, knee), math.dist(knee, ankle)
    reach = math.sqrt(thigh ** 2 + shank ** 2 - 2 * thigh * shank * math.cos(math.radians(degrees)))
    along = (thigh ** 2 - shank ** 2 + reach ** 2) / (2 * reach)
    new_ankle = [hip[0] + reach, ankle[1]]
    new_knee = [hip[0] + along, hip[1] + math.sqrt(max(thigh ** 2 - along ** 2, 0.0))]
    shift = [new_ankle[0] - ankle[0], new_ankle[1] - ankle[1]]
    pose[f'{side}_toe'] = [pose[f'{side}_toe'][0] + shift[0], pose[f'{side}_toe'][1] + shift[1]]
    pose[f'{side}_knee'], pose[f'{side}_ankle'] = new_knee, new_ankle


def _angle_demo(exercise: Exercise) -> dict:
    sides = [s for s in exercise.sides if isinstance(s, AngleSide)]
    names = [[_joint(i) for i in side.landmarks] for side in sides]
    sideways = 'abduction' in exercise.signal_name or any(
        a[0] != b[0] for a, b, _ in names)
    posture = exercise.ready_posture if exercise.ready_posture != 'any' else 'sitting'
    view = 'front' if sideways and posture != 'lying' else 'side'
    base = (_posture_front if view == 'front' else _posture_side)(posture)
    poses = {}
    for key, degrees in (('rest', exercise.rest), ('goal', exercise.goal)):
        pose = {k: list(v) for k, v in base.items()}
        for (a, b, c) in names:
            a_name, b_name, c_name = (f'{s}_{j}' if j != 'head' else 'head' for s, j in (a, b, c))
            if posture == 'lying' and b[1] == 'knee':
                _bend_knee_in_bed(pose, b[0], degrees)
                continue
            turn = _turn(base, a_name, b_name, c_name, view, posture == 'lying')
            _set_angle(pose, a_name, b_name, c_name, degrees, turn)
        poses[key] = pose
    return {'view': view, 'posture': posture, 'rest': poses['rest'], 'goal': poses['goal'],
            'sides': [side.name for side in sides]}


def _image_height_demo(exercise: Exercise) -> dict:
    posture = exercise.ready_posture if exercise.ready_posture != 'any' else 'standing'
    rising = exercise.goal > exercise.rest
    if posture == 'sitting' and rising:
        return {'view': 'side', 'posture': 'sitting', 'rest': _posture_side('sitting'),
                'goal': _posture_side('standing'), 'sides': ['both']}
    rest = _posture_side('standing')
    goal = {k: list(v) for k, v in rest.items()}
    relative = any(isinstance(s, ImageHeightSide) and s.above for s in exercise.sides)
    change = abs(exercise.goal - exercise.rest) / (abs(exercise.rest) if relative else 0.5)
    drop = max(change, DEMO_MIN_SHARE) * FIGURE_HEIGHT / 1.8
    if rising:   # heels up: everything but the toes rises
        for name in goal:
            if not name.endswith('toe'):
                goal[name][1] += drop
    else:        # knees bend forward, hips go back and down
        for side in ('left', 'right'):
            goal[f'{side}_knee'][0] += drop * 0.8
        for name in goal:
            if not name.endswith(('ankle', 'toe', 'knee')):
                goal[name][1] -= drop
                goal[name][0] -= drop * 0.3
    return {'view': 'side', 'posture': posture, 'rest': rest, 'goal': goal, 'sides': ['both']}


def demonstration(exercise: Exercise) -> dict | None:
    """The exercise's demonstration (see the module docstring); None for a signal kind
    the figure cannot show yet (`height`)."""
    if exercise.signal_kind == 'angle':
        demo = _angle_demo(exercise)
    elif exercise.signal_kind == 'image_height':
        demo = _image_height_demo(exercise)
    else:
        return None
    demo.update({'exercise': exercise.name, 'bones': [list(b) for b in BONES],
                 'alternate': exercise.per_side, 'seconds': REP_SECONDS})
    return demo
