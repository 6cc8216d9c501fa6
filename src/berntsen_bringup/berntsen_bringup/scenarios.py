"""How a simulation scenario (berntsen_sim.scenario) configures the graph and is judged.

Shared by the `berntsen sim` command and sim.launch.py; no rclpy or launch imports.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from berntsen_bringup.verdict import Expectation, PlannedSet, planned_sets


@dataclass(frozen=True)
class Judging:
    """What the verdict needs from a scenario: expectations, the programme's sets, its words."""

    expect: Expectation
    plan: tuple[PlannedSet, ...]
    phrases: object           # berntsen_coach.phrases.Phrases in the programme's language
    patient_name: str


# A scenario's `coach:` keys that the approach node has taken over from the coach, and
# their names there; scenario files keep speaking of "the coach's approach".
APPROACH_NODE_KEYS = {'approach_speed': 'max_speed', 'approach_timeout': 'timeout',
                      'approach_max_travel': 'max_travel', 'camera_height': 'camera_height',
                      'camera_tilt_deg': 'camera_tilt_deg',
                      'camera_forward_offset': 'camera_forward_offset'}


def node_parameters(scenario) -> dict[str, dict[str, object]]:
    """Per-node parameters a scenario sets on top of the sim profile's parameter file."""
    # YAML reads 30 where 30.0 is meant; the coach's numeric parameters are doubles, and
    # rclpy refuses an integer for a double parameter.
    values = {key: float(value) if isinstance(value, int) and not isinstance(value, bool)
              else value for key, value in scenario.coach.items()}
    coach = {key: value for key, value in values.items() if key not in APPROACH_NODE_KEYS}
    coach['programme_file'] = scenario.programme
    approach = {APPROACH_NODE_KEYS[key]: value for key, value in values.items()
                if key in APPROACH_NODE_KEYS}
    # the recorder redacts the programme's patient name from what was said
    return {'sim': {'scenario': str(scenario.path)}, 'coach': coach, 'approach': approach,
            'recorder': {'programme_file': scenario.programme}}


def session_parameters(scenario, run_dir: str | os.PathLike,
                       db: str | os.PathLike | None = None) -> dict[str, dict[str, object]]:
    """Per-node parameters of one simulated session: the scenario's, and a session that ends
    with its routine and writes only into `run_dir` (the session log unless `db` is given,
    the speech audio, the simulated robot's e-stop latch): never the care log, never the
    robot's latch."""
    run_dir = Path(run_dir)
    parameters = node_parameters(scenario)
    parameters['coach'].update(exit_when_done=True,
                               db_path=str(Path(db).resolve() if db else run_dir / 'sessions.sqlite3'))
    parameters['motor'] = {'e_stop_latch_file': str(run_dir / 'e_stop_latched')}
    parameters['speech'] = {'wav_dir': str(run_dir / 'speech')}
    parameters['recorder']['path'] = str(run_dir / 'session.mcap')
    return parameters


def judging(scenario) -> Judging:
    """Read the scenario's programme and say what a correct robot does in it."""
    from berntsen_coach.coach_routine import RoutineSettings
    from berntsen_coach.exercises import load_exercises
    from berntsen_coach.paths import package_config, resolve_programme
    from berntsen_coach.phrases import Phrases
    from berntsen_coach.programme import load_programme

    exercises = load_exercises(package_config() / 'exercises.yaml')
    programme = load_programme(resolve_programme(scenario.programme), exercises)
    phrases = Phrases(programme.language)
    distance = None
    if scenario.coach.get('approach', False):
        if 'approach_distance' not in scenario.coach:
            raise ValueError(f'{scenario.path}: coach: a scenario with approach: true must say '
                             'approach_distance, the distance the robot is checked against')
        distance = float(scenario.coach['approach_distance'])
    try:
        says = tuple(phrases.text(key, name=programme.patient_name)
                     for key in scenario.expect.get('says', ()))
    except ValueError as error:
        raise ValueError(f'{scenario.path}: expect.says: {error}') from None
    expect = Expectation(
        outcome=scenario.expect.get('outcome', 'done'), approach_distance=distance,
        short_sets=int(scenario.expect.get('short_sets', 0)), says=says,
        patience=float(scenario.coach.get('patience', RoutineSettings().patience)))
    return Judging(expect, tuple(planned_sets(programme, exercises, phrases)), phrases,
                   programme.patient_name)
