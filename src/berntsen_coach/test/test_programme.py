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
    (lambda d: d['items'][0].update(exercise='cartwheel'), 'items[0].exercise',
     "unknown exercise 'cartwheel'"),
    (lambda d: d['items'][1].update(repetitions=-3), 'items[1].repetitions', 'outside 1..50'),
    (lambda d: d['items'][2].update(goal=30), 'items[2].goal', 'too close to the rest position'),
    (lambda d: d['items'][2].update(goal=200), 'items[2].goal', 'outside 0..180'),
    (lambda d: d['items'][2].update(goal='high'), 'items[2].goal', 'expected a number in degrees'),
    (lambda d: d['items'].append({'exercise': 'heel_slide', 'sets': 1, 'repetitions': 4}),
     'items[6].exercise', 'put it before the exercises done sitting or standing'),
    (lambda d: d.update(gets_up=False), 'items[1].exercise', 'gets_up is false'),
    (lambda d: d.update(gets_up='no'), 'gets_up', 'expected true or false'),
    (lambda d: d['items'][1].update(repetitions=2.5), 'items[1].repetitions', 'whole number'),
    (lambda d: d['items'][0].pop('sets'), 'items[0].sets', 'missing'),
    (lambda d: d['items'][0].update(rest_seconds=-1), 'items[0].rest_seconds', 'outside'),
    (lambda d: d['items'][0].update(speed='fast'), 'items[0].speed', 'unknown field'),
    (lambda d: d['patient'].pop('name'), 'patient.name', 'missing'),
    (lambda d: d['patient'].update(name='  '), 'patient.name', 'empty'),
    (lambda d: d['patient'].update(id='Kari Nordmann 01.02.1940'), 'patient.id', 'pseudonymous'),
    (lambda d: d.update(language='sv'), 'language', "'sv' is not one of nb, en"),
    (lambda d: d.update(items=[]), 'items', 'non-empty list'),
    (lambda d: d['items'].append({'test': 'timed_up_and_go'}), 'items[6].test', 'unknown test'),
    (lambda d: d['items'].append({'test': 'chair_stand_30s', 'exercise': 'heel_raise'}),
     'items[6]', 'not both'),
    (lambda d: d['items'].append('heel_raise'), 'items[6]', 'expected a mapping'),
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
