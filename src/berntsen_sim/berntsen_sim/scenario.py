"""Scenarios: who the patient is, where the robot starts and what a correct robot ends in.

No rclpy here. A scenario is a small YAML file a non-programmer can read and write; the
shipped ones live in this package's config/scenarios/ (`list_scenarios()`). Every field:

```yaml
description: Kari sits on the bed edge and does everything she is asked.   # required
persona: cooperative          # required: a name in patient.PERSONAS, or a mapping such as
                              #   {base: slow, reaction_delay: 4.0}  (base defaults to
                              #   cooperative; the other keys are patient.Persona fields)
seed: 0                       # seed of the patient's timing variations (default 0)
robot: {x: 2.5, y: 0.0, yaw_deg: 180}   # robot start in the world frame of assets/bedroom.xml
                              #   (m, m, degrees; these are the defaults; the patient's hip
                              #   is at x 0, y 0 and the robot at yaw 180 faces her)
programme: sim_morning        # the coach's programme: a name in berntsen_coach's
                              #   config/programmes/ or a path (default sim_morning)
coach: {reprompt_after: 10.0} # coach node parameter overrides, passed through (default none)
visitor: {path: across_the_room, start: 27.0}   # a second person (a relative) walks
                              #   through the room: path across_the_room (between the robot
                              #   and the patient), past_the_patient or behind_the_bed;
                              #   start in s of simulated time; speed m/s (default 0.9;
                              #   behind_the_bed side-steps at 0.5). Default: nobody
faults: [pose:kill@set_started+3]   # what the `berntsen` runner does to the robot's nodes
                              #   (berntsen_bringup.supervision: NODE:kill|int|stop<s>@WHEN);
                              #   `berntsen sim --fault` replaces them. Default: none
expect:                      # required: what a correct robot does
  outcome: done               #   done | no_response | help: where the session ends
  short_sets: 1               #   sets the patient stops short in, counted as she did them
                              #   (default 0: every set reaches its target)
  says: [keep_going]          #   phrases (berntsen_coach.phrases keys) the robot must say
timeout: 240                  # s the whole run may take (default 240)
```

The verdict (berntsen_bringup.verdict) checks every set of the programme against the
simulator's truth whatever the scenario says; `expect` adds what is particular to it.

`load_scenario` checks all of it and raises ScenarioError (a ValueError) naming the file,
the field and the problem; it also places the robot in the world to check that it starts
inside the room without overlapping the bed, the chair, the walls or the patient.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml

from berntsen_sim import visitor
from berntsen_sim.patient import PERSONAS, Persona, VirtualPatient
from berntsen_sim.visitor import VisitorWalk

PACKAGE = 'berntsen_sim'
SOURCE_SCENARIOS = Path(__file__).resolve().parents[1] / 'config' / 'scenarios'
OUTCOMES = ('done', 'no_response', 'help')
DEFAULT_ROBOT = (2.5, 0.0, 180.0)    # x m, y m, yaw degrees: 2.5 m in front of the patient
DEFAULT_PROGRAMME = 'sim_morning'
DEFAULT_TIMEOUT = 240.0
FIELDS = ('description', 'persona', 'seed', 'robot', 'programme', 'coach', 'visitor', 'faults',
          'expect', 'timeout')
# a visitor's paths: (waypoints, speed m/s, fixed facing or None to face along the path)
VISITOR_PATHS = {
    'across_the_room': (visitor.ACROSS_THE_ROOM, 0.9, None),
    'past_the_patient': (visitor.PAST_THE_PATIENT, 0.9, None),
    'behind_the_bed': (visitor.BEHIND_THE_BED, 0.5, 0.0),   # too narrow to walk: side-steps
}
REQUIRED = ('description', 'persona', 'expect')
EXPECT_FIELDS = ('outcome', 'short_sets', 'says')
# Persona fields a scenario may set, by the type their value must have.
_PERSONA_TYPES = {f.name: f.type for f in dataclasses.fields(Persona) if f.name != 'name'}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class RobotStart:
    """Where the robot starts, in the world frame (m, m, degrees)."""

    x: float = DEFAULT_ROBOT[0]
    y: float = DEFAULT_ROBOT[1]
    yaw_deg: float = DEFAULT_ROBOT[2]


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    description: str
    persona: Persona
    seed: int
    robot: RobotStart
    programme: str
    coach: Mapping[str, object]   # read-only; dict(scenario.coach) for a copy
    visitor: VisitorWalk | None   # a second person walking through the room, or nobody
    faults: tuple[str, ...]       # fault specs for the runner (parsed there)
    expect: Mapping[str, object]  # read-only: outcome (one of OUTCOMES), short_sets, says
    timeout: float


def scenario_dir() -> Path:
    """config/scenarios of this package: the source tree's, else the installed share/ copy."""
    if SOURCE_SCENARIOS.is_dir():
        return SOURCE_SCENARIOS
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    try:
        return Path(get_package_share_directory(PACKAGE)) / 'config' / 'scenarios'
    except (PackageNotFoundError, OSError):   # OSError: AMENT_PREFIX_PATH unset
        return SOURCE_SCENARIOS


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios, sorted."""
    return sorted(p.stem for p in scenario_dir().glob('*.yaml'))


def resolve_scenario(name_or_path: str) -> Path:
    """A scenario file path, or a bare name of one in config/scenarios/."""
    if not isinstance(name_or_path, (str, Path)) or not str(name_or_path):
        raise ScenarioError(f'a scenario is a name or a path, got {name_or_path!r}')
    text = str(name_or_path)
    if '/' in text or text.endswith(('.yaml', '.yml')):
        return Path(text).expanduser()
    path = scenario_dir() / f'{text}.yaml'
    if not path.is_file():
        raise ScenarioError(f'unknown scenario {text!r}; known: {", ".join(list_scenarios())}')
    return path


def load_scenario(name_or_path: str, world=None) -> Scenario:
    """Read and check a scenario (a name from list_scenarios() or a YAML path).

    `world` is a BedroomWorld to check the robot start in (its robot and patient are moved);
    by default a fresh one is loaded.
    """
    path = resolve_scenario(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text(encoding='utf-8'))
    except OSError as exc:
        raise ScenarioError(f'{path}: cannot read the scenario: {exc}') from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f'{path}: not valid YAML: {exc}') from None
    scenario = _parse(raw, path)
    problem = robot_start_problem(scenario.robot, scenario.persona, scenario.seed, world)
    if problem:
        raise ScenarioError(f'{path}: robot: {problem}')
    return scenario


def _parse(raw, path: Path) -> Scenario:
    def fail(field, problem):
        raise ScenarioError(f'{path}: {field}: {problem}')

    if not isinstance(raw, dict):
        raise ScenarioError(f'{path}: a scenario is a mapping of the fields {", ".join(FIELDS)}')
    unknown = sorted(set(map(str, raw)) - set(FIELDS))
    if unknown:
        fail(unknown[0], f'unknown field; the fields are {", ".join(FIELDS)}')
    for field in REQUIRED:
        if field not in raw:
            fail(field, 'missing (required)')

    description = raw['description']
    if not isinstance(description, str) or not description.strip():
        fail('description', 'must be a non-empty text')

    seed = raw.get('seed', 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        fail('seed', f'must be a whole number in [0, 2^31), got {seed!r}')

    programme = raw.get('programme', DEFAULT_PROGRAMME)
    if not isinstance(programme, str) or not programme.strip():
        fail('programme', f'must be a programme name or path, got {programme!r}')

    coach = raw.get('coach') or {}
    if not isinstance(coach, dict):
        fail('coach', 'must be a mapping of coach parameter names to values')
    for key, value in coach.items():
        if not isinstance(key, str) or not key:
            fail('coach', f'parameter names must be text, got {key!r}')
        if not isinstance(value, (str, int, float, bool)):
            fail(f'coach.{key}', f'must be a number, text or true/false, got {value!r}')

    expect = raw['expect']
    if not isinstance(expect, dict) or 'outcome' not in expect \
            or not set(expect) <= set(EXPECT_FIELDS):
        fail('expect', f'must be a mapping with outcome and optionally '
                       f'{", ".join(EXPECT_FIELDS[1:])}, got {expect!r}')
    if expect['outcome'] not in OUTCOMES:
        fail('expect.outcome', f'must be one of {", ".join(OUTCOMES)}, got {expect["outcome"]!r}')
    short = expect.get('short_sets', 0)
    if isinstance(short, bool) or not isinstance(short, int) or short < 0:
        fail('expect.short_sets', f'must be a whole number >= 0, got {short!r}')
    says = expect.get('says', [])
    if not isinstance(says, list) or not all(isinstance(k, str) and k for k in says):
        fail('expect.says', f'must be a list of phrase names, got {says!r}')
    expect = {**expect, 'says': tuple(says)}

    faults = raw.get('faults') or []
    if not isinstance(faults, list) or not all(isinstance(f, str) and f.strip() for f in faults):
        fail('faults', f'must be a list of fault specs such as "pose:kill@set_started+3", '
                       f'got {faults!r}')

    timeout = _number(raw.get('timeout', DEFAULT_TIMEOUT), 'timeout', fail)
    if timeout <= 0:
        fail('timeout', f'must be positive, got {timeout!r}')

    return Scenario(
        name=path.stem, path=path, description=description.strip(),
        persona=_persona(raw['persona'], path.stem, fail), seed=seed,
        robot=_robot(raw.get('robot') or {}, fail), programme=programme.strip(),
        coach=MappingProxyType(dict(coach)), visitor=_visitor(raw.get('visitor'), fail),
        faults=tuple(f.strip() for f in faults), expect=MappingProxyType(dict(expect)), timeout=timeout)


def _number(value, field, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(field, f'must be a number, got {value!r}')
    return float(value)


def _persona(value, scenario_name, fail) -> Persona:
    if isinstance(value, str):
        if value not in PERSONAS:
            fail('persona', f'unknown persona {value!r}; known: {", ".join(sorted(PERSONAS))}')
        return PERSONAS[value]
    if not isinstance(value, dict):
        fail('persona', 'must be a persona name or a mapping {base: NAME, FIELD: VALUE, ...}')
    overrides = dict(value)
    base = overrides.pop('base', 'cooperative')
    if base not in PERSONAS:
        fail('persona.base', f'unknown persona {base!r}; known: {", ".join(sorted(PERSONAS))}')
    for key, item in overrides.items():
        kind = _PERSONA_TYPES.get(key)
        if kind is None:
            fail(f'persona.{key}', f'unknown persona field; the fields are base, '
                 f'{", ".join(_PERSONA_TYPES)}')
        if kind == 'bool':
            ok = isinstance(item, bool)
        elif kind == 'int':
            ok = isinstance(item, int) and not isinstance(item, bool)
        else:   # float, or 'float | None'
            ok = (isinstance(item, (int, float)) and not isinstance(item, bool)
                  and math.isfinite(item)) or (item is None and 'None' in kind)
        if not ok:
            fail(f'persona.{key}', f'must be {kind.replace("None", "null")}, got {item!r}')
        if kind.startswith('float') and item is not None:
            overrides[key] = float(item)
    try:
        return dataclasses.replace(PERSONAS[base], name=f'{base} ({scenario_name})', **overrides)
    except ValueError as exc:
        fail('persona', str(exc))


def _visitor(value, fail) -> VisitorWalk | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= {'path', 'start', 'speed'} \
            or 'path' not in value or 'start' not in value:
        fail('visitor', 'must be a mapping {path: NAME, start: SECONDS, speed: M/S (optional)}')
    if value['path'] not in VISITOR_PATHS:
        fail('visitor.path', f'unknown path {value["path"]!r}; known: '
                             f'{", ".join(VISITOR_PATHS)}')
    path, speed, facing = VISITOR_PATHS[value['path']]
    start = _number(value['start'], 'visitor.start', fail)
    speed = _number(value.get('speed', speed), 'visitor.speed', fail)
    try:
        return VisitorWalk(start=start, path=path, speed=speed, facing=facing)
    except ValueError as exc:
        fail('visitor', str(exc))


def _robot(value, fail) -> RobotStart:
    if not isinstance(value, dict):
        fail('robot', 'must be a mapping {x: M, y: M, yaw_deg: DEGREES}')
    for key in value:
        if key not in ('x', 'y', 'yaw_deg'):
            fail(f'robot.{key}', 'unknown field; the fields are x, y, yaw_deg')
    defaults = RobotStart()
    return RobotStart(**{key: _number(value.get(key, getattr(defaults, key)), f'robot.{key}', fail)
                         for key in ('x', 'y', 'yaw_deg')})


def robot_start_problem(robot: RobotStart, persona: Persona | str = 'cooperative',
                        seed: int = 0, world=None) -> str | None:
    """Why the robot cannot start there (outside the walls, overlapping something), or None.

    The patient is put in its starting pose for the check; the robot stays placed there.
    """
    from berntsen_sim.world import BedroomWorld   # MuJoCo only where a check needs it

    world = world if world is not None else BedroomWorld()
    x_min, x_max, y_min, y_max = world.room_interior()
    if not (x_min < robot.x < x_max and y_min < robot.y < y_max):
        return (f'start ({robot.x}, {robot.y}) is outside the room, whose inside spans '
                f'x {x_min:.2f}..{x_max:.2f} m and y {y_min:.2f}..{y_max:.2f} m')
    world.set_patient_joints(VirtualPatient(persona, seed=seed).state(0.0).joints)
    world.place_robot(robot.x, robot.y, math.radians(robot.yaw_deg))
    clearance = world.clearance()
    if clearance.distance <= 0.0:
        return (f'at ({robot.x}, {robot.y}, {robot.yaw_deg} deg) the robot ({clearance.robot}) '
                f'overlaps {clearance.other}')
    return None
