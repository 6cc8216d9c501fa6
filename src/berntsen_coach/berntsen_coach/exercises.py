"""Exercise definitions as data, loaded from YAML, and the signal each one follows.

No ROS imports. An exercise names a joint angle (three BlazePose landmarks per body side)
and the thresholds a repetition must cross; `exercise_signal` turns one frame of
landmarks into that angle, or None when the frame is not good enough to judge.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import yaml

from .geometry import joint_angle

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


class ExerciseFileError(ValueError):
    """An exercise file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class AngleSide:
    """One body side's joint angle: landmark indices (first, vertex, last)."""

    name: str
    landmarks: tuple[int, int, int]


@dataclass(frozen=True)
class Exercise:
    name: str
    description: str
    signal_name: str
    sides: tuple[AngleSide, ...]
    up_threshold: float
    down_threshold: float
    min_rep_duration: float
    ready_duration: float
    min_visibility: float

    def __post_init__(self):
        if not self.sides:
            raise ValueError(f'exercise {self.name!r}: needs at least one side')
        if not 0.0 <= self.down_threshold < self.up_threshold <= 180.0:
            raise ValueError(f'exercise {self.name!r}: need 0 <= down_threshold < up_threshold'
                             f' <= 180, got {self.down_threshold} and {self.up_threshold}')
        if self.min_rep_duration < 0 or self.ready_duration < 0:
            raise ValueError(f'exercise {self.name!r}: durations must not be negative')
        if not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError(f'exercise {self.name!r}: min_visibility must be in 0..1')


Landmark = Sequence[float]  # (x, y, visibility), x and y normalised


def exercise_signal(exercise: Exercise, landmarks: Sequence[Landmark],
                    image_width: float, image_height: float) -> float | None:
    """The exercise's angle (degrees) in one frame: mean over the sides seen well enough.

    Returns None when no side has all three landmarks at or above `min_visibility` or
    their angle is undefined (coincident points). Raises ValueError when the landmark
    list is too short for the exercise.
    """
    angles = []
    for side in exercise.sides:
        if max(side.landmarks) >= len(landmarks):
            raise ValueError(f'exercise {exercise.name!r} needs landmark {max(side.landmarks)},'
                             f' got {len(landmarks)} landmarks')
        points = [landmarks[i] for i in side.landmarks]
        if any(not math.isfinite(p[2]) or p[2] < exercise.min_visibility for p in points):
            continue
        try:
            angles.append(joint_angle(points[0], points[1], points[2], image_width, image_height))
        except ValueError:
            continue
    if not angles:
        return None
    return sum(angles) / len(angles)


_NUMBER_FIELDS = {
    'up_threshold': (0.0, 180.0),
    'down_threshold': (0.0, 180.0),
    'min_rep_duration': (0.0, 10.0),
    'ready_duration': (0.0, 10.0),
    'min_visibility': (0.0, 1.0),
}


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
        known = {'description', 'signal', *_NUMBER_FIELDS}
        unknown = sorted(set(entry) - known)
        if unknown:
            raise fail(f'{where}.{unknown[0]}',
                       f'unknown field (known: {", ".join(sorted(known))})')
        numbers = {}
        for field_name, (low, high) in _NUMBER_FIELDS.items():
            if field_name not in entry:
                raise fail(f'{where}.{field_name}', 'missing')
            value = entry[field_name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):
                raise fail(f'{where}.{field_name}', f'expected a number, got {value!r}')
            if not low <= value <= high:
                raise fail(f'{where}.{field_name}', f'{value} is outside {low}..{high}')
            numbers[field_name] = float(value)
        if numbers['down_threshold'] >= numbers['up_threshold']:
            raise fail(f'{where}.down_threshold', f"{numbers['down_threshold']} must be below "
                       f"up_threshold {numbers['up_threshold']}")
        signal = entry.get('signal')
        if not isinstance(signal, Mapping):
            raise fail(f'{where}.signal', 'missing or not a mapping with name and sides')
        sides_data = signal.get('sides')
        if not isinstance(sides_data, Mapping) or not sides_data:
            raise fail(f'{where}.signal.sides', 'expected a mapping of side name to 3 landmarks')
        sides = []
        for side_name, triple in sides_data.items():
            side_where = f'{where}.signal.sides.{side_name}'
            if not isinstance(triple, Sequence) or isinstance(triple, str) or len(triple) != 3:
                raise fail(side_where, f'expected a list of 3 landmark names, got {triple!r}')
            indices = []
            for landmark in triple:
                if landmark not in LANDMARK_INDEX:
                    raise fail(side_where, f'unknown landmark {landmark!r}')
                indices.append(LANDMARK_INDEX[landmark])
            if len(set(indices)) != 3:
                raise fail(side_where, 'the three landmarks must differ')
            sides.append(AngleSide(str(side_name), tuple(indices)))
        description = entry.get('description', '')
        if not isinstance(description, str):
            raise fail(f'{where}.description', 'expected text')
        exercises[str(name)] = Exercise(
            name=str(name), description=description,
            signal_name=str(signal.get('name', 'joint angle')), sides=tuple(sides), **numbers)
    return exercises
