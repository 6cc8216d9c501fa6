"""Exercise definitions as data, loaded from YAML, and the signal each one follows.

No ROS imports. An exercise names a body signal — a joint angle (three BlazePose landmarks
per body side, optionally in 3D with BlazePose's z), a landmark height (one landmark's
height above another, in lengths of a body segment) or an image height (how high a group of
landmarks is in the camera image: small rises of the whole body in front of a still camera)
— and the thresholds a repetition must cross, its direction, the ready position and the
form cues. `exercise_signal` turns one frame of landmarks into that signal, or None when the
frame is not good enough to judge; `Exercise.new_counter()` makes the matching RepCounter.
See config/exercises.yaml.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import yaml

from .geometry import joint_angle, joint_angle_3d, relative_height
from .phrases import LANGUAGES
from .rep_counter import DIRECTIONS, CounterEvent, Partial, Rep, RepCounter, TooFast

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

SIGNAL_KINDS = ('joint_angle', 'landmark_height', 'image_height')
COMBINE_MODES = ('mean', 'max', 'min')
READY_POSTURES = ('any', 'sitting', 'standing')
CUE_KINDS = ('peak_below', 'peak_above', 'partial', 'too_fast')
_THRESHOLD_RANGE = {'joint_angle': (0.0, 180.0), 'landmark_height': (-5.0, 5.0),
                    'image_height': (0.0, 1.0)}


class ExerciseFileError(ValueError):
    """An exercise file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class AngleSide:
    """One body side's joint angle: landmark indices (first, vertex, last)."""

    name: str
    landmarks: tuple[int, int, int]


@dataclass(frozen=True)
class HeightSide:
    """One body side's landmark height: `point` above `reference`, in `scale` lengths."""

    name: str
    point: int
    reference: int
    scale: tuple[int, int]

    @property
    def landmarks(self) -> tuple[int, ...]:
        return (self.point, self.reference, *self.scale)


@dataclass(frozen=True)
class ImageHeightSide:
    """One body side's image height: the mean height of `points` in the image."""

    name: str
    points: tuple[int, ...]

    @property
    def landmarks(self) -> tuple[int, ...]:
        return self.points


@dataclass(frozen=True)
class FormCue:
    """Something to say about a repetition: `kind` in CUE_KINDS, text per language."""

    kind: str
    text: Mapping[str, str] = field(hash=False)
    threshold: float | None = None   # for peak_below / peak_above

    def applies_to(self, event: CounterEvent) -> bool:
        if self.kind == 'partial':
            return isinstance(event, Partial)
        if self.kind == 'too_fast':
            return isinstance(event, TooFast)
        if not isinstance(event, Rep):
            return False
        if self.kind == 'peak_below':
            return event.peak < self.threshold
        return event.peak > self.threshold   # peak_above


@dataclass(frozen=True)
class Exercise:
    name: str
    description: str
    signal_name: str
    sides: tuple[AngleSide | HeightSide | ImageHeightSide, ...]
    up_threshold: float
    down_threshold: float
    min_rep_duration: float
    ready_duration: float
    min_visibility: float
    signal_kind: str = 'joint_angle'
    combine: str = 'mean'           # how visible sides combine: mean, max (march), min
    use_z: bool = False             # joint angle in 3D with BlazePose z (when given)
    direction: str = 'up'           # up: the signal rises first; down: it falls first
    smoothing: float = 0.0          # s, exponential smoothing time constant
    baseline: bool = False          # thresholds relative to the person's rest level
    ready_posture: str = 'any'      # posture the set starts from
    intro: Mapping[str, str] = field(default_factory=dict, hash=False)  # {times} allowed
    spoken: Mapping[str, str] = field(default_factory=dict, hash=False)  # for summaries
    cues: tuple[FormCue, ...] = ()

    def __post_init__(self):
        if not self.sides:
            raise ValueError(f'exercise {self.name!r}: needs at least one side')
        if self.signal_kind not in SIGNAL_KINDS:
            raise ValueError(f'exercise {self.name!r}: signal kind must be one of '
                             f'{SIGNAL_KINDS}, got {self.signal_kind!r}')
        if self.signal_kind == 'image_height' and not self.baseline:
            # its level depends on where the person stands in the image: only the change
            # from the person's own rest level means something
            raise ValueError(f'exercise {self.name!r}: an image_height signal needs '
                             'baseline: true')
        low, high = _THRESHOLD_RANGE[self.signal_kind]
        if self.baseline:
            low = 0.0
        if not low <= self.down_threshold < self.up_threshold <= high:
            raise ValueError(f'exercise {self.name!r}: need {low} <= down_threshold < '
                             f'up_threshold <= {high}, got {self.down_threshold} and '
                             f'{self.up_threshold}')
        if self.min_rep_duration < 0 or self.ready_duration < 0 or self.smoothing < 0:
            raise ValueError(f'exercise {self.name!r}: durations must not be negative')
        if not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError(f'exercise {self.name!r}: min_visibility must be in 0..1')
        for name, value, allowed in (('combine', self.combine, COMBINE_MODES),
                                     ('direction', self.direction, DIRECTIONS),
                                     ('ready_posture', self.ready_posture, READY_POSTURES)):
            if value not in allowed:
                raise ValueError(f'exercise {self.name!r}: {name} must be one of {allowed}, '
                                 f'got {value!r}')

    def new_counter(self) -> RepCounter:
        """A RepCounter set up for this exercise (thresholds, direction, smoothing)."""
        return RepCounter(self.up_threshold, self.down_threshold, self.min_rep_duration,
                          self.ready_duration, direction=self.direction,
                          smoothing=self.smoothing, baseline=self.baseline)

    def cue_for(self, event: CounterEvent) -> FormCue | None:
        """The first form cue that applies to a counter event, or None."""
        return next((cue for cue in self.cues if cue.applies_to(event)), None)


Landmark = Sequence[float]  # (x, y, visibility), x and y normalised


def exercise_signal(exercise: Exercise, landmarks: Sequence[Landmark],
                    image_width: float, image_height: float,
                    depths: Sequence[float] | None = None) -> float | None:
    """The exercise's signal in one frame, combined over the sides seen well enough.

    `depths` are BlazePose's z per landmark (same order); exercises with `use_z` measure
    their angle in 3D when depths are given and in the image plane otherwise. Returns None
    when no side has all its landmarks at or above `min_visibility` or the signal is
    undefined (coincident points). Raises ValueError when the landmark (or depth) list is
    too short for the exercise.
    """
    values = []
    for side in exercise.sides:
        needed = max(side.landmarks)
        if needed >= len(landmarks):
            raise ValueError(f'exercise {exercise.name!r} needs landmark {needed},'
                             f' got {len(landmarks)} landmarks')
        if depths is not None and exercise.use_z and needed >= len(depths):
            raise ValueError(f'exercise {exercise.name!r} needs depth {needed},'
                             f' got {len(depths)} depths')
        points = [landmarks[i] for i in side.landmarks]
        if any(not math.isfinite(p[2]) or p[2] < exercise.min_visibility for p in points):
            continue
        try:
            if isinstance(side, HeightSide):
                values.append(relative_height(*points, image_width, image_height))
            elif isinstance(side, ImageHeightSide):
                values.append(image_height_of(points))
            elif exercise.use_z and depths is not None:
                values.append(joint_angle_3d(
                    *[(landmarks[i][0], landmarks[i][1], depths[i]) for i in side.landmarks],
                    image_width, image_height))
            else:
                values.append(joint_angle(*points, image_width, image_height))
        except ValueError:
            continue
    if not values:
        return None
    if exercise.combine == 'max':
        return max(values)
    if exercise.combine == 'min':
        return min(values)
    return sum(values) / len(values)


def image_height_of(points: Sequence[Landmark]) -> float:
    """Mean height of normalised image points in image heights (0 bottom edge, 1 top).

    Meaningful only while the camera stands still (the robot does not move while the person
    exercises). Raises ValueError for an empty list or a non-finite coordinate.
    """
    if not points:
        raise ValueError('image height needs at least one point')
    heights = [1.0 - float(p[1]) for p in points]
    if not all(math.isfinite(h) for h in heights):
        raise ValueError('image height undefined: a point is not finite')
    return sum(heights) / len(heights)


# name: (low, high, required)
_NUMBER_FIELDS = {
    'up_threshold': (-5.0, 180.0, True),
    'down_threshold': (-5.0, 180.0, True),
    'min_rep_duration': (0.0, 10.0, True),
    'ready_duration': (0.0, 10.0, True),
    'min_visibility': (0.0, 1.0, True),
    'smoothing': (0.0, 2.0, False),
}
_CHOICE_FIELDS = {'direction': DIRECTIONS, 'ready_posture': READY_POSTURES}
_KNOWN_FIELDS = {'description', 'signal', 'baseline', 'intro', 'spoken', 'cues',
                 *_NUMBER_FIELDS, *_CHOICE_FIELDS}


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
        kind = signal.get('kind', 'joint_angle')
        if kind not in SIGNAL_KINDS:
            raise fail(f'{where}.signal.kind', f'{kind!r} is not one of {", ".join(SIGNAL_KINDS)}')
        baseline = entry.get('baseline', False)
        if not isinstance(baseline, bool):
            raise fail(f'{where}.baseline', f'expected true or false, got {baseline!r}')
        if kind == 'image_height' and not baseline:
            raise fail(f'{where}.baseline', 'an image_height signal needs baseline: true')
        numbers = {}
        for field_name, (low, high, required) in _NUMBER_FIELDS.items():
            if field_name not in entry:
                if required:
                    raise fail(f'{where}.{field_name}', 'missing')
                continue
            value = entry[field_name]
            if field_name.endswith('_threshold'):
                low, high = (0.0, 5.0) if baseline else _THRESHOLD_RANGE[kind]
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):
                raise fail(f'{where}.{field_name}', f'expected a number, got {value!r}')
            if not low <= value <= high:
                raise fail(f'{where}.{field_name}', f'{value} is outside {low}..{high}')
            numbers[field_name] = float(value)
        if numbers['down_threshold'] >= numbers['up_threshold']:
            raise fail(f'{where}.down_threshold', f"{numbers['down_threshold']} must be below "
                       f"up_threshold {numbers['up_threshold']}")
        choices = {}
        for field_name, allowed in _CHOICE_FIELDS.items():
            if field_name in entry:
                if entry[field_name] not in allowed:
                    raise fail(f'{where}.{field_name}',
                               f'{entry[field_name]!r} is not one of {", ".join(allowed)}')
                choices[field_name] = entry[field_name]
        sides, combine, use_z = _parse_signal(signal, kind, f'{where}.signal', fail)
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
                signal_kind=kind, combine=combine, use_z=use_z, baseline=baseline,
                cues=cues, **texts, **choices, **numbers)
        except ValueError as exc:
            raise fail(where, str(exc)) from exc
    return exercises


def _landmark(name: object, where: str, fail) -> int:
    if name not in LANDMARK_INDEX:
        raise fail(where, f'unknown landmark {name!r}')
    return LANDMARK_INDEX[name]


def _parse_signal(signal: Mapping, kind: str, where: str, fail):
    known = {'kind', 'name', 'sides', 'combine', 'use_z'}
    unknown = sorted(set(signal) - known)
    if unknown:
        raise fail(f'{where}.{unknown[0]}', f'unknown field (known: {", ".join(sorted(known))})')
    combine = signal.get('combine', 'mean')
    if combine not in COMBINE_MODES:
        raise fail(f'{where}.combine', f'{combine!r} is not one of {", ".join(COMBINE_MODES)}')
    use_z = signal.get('use_z', False)
    if not isinstance(use_z, bool):
        raise fail(f'{where}.use_z', f'expected true or false, got {use_z!r}')
    if use_z and kind != 'joint_angle':
        raise fail(f'{where}.use_z', 'only joint angles can use z')
    sides_data = signal.get('sides')
    if not isinstance(sides_data, Mapping) or not sides_data:
        raise fail(f'{where}.sides', 'expected a mapping of side name to landmarks')
    sides = []
    for side_name, spec in sides_data.items():
        side_where = f'{where}.sides.{side_name}'
        if kind == 'image_height':
            if not isinstance(spec, Sequence) or isinstance(spec, str) or not spec:
                raise fail(side_where, f'expected a list of landmark names, got {spec!r}')
            indices = tuple(_landmark(name, side_where, fail) for name in spec)
            if len(set(indices)) != len(indices):
                raise fail(side_where, 'the landmarks must differ')
            sides.append(ImageHeightSide(str(side_name), indices))
            continue
        if kind == 'joint_angle':
            if not isinstance(spec, Sequence) or isinstance(spec, str) or len(spec) != 3:
                raise fail(side_where, f'expected a list of 3 landmark names, got {spec!r}')
            indices = tuple(_landmark(name, side_where, fail) for name in spec)
            if len(set(indices)) != 3:
                raise fail(side_where, 'the three landmarks must differ')
            sides.append(AngleSide(str(side_name), indices))
            continue
        if not isinstance(spec, Mapping) or set(spec) != {'point', 'reference', 'scale'}:
            raise fail(side_where, 'expected a mapping with point, reference and scale '
                                   f'(scale: [from, to]), got {spec!r}')
        scale = spec['scale']
        if not isinstance(scale, Sequence) or isinstance(scale, str) or len(scale) != 2:
            raise fail(f'{side_where}.scale', f'expected 2 landmark names, got {scale!r}')
        point = _landmark(spec['point'], f'{side_where}.point', fail)
        reference = _landmark(spec['reference'], f'{side_where}.reference', fail)
        scale_ids = tuple(_landmark(n, f'{side_where}.scale', fail) for n in scale)
        if point == reference or scale_ids[0] == scale_ids[1]:
            raise fail(side_where, 'point and reference, and the two scale landmarks, '
                                   'must differ')
        sides.append(HeightSide(str(side_name), point, reference, scale_ids))
    return tuple(sides), combine, use_z


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
        raise fail(where, f'expected a mapping of cue kind ({", ".join(CUE_KINDS)}) to cue')
    cues = []
    for kind, spec in data.items():
        cue_where = f'{where}.{kind}'
        if kind not in CUE_KINDS:
            raise fail(cue_where, f'unknown cue kind (known: {", ".join(CUE_KINDS)})')
        if kind in ('peak_below', 'peak_above'):
            if not isinstance(spec, Mapping) or set(spec) != {'threshold', 'cue'}:
                raise fail(cue_where, 'expected a mapping with threshold and cue')
            threshold = spec['threshold']
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
                    or not math.isfinite(threshold):
                raise fail(f'{cue_where}.threshold', f'expected a number, got {threshold!r}')
            cues.append(FormCue(kind, _parse_texts(spec['cue'], f'{cue_where}.cue', fail),
                                float(threshold)))
        else:
            cues.append(FormCue(kind, _parse_texts(spec, cue_where, fail)))
    return tuple(cues)
