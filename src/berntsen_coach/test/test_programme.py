from pathlib import Path

import pytest
import yaml

from berntsen_coach.exercises import load_exercises
from berntsen_coach.programme import (ClinicalTestItem, ExerciseItem, ProgrammeError,
                                      load_programme)

CONFIG = Path(__file__).resolve().parent.parent / 'config'
EXERCISES = load_exercises(CONFIG / 'exercises.yaml')
EXAMPLE = CONFIG / 'programmes' / 'example.yaml'


def test_example_programme_loads():
    p = load_programme(EXAMPLE, EXERCISES)
    assert (p.patient_name, p.patient_id, p.language) == ('Kari', 'p-7f3a91', 'nb')
    assert p.items[0] == ExerciseItem('heel_slide', 1, 10, 0.0, in_bed=True)
    assert p.items[1] == ExerciseItem('sit_to_stand', 2, 8, 60.0)
    assert p.items[2] == ExerciseItem('seated_arm_raise', 2, 10, 45.0, goal=90.0)
    assert p.gets_up
    assert p.items[-1] == ClinicalTestItem('chair_stand_30s', 0.0)
    assert p.source == str(EXAMPLE)


def _valid():
    return yaml.safe_load(EXAMPLE.read_text())


@pytest.mark.parametrize('mutate,field,problem', [
    (lambda d: d['items'][0].update(exercise='cartwheel'), 'item 1, exercise',
     "unknown exercise 'cartwheel'"),
    (lambda d: d['items'][1].update(repetitions=-3), 'item 2, repetitions', 'outside 1..50'),
    (lambda d: d['items'][2].update(goal=30), 'item 3, goal', 'too close to the rest position'),
    (lambda d: d['items'][2].update(goal=200), 'item 3, goal', 'outside 0..180'),
    (lambda d: d['items'][2].update(goal='high'), 'item 3, goal', 'expected a number in degrees'),
    (lambda d: d['items'].append({'exercise': 'heel_slide', 'sets': 1, 'repetitions': 4}),
     'item 7, exercise', 'put it before the exercises done sitting or standing'),
    (lambda d: d.update(gets_up=False), 'item 2, exercise', 'gets_up is false'),
    (lambda d: d.update(gets_up='no'), 'gets_up', 'expected true or false'),
    (lambda d: d['items'][1].update(repetitions=2.5), 'item 2, repetitions', 'whole number'),
    (lambda d: d['items'][0].pop('sets'), 'item 1, sets', 'missing'),
    (lambda d: d['items'][0].update(rest_seconds=-1), 'item 1, rest_seconds', 'outside'),
    (lambda d: d['items'][0].update(speed='fast'), 'item 1, speed', 'unknown field'),
    (lambda d: d['patient'].pop('name'), 'patient.name', 'missing'),
    (lambda d: d['patient'].update(name='  '), 'patient.name', 'empty'),
    (lambda d: d['patient'].update(id='Kari Nordmann 01.02.1940'), 'patient.id', 'pseudonymous'),
    (lambda d: d.update(language='sv'), 'language', "'sv' is not one of nb, en"),
    (lambda d: d.update(items=[]), 'items', 'non-empty list'),
    (lambda d: d['items'].append({'test': 'timed_up_and_go'}), 'item 7, test', 'unknown test'),
    (lambda d: d['items'].append({'test': 'chair_stand_30s', 'exercise': 'heel_raise'}),
     'item 7', 'not both'),
    (lambda d: d['items'].append('heel_raise'), 'item 7', 'expected a mapping'),
    (lambda d: d.update(patient='Kari'), 'patient', 'not a mapping'),
])
def test_invalid_programme_names_file_field_and_problem(tmp_path, mutate, field, problem):
    data = _valid()
    mutate(data)
    path = tmp_path / 'programme.yaml'
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ProgrammeError) as info:
        load_programme(path, EXERCISES)
    message = str(info.value)
    assert str(path) in message and f': {field}: ' in message and problem in message


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ProgrammeError, match='cannot read'):
        load_programme(tmp_path / 'absent.yaml', EXERCISES)
    bad = tmp_path / 'bad.yaml'
    bad.write_text('items: [unclosed')
    with pytest.raises(ProgrammeError, match='not valid YAML'):
        load_programme(bad, EXERCISES)
    assert issubclass(ProgrammeError, ValueError)


def test_every_problem_is_reported_at_once_with_its_line(tmp_path):
    path = tmp_path / 'programme.yaml'
    path.write_text(
        'patient:\n'                      # 1
        '  name: Kari Nordmann\n'         # 2
        'language: nn\n'                  # 3
        'items:\n'                        # 4
        '  - exercise: seated_arm_raise\n'  # 5
        '    repetitions: 8\n'            # 6
        '  - exercise: heel_raise\n'      # 7
        '    sets: 2\n'                   # 8
        '    repetitions: 100\n')         # 9
    with pytest.raises(ProgrammeError) as info:
        load_programme(path, EXERCISES)
    assert info.value.problems == [
        f'{path}:2: patient.id: missing',
        f"{path}:3: language: 'nn' (Nynorsk) has no phrase book yet; use nb (Bokmål) or en",
        f'{path}:5: item 1, sets: missing',
        f'{path}:9: item 2, repetitions: 100 is outside 1..50',
    ]
    assert str(info.value) == '\n'.join(info.value.problems)


def test_a_missing_field_says_missing(tmp_path):
    path = tmp_path / 'programme.yaml'
    path.write_text('patient: {name: Kari, id: p-1}\nitems: [{test: chair_stand_30s}]\n')
    with pytest.raises(ProgrammeError, match=r'programme.yaml: language: missing$'):
        load_programme(path, EXERCISES)


def test_a_yaml_error_names_its_line(tmp_path):
    path = tmp_path / 'programme.yaml'
    path.write_text('patient: {name: Kari, id: p-1}\nlanguage: nb\nitems: [unclosed\n')
    with pytest.raises(ProgrammeError, match=r'programme.yaml:4: not valid YAML'):
        load_programme(path, EXERCISES)
