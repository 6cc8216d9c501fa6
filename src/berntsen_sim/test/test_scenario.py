"""Scenario files: the shipped ones load and start the robot clear of everything; every
mistake in a file is reported with the file, the field and the problem."""
import math

import pytest
import yaml

from berntsen_sim import scenario as S
from berntsen_sim.patient import PERSONAS, VirtualPatient
from berntsen_sim.world import BedroomWorld

SHIPPED = ('approach', 'cooperative_morning', 'fall', 'lies_down_again', 'slow_patient',
           'unresponsive')
VALID = {
    'description': 'A test.',
    'persona': 'cooperative',
    'expect': {'outcome': 'done'},
}


@pytest.fixture(scope='module')
def world():
    return BedroomWorld()


def write(tmp_path, content, name='case'):
    path = tmp_path / f'{name}.yaml'
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return path


def test_the_shipped_scenarios_are_listed():
    assert set(SHIPPED) <= set(S.list_scenarios())


@pytest.mark.parametrize('name', SHIPPED)
def test_every_shipped_scenario_loads_and_starts_the_robot_clear(name, world):
    scenario = S.load_scenario(name, world)
    assert scenario.name == name and scenario.description
    assert scenario.expect['outcome'] in S.OUTCOMES
    # load_scenario left the robot at the start with the patient in her starting pose
    assert world.base_pose()[0][:2] == pytest.approx([scenario.robot.x, scenario.robot.y])
    assert world.clearance().distance >= 0.3
    assert world.touching() == ''


def test_defaults_and_a_minimal_file(tmp_path, world):
    scenario = S.load_scenario(str(write(tmp_path, VALID)), world)
    assert scenario.persona is PERSONAS['cooperative']
    assert (scenario.seed, scenario.programme, scenario.timeout) == (0, 'sim_morning', 240.0)
    assert scenario.robot == S.RobotStart(2.5, 0.0, 180.0)
    assert dict(scenario.coach) == {}
    with pytest.raises(TypeError):
        scenario.coach['patience'] = 1.0     # read-only


def test_shipped_scenarios_say_what_the_issue_asks():
    loaded = {name: S.load_scenario(name) for name in SHIPPED}
    assert loaded['cooperative_morning'].persona.name == 'cooperative'
    assert loaded['cooperative_morning'].coach['approach'] is True   # comes to the bedside
    assert loaded['unresponsive'].expect['outcome'] == 'no_response'
    assert loaded['fall'].expect['outcome'] == 'help'
    assert loaded['fall'].persona.falls_after is not None
    assert loaded['lies_down_again'].persona.lies_down_again >= 1
    assert S.load_scenario('camera_fails_midway').faults == (
        'pose:stop8@set_started+4', 'pose:kill@set_started+10')
    assert loaded['fall'].faults == ()


def test_the_slow_patient_is_slower_than_the_coach_waits_before_asking_again():
    scenario = S.load_scenario('slow_patient')
    persona, reprompt_after = scenario.persona, scenario.coach['reprompt_after']
    fastest, slowest = 1.0 - persona.timing_jitter, 1.0 + persona.timing_jitter
    # The patient reacts reaction_delay s after the step begins; the coach re-prompts
    # reprompt_after s after its prompt has been spoken (a few s after the step began):
    # she has not even started to move when she is asked again.
    assert persona.reaction_delay * fastest > reprompt_after + 1.0
    # Her repetitions come quicker than the coach's "carry on" after reprompt_after s.
    assert (persona.rep_duration + persona.rep_pause) * slowest < reprompt_after
    assert scenario.coach['patience'] >= 2 * (persona.reaction_delay + persona.stand_duration)


def test_the_approach_scenario_starts_far_off_to_the_side_and_turned(world):
    scenario = S.load_scenario('approach', world)
    assert 3.8 <= world.patient_distance() <= 3.9
    pelvis = world.data.body('pelvis').xpos
    bearing = math.degrees(math.atan2(pelvis[1] - scenario.robot.y, pelvis[0] - scenario.robot.x))
    assert 15.0 <= abs(bearing - scenario.robot.yaw_deg) <= 20.0
    assert abs(scenario.robot.y) >= 0.5
    assert scenario.coach['approach'] is True
    assert scenario.coach['approach_distance'] == pytest.approx(2.2)


def test_a_persona_mapping_overrides_fields_of_a_base_persona(tmp_path, world):
    path = write(tmp_path, {**VALID, 'persona': {'base': 'slow', 'reaction_delay': 4,
                                                 'responds': True, 'falls_after': None}})
    persona = S.load_scenario(str(path), world).persona
    assert persona.reaction_delay == 4.0 and isinstance(persona.reaction_delay, float)
    assert persona.stand_duration == PERSONAS['slow'].stand_duration
    VirtualPatient(persona).state(0.0)     # usable by the simulation


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(S.ScenarioError, match='unknown scenario .*cooperative_morning'):
        S.load_scenario('no_such_scenario')


@pytest.mark.parametrize('change, field, problem', [
    ({'persona': 'grumpy'}, 'persona', 'unknown persona'),
    ({'persona': {'base': 'grumpy'}}, 'persona.base', 'unknown persona'),
    ({'persona': {'speed': 2.0}}, 'persona.speed', 'unknown persona field'),
    ({'persona': {'reaction_delay': 'soon'}}, 'persona.reaction_delay', 'must be float'),
    ({'persona': {'responds': 1}}, 'persona.responds', 'must be bool'),
    ({'persona': {'lies_down_again': 1.5}}, 'persona.lies_down_again', 'must be int'),
    ({'persona': {'reaction_delay': -1.0}}, 'persona', 'reaction_delay must be >= 0'),
    ({'persona': 3}, 'persona', 'must be a persona name or a mapping'),
    ({'seed': -1}, 'seed', 'whole number'),
    ({'seed': 1.5}, 'seed', 'whole number'),
    ({'robot': {'x': 'far'}}, 'robot.x', 'must be a number'),
    ({'robot': {'z': 1.0}}, 'robot.z', 'unknown field'),
    ({'robot': [1, 2]}, 'robot', 'must be a mapping'),
    ({'robot': {'x': 5.0}}, 'robot', 'outside the room'),
    ({'robot': {'x': 2.5, 'y': -2.5}}, 'robot', 'outside the room'),
    ({'robot': {'x': 0.0, 'y': -0.6}}, 'robot', 'overlaps bed_'),
    ({'robot': {'x': 4.2}}, 'robot', 'overlaps wall_front'),
    ({'robot': {'x': 0.9, 'y': 1.5}}, 'robot', 'overlaps chair'),
    ({'robot': {'x': 0.6, 'y': 0.0}}, 'robot', 'overlaps'),     # the sitting patient's feet
    ({'programme': ''}, 'programme', 'programme name or path'),
    ({'coach': [1]}, 'coach', 'must be a mapping'),
    ({'coach': {'patience': [1]}}, 'coach.patience', 'number, text or true/false'),
    ({'expect': 'done'}, 'expect', 'mapping with outcome'),
    ({'visitor': {'path': 'over_the_bed', 'start': 3}}, 'visitor.path', 'unknown path'),
    ({'visitor': {'path': 'across_the_room'}}, 'visitor', 'start: SECONDS'),
    ({'visitor': {'path': 'across_the_room', 'start': 3, 'speed': -1}}, 'visitor', 'speed'),
    ({'faults': 'pose:kill@3'}, 'faults', 'list of fault specs'),
    ({'faults': ['']}, 'faults', 'list of fault specs'),
    ({'expect': {'outcome': 'done', 'short_sets': -1}}, 'expect.short_sets', 'whole number'),
    ({'expect': {'outcome': 'done', 'says': 'keep_going'}}, 'expect.says', 'list of phrase'),
    ({'expect': {'outcome': 'done', 'alert': True}}, 'expect', 'mapping with outcome'),
    ({'expect': {'outcome': 'fine'}}, 'expect.outcome', 'done, no_response, help'),
    ({'timeout': 0}, 'timeout', 'must be positive'),
    ({'timeout': 'long'}, 'timeout', 'must be a number'),
    ({'descripton': 'typo'}, 'descripton', 'unknown field'),
    ({'description': '  '}, 'description', 'non-empty text'),
])
def test_each_mistake_names_the_file_the_field_and_the_problem(tmp_path, world, change,
                                                               field, problem):
    path = write(tmp_path, {**VALID, **change})
    with pytest.raises(S.ScenarioError) as error:
        S.load_scenario(str(path), world)
    message = str(error.value)
    assert message.startswith(f'{path}: {field}: '), message
    assert problem in message, message


@pytest.mark.parametrize('missing', S.REQUIRED)
def test_required_fields_are_required(tmp_path, missing):
    path = write(tmp_path, {k: v for k, v in VALID.items() if k != missing})
    with pytest.raises(S.ScenarioError, match=f'{missing}: missing'):
        S.load_scenario(str(path))


@pytest.mark.parametrize('content, problem', [
    ('description: [unclosed', 'not valid YAML'),
    ('- a list', 'a scenario is a mapping'),
    ('', 'a scenario is a mapping'),
])
def test_files_that_are_not_scenarios(tmp_path, content, problem):
    path = write(tmp_path, content)
    with pytest.raises(S.ScenarioError, match=problem) as error:
        S.load_scenario(str(path))
    assert str(path) in str(error.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(S.ScenarioError, match='cannot read'):
        S.load_scenario(str(tmp_path / 'absent.yaml'))


def test_scenarios_are_installed_with_the_package(monkeypatch):
    import runpy
    from pathlib import Path

    import setuptools

    package = Path(S.__file__).resolve().parents[1]
    captured = {}
    monkeypatch.setattr(setuptools, 'setup', lambda **kwargs: captured.update(kwargs))
    monkeypatch.chdir(package)
    runpy.run_path(str(package / 'setup.py'))
    installed = {Path(f).name for dest, files in captured['data_files']
                 if dest == 'share/berntsen_sim/config/scenarios' for f in files}
    assert installed == {f'{name}.yaml' for name in S.list_scenarios()}
