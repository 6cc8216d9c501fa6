"""How a simulation scenario (berntsen_sim.scenario) configures the graph and is judged.

Shared by the `berntsen sim` command and sim.launch.py; no rclpy or launch imports.
"""
from __future__ import annotations

from berntsen_bringup.verdict import Expectation


def node_parameters(scenario) -> dict[str, dict[str, object]]:
    """Per-node parameters a scenario sets on top of the sim profile's parameter file."""
    # YAML reads 30 where 30.0 is meant; the coach's numeric parameters are doubles, and
    # rclpy refuses an integer for a double parameter.
    coach = {key: float(value) if isinstance(value, int) and not isinstance(value, bool)
             else value for key, value in scenario.coach.items()}
    coach['programme_file'] = scenario.programme
    return {'sim': {'scenario': str(scenario.path)}, 'coach': coach}


def expectation(scenario) -> Expectation:
    """What a correct robot does in this scenario: its final step, and how close it may come."""
    distance = None
    if scenario.coach.get('approach', False):
        if 'approach_distance' not in scenario.coach:
            raise ValueError(f'{scenario.path}: coach: a scenario with approach: true must say '
                             'approach_distance, the distance the robot is checked against')
        distance = float(scenario.coach['approach_distance'])
    return Expectation(outcome=scenario.expect.get('outcome', 'done'), approach_distance=distance)
