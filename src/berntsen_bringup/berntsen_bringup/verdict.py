"""Did a simulated session end the way its scenario expects? Judged on the simulator's truth.

Pure: takes the transcript's figures, the coach's last step and the scenario's expectations.
"""
from __future__ import annotations

from dataclasses import dataclass

from berntsen_bringup.transcript import SessionFigures

OUTCOMES = ('done', 'no_response', 'help')
URGENT_ALERT_WITHIN = 3.0     # s from the patient reaching the floor to the urgent alert
DISTANCE_TOLERANCE = 0.10     # m the robot may come closer than the approach distance
# m it may stop beyond it: its distance estimate errs on the far side on purpose (a seated
# person's feet bound her pelvis distance from below)
STOPS_SHORT_BY_AT_MOST = 0.40


@dataclass(frozen=True)
class Expectation:
    outcome: str = 'done'
    approach_distance: float | None = None   # m; None: the robot was not asked to approach

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f'expected outcome must be one of {", ".join(OUTCOMES)}, '
                             f'got {self.outcome!r}')


def judge(expect: Expectation, figures: SessionFigures, final_step: str) -> list[str]:
    """What went wrong, as sentences; an empty list means the session met its scenario."""
    problems = []
    if final_step != expect.outcome:
        problems.append(f'the routine ended in step "{final_step or "none"}", '
                        f'not "{expect.outcome}"')
    if expect.outcome == 'done':
        for (exercise, set_number), s in figures.sets.items():
            if s.truth is None:
                problems.append(f'{exercise} set {set_number}: no ground truth from the simulator')
            elif s.counted != s.truth or s.counted != s.target:
                problems.append(f'{exercise} set {set_number}: counted {s.counted} of '
                                f'{s.target}, the virtual patient did {s.truth}')
        if not figures.sets:
            problems.append('no exercise set was done')
    elif expect.outcome == 'no_response' and not figures.alerts:
        problems.append('the patient did not respond and no caregiver was alerted')
    elif expect.outcome == 'help':
        problems += _judge_fall(figures)
    if figures.contacts:
        problems.append(f'the robot touched {", ".join(sorted(set(figures.contacts)))}')
    if expect.approach_distance is not None:
        problems += _judge_approach(expect.approach_distance, figures)
    return problems


def _judge_approach(distance: float, figures: SessionFigures) -> list[str]:
    closest, arrived = figures.closest_patient_distance, figures.arrived_at_distance
    if arrived is None:
        return ['the robot never arrived at the patient (or the simulator sent no distance)']
    problems = []
    if closest is not None and closest < distance - DISTANCE_TOLERANCE:
        problems.append(f'the robot came to {closest:.2f} m of the patient, closer than the '
                        f'approach distance {distance:.2f} m')
    if arrived > distance + STOPS_SHORT_BY_AT_MOST:
        problems.append(f'the robot stopped {arrived:.2f} m from the patient, more than '
                        f'{STOPS_SHORT_BY_AT_MOST:.2f} m short of the approach distance '
                        f'{distance:.2f} m')
    return problems


def _judge_fall(figures: SessionFigures) -> list[str]:
    if figures.floor_since is None:
        return ['the virtual patient never reached the floor']
    urgent = [t for t, _, is_urgent in figures.alert_times
              if is_urgent and t >= figures.floor_since]
    if not urgent:
        return ['the patient lay on the floor and no urgent caregiver alert was sent']
    delay = urgent[0] - figures.floor_since
    if delay > URGENT_ALERT_WITHIN:
        return [f'the urgent alert came {delay:.1f} s after the fall '
                f'(limit {URGENT_ALERT_WITHIN:.0f} s)']
    return []
