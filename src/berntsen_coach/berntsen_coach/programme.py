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
ProgrammeError listing every problem, one per line, each naming the file, line, field and
problem (items numbered from 1; `berntsen check PROGRAMME` prints them).
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
        text = path.read_text(encoding='utf-8')
    except OSError as exc:
        raise ProgrammeError(f'{path}: cannot read: {exc.strerror or exc}') from exc
    except UnicodeDecodeError as exc:
        raise ProgrammeError(f'{path}: not a UTF-8 text file ({exc.reason})') from exc
    return programme_from_text(text, exercises, source=str(path))


def programme_from_text(text: str, exercises: Mapping[str, Exercise], source: str = '<programme>',
                        patient: Mapping | None = None) -> Programme:
    """The programme in YAML `text`. With `patient`, the text must not name the patient: the
    care service's editor holds no name, the robot adds its own programme's patient block."""
    try:
        data = yaml.safe_load(text)
        lines = _lines(yaml.compose(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        where = f'{source}:{mark.line + 1}' if mark is not None else source
        raise ProgrammeError(f'{where}: not valid YAML: {getattr(exc, "problem", None) or exc}') \
            from exc
    if patient is not None and isinstance(data, Mapping):
        if 'patient' in data:
            where = f'{source}:{lines[("patient",)]}' if ('patient',) in lines else source
            raise ProgrammeError(f'{where}: patient: leave it out; the patient is chosen apart '
                                 'from the programme, and the robot adds the name')
        data = {'patient': dict(patient), **data}
    return parse_programme(data, exercises, source=source, lines=lines)


def _lines(node, path: tuple = ()) -> dict[tuple, int]:
    """1-based line of every mapping value and list entry, by its path ('items', 0, 'sets')."""
    found = {path: node.start_mark.line + 1} if node is not None else {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found.update(_lines(value, path + (key.value,)))
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            found.update(_lines(value, path + (i,)))
    return found


class _Problems:
    """Every problem of a programme, each with its line and field (items numbered from 1)."""

    def __init__(self, source: str, lines: Mapping[tuple, int]):
        self.source, self.lines, self.messages = source, lines, []

    def __call__(self, path: tuple, problem: str) -> None:
        line = next((self.lines[path[:n]] for n in range(len(path), 0, -1)
                     if path[:n] in self.lines), None)
        where = f'{self.source}:{line}' if line else self.source
        self.messages.append((line or 0, f'{where}: {_field(path)}: {problem}'))

    def check(self) -> None:
        """Raise ProgrammeError with the problems in file order (`.problems`: the lines)."""
        if self.messages:
            problems = [text for _, text in sorted(self.messages, key=lambda m: m[0])]
            error = ProgrammeError('\n'.join(problems))
            error.problems = problems
            raise error


def _field(path: tuple) -> str:
    if not path:
        return 'top level'
    if path[0] == 'items' and len(path) > 1:
        return f'item {path[1] + 1}' + ''.join(f', {p}' for p in path[2:])
    return '.'.join(str(p) for p in path)


def _language_problem(language) -> str:
    if language is None:
        return 'missing'
    if language == 'nn':
        return "'nn' (Nynorsk) has no phrase book yet; use nb (Bokmål) or en"
    if language == 'no':
        return "'no' is not a language code the robot speaks; Norwegian Bokmål is nb"
    return f'{language!r} is not one of {", ".join(LANGUAGES)}'


def parse_programme(data: object, exercises: Mapping[str, Exercise],
                    source: str = '<programme>', lines: Mapping[tuple, int] = {}) -> Programme:
    """The programme in `data`; ProgrammeError lists every problem, one per line, each
    with the file, line (when known), field and what is wrong."""
    report = _Problems(source, lines)
    if not isinstance(data, Mapping):
        report((), 'expected a mapping with patient, language and items')
        report.check()
    for key in sorted(set(data) - {'patient', 'language', 'items', 'gets_up'}):
        report((key,), 'unknown field (known: gets_up, items, language, patient)')
    gets_up = data.get('gets_up', True)
    if not isinstance(gets_up, bool):
        report(('gets_up',), f'expected true or false, got {gets_up!r}')
        gets_up = True
    name, patient_id = _patient(data.get('patient'), report)
    language = data.get('language')
    if language not in LANGUAGES:
        report(('language',), _language_problem(language))
    items_data = data.get('items')
    if items_data is None:
        report(('items',), 'missing')
    elif not isinstance(items_data, list) or not items_data:
        report(('items',), 'expected a non-empty list of exercises and tests')
    items: list[ProgrammeItem] = []
    for i, entry in enumerate(items_data if isinstance(items_data, list) else []):
        item = _item(entry, ('items', i), exercises, gets_up, items, report)
        if item is not None:
            items.append(item)
    report.check()
    return Programme(name, patient_id, language, tuple(items), source, gets_up)


def _patient(patient, report) -> tuple[str, str]:
    if patient is None:
        report(('patient',), 'missing')
        return '', ''
    if not isinstance(patient, Mapping):
        report(('patient',), 'not a mapping with name and id')
        return '', ''
    for key in sorted(set(patient) - {'name', 'id'}):
        report(('patient', key), 'unknown field (known: id, name)')
    name = patient.get('name')
    if name is None:
        report(('patient', 'name'), 'missing')
    elif not isinstance(name, str) or not name.strip():
        report(('patient', 'name'), 'empty')
    patient_id = patient.get('id')
    if isinstance(patient_id, int) and not isinstance(patient_id, bool):
        patient_id = str(patient_id)
    if patient_id is None:
        report(('patient', 'id'), 'missing')
    elif not isinstance(patient_id, str) or not _PATIENT_ID.match(patient_id):
        report(('patient', 'id'), 'expected a pseudonymous id of letters, digits, "_.-" '
                                  f'(1-64 characters), got {patient_id!r}')
    return (name.strip() if isinstance(name, str) else ''), str(patient_id)


def _item(entry, where: tuple, exercises, gets_up: bool, before: list,
          report) -> ProgrammeItem | None:
    """One item, or None after reporting what is wrong with it."""
    if not isinstance(entry, Mapping) or not ('exercise' in entry or 'test' in entry):
        report(where, 'expected a mapping with exercise or test')
        return None
    if 'exercise' in entry and 'test' in entry:
        report(where, 'give either exercise or test, not both')
        return None
    count = len(report.messages)
    rest = _number(entry, 'rest_seconds', 0, MAX_REST_SECONDS, where, report, default=0.0)
    if 'test' in entry:
        for key in sorted(set(entry) - {'test', 'rest_seconds'}):
            report(where + (key,), 'unknown field (known: rest_seconds, test)')
        if entry['test'] not in CLINICAL_TESTS:
            report(where + ('test',), f'unknown test {entry["test"]!r} (known: '
                                      f'{", ".join(CLINICAL_TESTS)})')
        elif not gets_up:
            report(where + ('test',), 'clinical tests are done standing up, and gets_up is '
                                      'false (the patient cannot get up yet)')
        elif 'sit_to_stand' not in exercises:
            report(where + ('test',), 'clinical tests need the sit_to_stand exercise')
        return ClinicalTestItem(entry['test'], rest) if len(report.messages) == count else None
    for key in sorted(set(entry) - {'exercise', 'sets', 'repetitions', 'rest_seconds', 'goal'}):
        report(where + (key,),
               'unknown field (known: exercise, goal, repetitions, rest_seconds, sets)')
    sets = _integer(entry, 'sets', 1, MAX_SETS, where, report)
    reps = _integer(entry, 'repetitions', 1, MAX_REPETITIONS, where, report)
    name = entry['exercise']
    exercise = exercises.get(name) if isinstance(name, str) else None
    if exercise is None:
        report(where + ('exercise',), f'unknown exercise {name!r} (known: '
                                      f'{", ".join(sorted(exercises))})')
        return None
    if not all(lang in exercise.intro for lang in LANGUAGES):
        report(where + ('exercise',), f'exercise {name!r} has no intro text')
    goal = entry.get('goal')
    if goal is not None:
        if isinstance(goal, bool) or not isinstance(goal, (int, float)) or not math.isfinite(goal):
            report(where + ('goal',), f'expected a number in {exercise.unit}, got {goal!r}')
        else:
            try:
                exercise.check_goal(float(goal))
                goal = float(goal)
            except ValueError as exc:
                report(where + ('goal',), str(exc))
    in_bed = exercise.ready_posture == 'lying'
    if in_bed and any(not getattr(i, 'in_bed', False) for i in before):
        report(where + ('exercise',), f'{name} is done lying in bed: put it before the '
                                      'exercises done sitting or standing')
    if not in_bed and not gets_up:
        report(where + ('exercise',), f'{name} is not done in bed, and gets_up is false '
                                      '(the patient cannot get up yet)')
    if len(report.messages) != count:
        return None
    return ExerciseItem(name, sets, reps, rest, goal, in_bed)


def _integer(entry, key, low, high, where, report) -> int | None:
    if key not in entry:
        report(where + (key,), 'missing')
        return None
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int):
        report(where + (key,), f'expected a whole number, got {value!r}')
        return None
    if not low <= value <= high:
        report(where + (key,), f'{value} is outside {low}..{high}')
        return None
    return value


def _number(entry, key, low, high, where, report, default) -> float:
    if key not in entry:
        return default
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        report(where + (key,), f'expected a number of seconds, got {value!r}')
        return default
    if not low <= value <= high:
        report(where + (key,), f'{value} is outside {low}..{high}')
        return default
    return float(value)
