"""Exercise programmes as YAML a physiotherapist can read (no ROS imports).

    patient:
      name: Kari Nordmann      # spoken by the robot; lives only in this file
      id: p-7f3a91             # pseudonymous id, the only one stored in the session log
    language: nb               # nb or en
    items:
    gets_up: true              # false: cannot get up yet; only exercises done in bed
    items:
      - exercise: heel_slide   # exercises done lying in bed come first, before getting up
        sets: 1
        repetitions: 10
      - exercise: seated_arm_raise
        sets: 2
        repetitions: 8
        rest_seconds: 60       # after each set (none after the programme's last)
        goal: 90               # optional: this patient's goal, in the exercise's unit
                               #   (here shoulder abduction to 90 degrees)
      - test: chair_stand_30s  # optional clinical test: chair_stand_30s or
                               #   five_times_sit_to_stand
        rest_seconds: 60

`load_programme(path, exercises)` validates it against the exercise definitions and raises
ProgrammeError with a message naming the file, the field and the problem.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

from .clinical import CLINICAL_TESTS
from .exercises import Exercise
from .phrases import LANGUAGES

MAX_SETS = 10
MAX_REPETITIONS = 50     # the phrase book counts to 99; 50 is a generous clinical ceiling
MAX_REST_SECONDS = 600
_PATIENT_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')


class ProgrammeError(ValueError):
    """A programme file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class ExerciseItem:
    exercise: str
    sets: int
    repetitions: int
    rest_seconds: float
    goal: float | None = None     # prescribed for this patient; None: the exercise's own
    in_bed: bool = False          # done lying in bed, before getting up


@dataclass(frozen=True)
class ClinicalTestItem:
    test: str
    rest_seconds: float


ProgrammeItem = ExerciseItem | ClinicalTestItem


@dataclass(frozen=True)
class Programme:
    patient_name: str
    patient_id: str
    language: str
    items: tuple[ProgrammeItem, ...]
    source: str = '<programme>'
    gets_up: bool = True          # False: the person cannot get up yet (in-bed items only)


def load_programme(path: str | Path, exercises: Mapping[str, Exercise]) -> Programme:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding='utf-8'))
    except OSError as exc:
        raise ProgrammeError(f'{path}: cannot read: {exc.strerror or exc}') from exc
    except yaml.YAMLError as exc:
        raise ProgrammeError(f'{path}: not valid YAML: {exc}') from exc
    return parse_programme(data, exercises, source=str(path))


def parse_programme(data: object, exercises: Mapping[str, Exercise],
                    source: str = '<programme>') -> Programme:
    def fail(where: str, problem: str) -> ProgrammeError:
        return ProgrammeError(f'{source}: {where}: {problem}')

    if not isinstance(data, Mapping):
        raise fail('top level', 'expected a mapping with patient, language and items')
    unknown = sorted(set(data) - {'patient', 'language', 'items', 'gets_up'})
    if unknown:
        raise fail(unknown[0], 'unknown field (known: gets_up, items, language, patient)')
    gets_up = data.get('gets_up', True)
    if not isinstance(gets_up, bool):
        raise fail('gets_up', f'expected true or false, got {gets_up!r}')
    patient = data.get('patient')
    if not isinstance(patient, Mapping):
        raise fail('patient', 'missing or not a mapping with name and id')
    unknown = sorted(set(patient) - {'name', 'id'})
    if unknown:
        raise fail(f'patient.{unknown[0]}', 'unknown field (known: id, name)')
    name = patient.get('name')
    if not isinstance(name, str) or not name.strip():
        raise fail('patient.name', 'missing or empty')
    patient_id = patient.get('id')
    if isinstance(patient_id, int) and not isinstance(patient_id, bool):
        patient_id = str(patient_id)
    if not isinstance(patient_id, str) or not _PATIENT_ID.match(patient_id):
        raise fail('patient.id', f'expected a pseudonymous id of letters, digits, "_.-" '
                                 f'(1-64 characters), got {patient_id!r}')
    language = data.get('language')
    if language not in LANGUAGES:
        raise fail('language', f'{language!r} is not one of {", ".join(LANGUAGES)}')
    items_data = data.get('items')
    if not isinstance(items_data, list) or not items_data:
        raise fail('items', 'expected a non-empty list of exercises and tests')
    items = []
    for i, entry in enumerate(items_data):
        where = f'items[{i}]'
        if not isinstance(entry, Mapping):
            raise fail(where, 'expected a mapping with exercise or test')
        rest = _number(entry, 'rest_seconds', 0, MAX_REST_SECONDS, f'{where}.rest_seconds',
                       fail, default=0.0)
        if 'exercise' in entry and 'test' in entry:
            raise fail(where, 'give either exercise or test, not both')
        if 'exercise' in entry:
            unknown = sorted(set(entry) - {'exercise', 'sets', 'repetitions', 'rest_seconds', 'goal'})
            if unknown:
                raise fail(f'{where}.{unknown[0]}',
                           'unknown field (known: exercise, goal, repetitions, rest_seconds, sets)')
            exercise = entry['exercise']
            if exercise not in exercises:
                raise fail(f'{where}.exercise', f'unknown exercise {exercise!r} (known: '
                                                f'{", ".join(sorted(exercises))})')
            if not all(lang in exercises[exercise].intro for lang in LANGUAGES):
                raise fail(f'{where}.exercise', f'exercise {exercise!r} has no intro text')
            sets = _integer(entry, 'sets', 1, MAX_SETS, f'{where}.sets', fail)
            reps = _integer(entry, 'repetitions', 1, MAX_REPETITIONS, f'{where}.repetitions',
                            fail)
            goal = entry.get('goal')
            if goal is not None:
                if isinstance(goal, bool) or not isinstance(goal, (int, float)) \
                        or not math.isfinite(goal):
                    raise fail(f'{where}.goal', f'expected a number in '
                                                f'{exercises[exercise].unit}, got {goal!r}')
                try:
                    exercises[exercise].check_goal(float(goal))
                except ValueError as exc:
                    raise fail(f'{where}.goal', str(exc)) from None
                goal = float(goal)
            in_bed = exercises[exercise].ready_posture == 'lying'
            if in_bed and any(not getattr(i, 'in_bed', False) for i in items):
                raise fail(f'{where}.exercise', f'{exercise} is done lying in bed: put it before '
                                                'the exercises done sitting or standing')
            if not in_bed and not gets_up:
                raise fail(f'{where}.exercise', f'{exercise} is not done in bed, and gets_up is '
                                                'false (the patient cannot get up yet)')
            items.append(ExerciseItem(exercise, sets, reps, rest, goal, in_bed))
        elif 'test' in entry:
            if not gets_up:
                raise fail(f'{where}.test', 'clinical tests are done standing up, and gets_up '
                                            'is false (the patient cannot get up yet)')
            unknown = sorted(set(entry) - {'test', 'rest_seconds'})
            if unknown:
                raise fail(f'{where}.{unknown[0]}', 'unknown field (known: rest_seconds, test)')
            if entry['test'] not in CLINICAL_TESTS:
                raise fail(f'{where}.test', f'unknown test {entry["test"]!r} (known: '
                                            f'{", ".join(CLINICAL_TESTS)})')
            if 'sit_to_stand' not in exercises:
                raise fail(f'{where}.test', 'clinical tests need the sit_to_stand exercise')
            items.append(ClinicalTestItem(entry['test'], rest))
        else:
            raise fail(where, 'expected a mapping with exercise or test')
    return Programme(name.strip(), patient_id, language, tuple(items), source, gets_up)


def _integer(entry, key, low, high, where, fail) -> int:
    if key not in entry:
        raise fail(where, 'missing')
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(where, f'expected a whole number, got {value!r}')
    if not low <= value <= high:
        raise fail(where, f'{value} is outside {low}..{high}')
    return value


def _number(entry, key, low, high, where, fail, default) -> float:
    if key not in entry:
        return default
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise fail(where, f'expected a number of seconds, got {value!r}')
    if not low <= value <= high:
        raise fail(where, f'{value} is outside {low}..{high}')
    return float(value)
