"""Exercise definitions as data, loaded from YAML, and the signal each one follows.

No ROS imports. An exercise names a body signal, per body side:
- `angle`: the 3D angle at the middle of three landmarks (a joint angle, or the angle
  between two body segments), from BlazePose's metric world landmarks: the same from the
  front, from the side and at any distance;
- `height`: how far one landmark is beyond another along the body's own axis (e.g. hips ->
  shoulders), in lengths of a body segment, also from the world landmarks;
- `image_height`: how high a group of landmarks is in the camera image, above the image's
  bottom edge (a small rise of the whole body: heel raises, where the 3D estimate of the
  feet is too coarse), or above other landmarks (the head above the ankles: squats and
  chair stands, where BlazePose's depth hides a knee bending towards the camera). It
  depends on where the person stands and how far away, so only the change from her own
  rest level counts: as a difference above the bottom edge, as a ratio above landmarks
  (rest 1.0, goal 0.9: ten per cent lower).
The exercise's typical rest and goal (in the signal's unit) set which way a repetition goes
and how far; a programme may prescribe another goal for one patient. `ExerciseTracker`
(counting.py) turns frames into counted repetitions. See config/exercises.yaml.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import yaml

from .geometry import height_along, image_height, joint_angle
from .phrases import LANGUAGES
from .rep_counter import CounterEvent, CounterSettings, Partial, Rep, TooFast

# BlazePose landmark order (same indices as berntsen_interfaces/msg/Skeleton2D).
LANDMARK_NAMES = (
    'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye',
    'right_eye_outer', 'left_ear', 'right_ear', 'mouth_left', 'mouth_right',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist',
    'right_wrist', 'left_pinky', 'right_pinky', 'left_index', 'right_index', 'left_thumb',
    'right_thumb', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle',
    'right_ankle', 'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index',
)
LANDMARK_INDEX = {name: i for i, name in enumerate(LANDMARK_NAMES)}
NUM_LANDMARKS = len(LANDMARK_NAMES)

SIGNAL_KINDS = ('angle', 'height', 'image_height')
UNITS = {'angle': 'degrees', 'height': 'segment lengths', 'image_height': 'image heights'}
COMBINE_MODES = ('mean', 'max', 'min')
READY_POSTURES = ('any', 'sitting', 'standing', 'lying')
CUE_KINDS = ('below_goal', 'partial', 'too_fast')
_SIGNAL_RANGE = {'angle': (0.0, 180.0), 'height': (-5.0, 5.0), 'image_height': (-1.0, 3.0)}
# a counted repetition whose peak stays below this share of the goal earns `below_goal`
# (a learnt goal is her full range, and her usual repetition reaches 0.9 of it)
BELOW_GOAL_SHARE = 0.8
# a prescribed goal must be at least this share of the typical range away from the rest
MIN_PRESCRIBED_SHARE = 0.25


class ExerciseFileError(ValueError):
    """An exercise file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class BodyFrame:
    """One body in one frame, as the pose node publishes it.

    `image`: (33, 4) normalised image landmarks (x, y, z, visibility); `world`: (33, 4)
    metric world landmarks (x, y, z in metres around the hips, visibility), or None when a
    source has none (then only image signals can be measured).
    """

    image: np.ndarray
    world: np.ndarray | None
    image_width: float
    image_height: float

    @classmethod
    def from_arrays(cls, image, world, image_width: float, image_height: float) -> BodyFrame:
        """Validated frame; ValueError for a wrong shape or image size."""
        image = np.asarray(image, dtype=float)
        if image.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f'expected image landmarks of shape ({NUM_LANDMARKS}, 4), got {image.shape}')
        if world is not None:
            world = np.asarray(world, dtype=float)
            if world.shape != (NUM_LANDMARKS, 4):
                raise ValueError(f'expected world landmarks of shape ({NUM_LANDMARKS}, 4), got {world.shape}')
        if not (math.isfinite(image_width) and math.isfinite(image_height)
                and image_width > 0 and image_height > 0):
            raise ValueError(f'image size must be positive, got {image_width}x{image_height}')
        return cls(image, world, float(image_width), float(image_height))


@dataclass(frozen=True)
class AngleSide:
    """One body side's angle at landmarks[1] between the segments to [0] and [2]."""

    name: str
    landmarks: tuple[int, int, int]


@dataclass(frozen=True)
class HeightSide:
    """`point` beyond `reference` along the axis, in `scale` segment lengths."""

    name: str
    point: int
    reference: int
    axis: tuple[int, int] | tuple[tuple[int, ...], tuple[int, ...]]
    scale: tuple[int, int]

    @property
    def landmarks(self) -> tuple[int, ...]:
        return (self.point, self.reference)


@dataclass(frozen=True)
class ImageHeightSide:
    """The mean image height of `points`, above the bottom edge or above `above`."""

    name: str
    points: tuple[int, ...]
    above: tuple[int, ...] = ()

    @property
    def landmarks(self) -> tuple[int, ...]:
        return self.points + self.above


Side = AngleSide | HeightSide | ImageHeightSide


@dataclass(frozen=True)
class FormCue:
    """Something to say about a repetition: `kind` in CUE_KINDS, text per language."""

    kind: str
    text: Mapping[str, str] = field(hash=False)

    def applies_to(self, event: CounterEvent) -> bool:
        if self.kind == 'partial':
            return isinstance(event, Partial)
        if self.kind == 'too_fast':
            return isinstance(event, TooFast)
        return isinstance(event, Rep) and event.progress < BELOW_GOAL_SHARE   # below_goal


@dataclass(frozen=True)
class Exercise:
    name: str
    description: str
    signal_name: str
    sides: tuple[Side, ...]
    rest: float                      # typical rest level, in the signal's unit
    goal: float                      # typical goal of a full repetition
    min_rep_duration: float = 0.8
    ready_duration: float = 0.5
    min_visibility: float = 0.5
    signal_kind: str = 'angle'
    combine: str = 'mean'            # how the sides seen combine when not per_side
    per_side: bool = False           # each side counts on its own; the set counts both
    count_at: float = 0.7            # share of the way to the goal that counts
    smoothing: float = 0.0           # s, exponential smoothing time constant
    max_gap: float = 1.0             # s without signal that keeps the counter's phase
    still_band: float = 0.12         # share of the range the ready position may wander
    ready_posture: str = 'any'       # posture the set starts from
    intro: Mapping[str, str] = field(default_factory=dict, hash=False)  # {times} allowed
    spoken: Mapping[str, str] = field(default_factory=dict, hash=False)  # for summaries
    cues: tuple[FormCue, ...] = ()

    def __post_init__(self):
        if not self.sides:
            raise ValueError(f'exercise {self.name!r}: needs at least one side')
        if self.signal_kind not in SIGNAL_KINDS:
            raise ValueError(f'exercise {self.name!r}: signal kind must be one of '
                             f'{SIGNAL_KINDS}, got {self.signal_kind!r}')
        for name, value, allowed in (('combine', self.combine, COMBINE_MODES),
                                     ('ready_posture', self.ready_posture, READY_POSTURES)):
            if value not in allowed:
                raise ValueError(f'exercise {self.name!r}: {name} must be one of {allowed}, '
                                 f'got {value!r}')
        if not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError(f'exercise {self.name!r}: min_visibility must be in 0..1')
        self.counter_settings()   # raises ValueError for an impossible range or timing

    @property
    def unit(self) -> str:
        return UNITS[self.signal_kind]

    def display_name(self, language: str) -> str:
        """What the robot calls the exercise to the patient, capitalised ("Armløft"), for
        the screen and the care team's report; the code name without a spoken one."""
        spoken = self.spoken.get(language)
        return spoken[:1].upper() + spoken[1:] if spoken else self.name.replace('_', ' ')

    @property
    def relative(self) -> bool:
        """Only the change from the person's rest level means something (image heights)."""
        return self.signal_kind == 'image_height'

    @property
    def ratio(self) -> bool:
        """A relative signal whose rest and goal are a ratio (heights above landmarks)."""
        return self.relative and any(side.above for side in self.sides)

    def counter_settings(self, goal: float | None = None) -> CounterSettings:
        """How the counter judges this exercise; `goal`: a prescribed goal, or None."""
        return CounterSettings(
            rest=self.rest, goal=self.goal if goal is None else goal, count_at=self.count_at,
            min_rep_duration=self.min_rep_duration, ready_duration=self.ready_duration,
            smoothing=self.smoothing, max_gap=self.max_gap, still_band=self.still_band,
            learn_goal=goal is None,
            relative=self.relative, ratio=self.ratio)

    def check_goal(self, goal: float) -> None:
        """ValueError unless `goal` is a goal a physiotherapist could prescribe here."""
        if self.relative:
            raise ValueError(f'{self.name} has no prescribable goal: its signal ({self.signal_name}) '
                             'is measured from where the person stands')
        low, high = _SIGNAL_RANGE[self.signal_kind]
        if not low <= goal <= high:
            raise ValueError(f'goal {goal:g} is outside {low:g}..{high:g} {self.unit}')
        typical = self.goal - self.rest
        if (goal - self.rest) / typical < MIN_PRESCRIBED_SHARE:
            towards = 'above' if typical > 0 else 'below'
            least = self.rest + MIN_PRESCRIBED_SHARE * typical
            raise ValueError(f'goal {goal:g} is too close to the rest position ({self.rest:g} '
                             f'{self.unit}): {self.signal_name} must go {towards} {least:g}')

    def cue_for(self, event: CounterEvent) -> FormCue | None:
        """The first form cue that applies to a counter event, or None."""
        return next((cue for cue in self.cues if cue.applies_to(event)), None)


HIDDEN_FOOT_VISIBILITY = 0.1


def feet_height(exercise: Exercise, side: ImageHeightSide, frame: BodyFrame) -> float | None:
    """Image height of the landmarks `side` is measured above (the feet): the mean of those
    seen at `min_visibility`, else the likeliest one at HIDDEN_FOOT_VISIBILITY (seen from
    the side, BlazePose gives the ankles visibility 0.1-0.7 where it places them within a
    few pixels); None when none is."""
    seen = [i for i in side.above if frame.image[i, 3] >= exercise.min_visibility]
    if not seen:
        best = max(side.above, key=lambda i: frame.image[i, 3])
        if not frame.image[best, 3] >= HIDDEN_FOOT_VISIBILITY:
            return None
        seen = [best]
    return image_height([frame.image[i] for i in seen])


def side_signals(exercise: Exercise, frame: BodyFrame,
                 feet: dict[str, float] | None = None) -> dict[str, float | None]:
    """The exercise's signal on each side in one frame (None where it cannot be judged).

    A side is judged when its landmarks are visible on average at `min_visibility` (3D
    signals: BlazePose estimates a landmark outside the image from the rest of the body, so
    a hip below the image edge does not stop a shoulder angle), or each of its points is
    and the landmarks they are measured above (image heights; see `feet_height`). `feet`:
    where a side's feet have been lately (ExerciseTracker), used instead of this frame's.
    """
    values: dict[str, float | None] = {}
    for side in exercise.sides:
        values[side.name] = None
        if isinstance(side, ImageHeightSide):
            points = frame.image[list(side.points), 3]
            if not points.min() >= exercise.min_visibility:   # NaN: not seen either
                continue
            height = image_height([frame.image[i] for i in side.points])
            if side.above:
                below = (feet or {}).get(side.name)
                if below is None:
                    below = feet_height(exercise, side, frame)
                if below is None:
                    continue
                height -= below
            values[side.name] = height
            continue
        visibility = frame.image[list(side.landmarks), 3]
        if not np.isfinite(visibility).all():
            continue
        try:
            if frame.world is None or visibility.mean() < exercise.min_visibility:
                continue
            world = frame.world[:, :3]
            if isinstance(side, AngleSide):
                values[side.name] = joint_angle(*(world[i] for i in side.landmarks))
            else:
                axis_from, axis_to = (world[list(ends)].mean(axis=0) for ends in side.axis)
                values[side.name] = height_along(world[side.point], world[side.reference],
                                                 axis_from, axis_to,
                                                 world[side.scale[0]], world[side.scale[1]])
        except ValueError:
            continue
    return values


def combine(exercise: Exercise, values: Mapping[str, float | None]) -> float | None:
    """The sides seen, combined as the exercise says (None when no side was seen)."""
    seen = [v for v in values.values() if v is not None]
    if not seen:
        return None
    if exercise.combine == 'max':
        return max(seen)
    if exercise.combine == 'min':
        return min(seen)
    return sum(seen) / len(seen)


def exercise_signal(exercise: Exercise, frame: BodyFrame) -> float | None:
    """The exercise's signal in one frame, combined over the sides seen well enough."""
    return combine(exercise, side_signals(exercise, frame))


# name: (low, high, required)
_NUMBER_FIELDS = {
    'min_rep_duration': (0.0, 10.0, True),
    'ready_duration': (0.0, 10.0, True),
    'min_visibility': (0.0, 1.0, True),
    'smoothing': (0.0, 2.0, False),
    'count_at': (0.4, 1.0, False),
    'max_gap': (0.0, 10.0, False),
    'still_band': (0.05, 0.9, False),
}
_KNOWN_FIELDS = {'description', 'signal', 'rest', 'goal', 'per_side', 'ready_posture',
                 'intro', 'spoken', 'cues', *_NUMBER_FIELDS}


def load_exercises(path: str | Path) -> dict[str, Exercise]:
    """Read and validate an exercise file; raises ExerciseFileError naming file and field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding='utf-8'))
    except OSError as exc:
        raise ExerciseFileError(f'{path}: cannot read: {exc.strerror or exc}') from exc
    except yaml.YAMLError as exc:
        raise ExerciseFileError(f'{path}: not valid YAML: {exc}') from exc
    return parse_exercises(data, source=str(path))


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def parse_exercises(data: object, source: str = '<exercises>') -> dict[str, Exercise]:
    """Validate already-parsed YAML data (see config/exercises.yaml for the layout)."""
    def fail(where: str, problem: str) -> ExerciseFileError:
        return ExerciseFileError(f'{source}: {where}: {problem}')

    if not isinstance(data, Mapping) or 'exercises' not in data:
        raise fail('top level', "expected a mapping with the key 'exercises'")
    entries = data['exercises']
    if not isinstance(entries, Mapping) or not entries:
        raise fail('exercises', 'expected a non-empty mapping of exercise name to definition')
    exercises = {}
    for name, entry in entries.items():
        where = f'exercises.{name}'
        if not isinstance(entry, Mapping):
            raise fail(where, 'expected a mapping')
        unknown = sorted(set(entry) - _KNOWN_FIELDS)
        if unknown:
            raise fail(f'{where}.{unknown[0]}',
                       f'unknown field (known: {", ".join(sorted(_KNOWN_FIELDS))})')
        signal = entry.get('signal')
        if not isinstance(signal, Mapping):
            raise fail(f'{where}.signal', 'missing or not a mapping with kind and sides')
        kind = signal.get('kind')
        if kind not in SIGNAL_KINDS:
            raise fail(f'{where}.signal.kind', f'{kind!r} is not one of {", ".join(SIGNAL_KINDS)}')
        numbers = {}
        for field_name, (low, high, required) in _NUMBER_FIELDS.items():
            if field_name not in entry:
                if required:
                    raise fail(f'{where}.{field_name}', 'missing')
                continue
            value = entry[field_name]
            if not _is_number(value):
                raise fail(f'{where}.{field_name}', f'expected a number, got {value!r}')
            if not low <= value <= high:
                raise fail(f'{where}.{field_name}', f'{value} is outside {low}..{high}')
            numbers[field_name] = float(value)
        low, high = _SIGNAL_RANGE[kind]
        for field_name in ('rest', 'goal'):
            value = entry.get(field_name)
            if not _is_number(value):
                raise fail(f'{where}.{field_name}', f'expected a number ({UNITS[kind]}), got {value!r}')
            if not low <= value <= high:
                raise fail(f'{where}.{field_name}', f'{value} is outside {low}..{high} {UNITS[kind]}')
            numbers[field_name] = float(value)
        if numbers['rest'] == numbers['goal']:
            raise fail(f'{where}.goal', 'must differ from rest')
        per_side = entry.get('per_side', False)
        if not isinstance(per_side, bool):
            raise fail(f'{where}.per_side', f'expected true or false, got {per_side!r}')
        ready_posture = entry.get('ready_posture', 'any')
        if ready_posture not in READY_POSTURES:
            raise fail(f'{where}.ready_posture',
                       f'{ready_posture!r} is not one of {", ".join(READY_POSTURES)}')
        sides, combine_mode = _parse_signal(signal, kind, f'{where}.signal', fail)
        if per_side and len(sides) < 2:
            raise fail(f'{where}.per_side', 'needs at least two sides')
        description = entry.get('description', '')
        if not isinstance(description, str):
            raise fail(f'{where}.description', 'expected text')
        texts = {key: _parse_texts(entry[key], f'{where}.{key}', fail)
                 for key in ('intro', 'spoken') if key in entry}
        cues = _parse_cues(entry.get('cues', {}), f'{where}.cues', fail)
        try:
            exercises[str(name)] = Exercise(
                name=str(name), description=description,
                signal_name=str(signal.get('name', kind.replace('_', ' '))), sides=sides,
                signal_kind=kind, combine=combine_mode, per_side=per_side,
                ready_posture=ready_posture, cues=cues, **texts, **numbers)
        except ValueError as exc:
            raise fail(where, str(exc)) from exc
    return exercises


def _landmark(name: object, where: str, fail) -> int:
    if name not in LANDMARK_INDEX:
        raise fail(where, f'unknown landmark {name!r}')
    return LANDMARK_INDEX[name]


def _landmark_list(spec: object, where: str, fail, count: int | None = None) -> tuple[int, ...]:
    if isinstance(spec, str):
        spec = [spec]
    if not isinstance(spec, Sequence) or not spec or (count is not None and len(spec) != count):
        wanted = f'{count} landmark names' if count else 'landmark names'
        raise fail(where, f'expected a list of {wanted}, got {spec!r}')
    indices = tuple(_landmark(name, where, fail) for name in spec)
    if len(set(indices)) != len(indices):
        raise fail(where, 'the landmarks must differ')
    return indices


def _parse_signal(signal: Mapping, kind: str, where: str, fail):
    known = {'kind', 'name', 'sides', 'combine'}
    unknown = sorted(set(signal) - known)
    if unknown:
        raise fail(f'{where}.{unknown[0]}', f'unknown field (known: {", ".join(sorted(known))})')
    combine_mode = signal.get('combine', 'mean')
    if combine_mode not in COMBINE_MODES:
        raise fail(f'{where}.combine', f'{combine_mode!r} is not one of {", ".join(COMBINE_MODES)}')
    sides_data = signal.get('sides')
    if not isinstance(sides_data, Mapping) or not sides_data:
        raise fail(f'{where}.sides', 'expected a mapping of side name to landmarks')
    sides: list[Side] = []
    for side_name, spec in sides_data.items():
        side_where = f'{where}.sides.{side_name}'
        if kind == 'image_height' and isinstance(spec, Mapping):
            if set(spec) != {'points', 'above'}:
                raise fail(side_where, 'expected a list of landmarks, or a mapping with points '
                                       'and above (landmark lists)')
            points = _landmark_list(spec['points'], f'{side_where}.points', fail)
            above = _landmark_list(spec['above'], f'{side_where}.above', fail)
            if set(points) & set(above):
                raise fail(side_where, 'points and above must differ')
            sides.append(ImageHeightSide(str(side_name), points, above))
        elif kind == 'image_height':
            sides.append(ImageHeightSide(str(side_name), _landmark_list(spec, side_where, fail)))
        elif kind == 'angle':
            sides.append(AngleSide(str(side_name), _landmark_list(spec, side_where, fail, 3)))
        else:
            if not isinstance(spec, Mapping) or set(spec) != {'point', 'reference', 'axis', 'scale'}:
                raise fail(side_where, 'expected a mapping with point, reference, axis '
                                       '([from, to]) and scale ([from, to])')
            point = _landmark(spec['point'], f'{side_where}.point', fail)
            reference = _landmark(spec['reference'], f'{side_where}.reference', fail)
            if point == reference:
                raise fail(side_where, 'point and reference must differ')
            axis = spec['axis']
            if not isinstance(axis, Sequence) or isinstance(axis, str) or len(axis) != 2:
                raise fail(f'{side_where}.axis', 'expected [from, to]: a landmark or a list of '
                                                 'landmarks (their mean) each')
            ends = tuple(_landmark_list(end, f'{side_where}.axis', fail) for end in axis)
            scale = _landmark_list(spec['scale'], f'{side_where}.scale', fail, 2)
            sides.append(HeightSide(str(side_name), point, reference, ends, scale))
    return tuple(sides), combine_mode


def _parse_texts(data: object, where: str, fail) -> dict[str, str]:
    if not isinstance(data, Mapping):
        raise fail(where, f'expected a mapping of language to text ({", ".join(LANGUAGES)})')
    missing = [lang for lang in LANGUAGES if lang not in data]
    if missing:
        raise fail(f'{where}.{missing[0]}', 'missing (every language needs a text)')
    for lang, text in data.items():
        if lang not in LANGUAGES:
            raise fail(f'{where}.{lang}', f'unknown language (known: {", ".join(LANGUAGES)})')
        if not isinstance(text, str) or not text.strip():
            raise fail(f'{where}.{lang}', 'expected non-empty text')
    return {lang: data[lang] for lang in LANGUAGES}


def _parse_cues(data: object, where: str, fail) -> tuple[FormCue, ...]:
    if not isinstance(data, Mapping):
        raise fail(where, f'expected a mapping of cue kind ({", ".join(CUE_KINDS)}) to text')
    cues = []
    for kind, spec in data.items():
        if kind not in CUE_KINDS:
            raise fail(f'{where}.{kind}', f'unknown cue kind (known: {", ".join(CUE_KINDS)})')
        cues.append(FormCue(kind, _parse_texts(spec, f'{where}.{kind}', fail)))
    return tuple(cues)
