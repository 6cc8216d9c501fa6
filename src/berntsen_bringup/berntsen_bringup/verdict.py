"""Did a simulated session go the way its scenario expects? Judged without trusting the robot.

Pure (no rclpy). What was expected comes from the programme file and the scenario; what the
virtual patient really did from the simulator's truth (postures, every repetition she finished
with its reach); what the robot did from what it said aloud and its session log (coach/events)
and alerts. Nothing is taken from the coach's state topic: a coach that announced a wrong
target, skipped a set, counted a number the patient did not do, or alerted a caregiver too
late or without cause fails even if its state says all is well.

Sets. The programme's sets, in order, must each begin (`set_started` in the log, after the
exercise's introduction with the programme's number of repetitions, and "set i of n" for
programmes with several sets) and end (`set_completed` or `set_incomplete`). Within a set's
window the robot's count is the highest number it said aloud, and its log must agree. The
truth bounds it: every full repetition she began at least READY_SLACK s after the set began
and finished by the end of the set (+END_SLACK) must be counted, and no more than the full
repetitions that overlap the set may be. A complete set needs its target counted; an
incomplete one is allowed only where the scenario says the patient stops short.

Blindness. While the robot sees nothing (its log's perception_lost .. perception_restored,
from BLIND_BEFORE s before it noticed) or loses her signal (signal_gap: she was hidden, or
frames were lost), repetitions need not be counted, but the set's end must then say that
the count may have missed some (may_have_missed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from berntsen_bringup.transcript import SessionFigures

OUTCOMES = ('done', 'no_response', 'help')
URGENT_ALERT_WITHIN = 3.0     # s from the patient reaching the floor to the urgent alert
DISTANCE_TOLERANCE = 0.10     # m the robot may come closer than the approach distance
# m it may stop beyond it: its distance estimate errs on the far side on purpose (a seated
# person's feet bound her pelvis distance from below)
STOPS_SHORT_BY_AT_MOST = 0.40
# s after a set begins in which a repetition may be missed: the counter first sees her hold
# her ready position (ready_duration, at most 0.5 s, plus a frame or two of latency)
READY_SLACK = 0.75
# s the truth's end of a repetition may come after the count: the counter counts her on the
# way back (return_at), the truth once she is back at rest
END_SLACK = 1.5
# s a truth message may arrive after the repetition it reports: the truth is timed by its
# arrival here, and a reliable sample lost once is sent again at Fast DDS's next heartbeat
# (3 s by default). Seen once in CI: the set's last repetition counted at 49.7 s, its truth
# arriving at 52.8 s. Only widens what the robot MAY have counted.
TRUTH_LATE_BY_AT_MOST = 3.5
# s beyond the patience an alert may come: the coach finishes a re-prompt it is speaking
# before it gives up, and the prompt's own words take a few seconds
ALERT_LATE_BY_AT_MOST = 12.0
# s the robot may have been blind before it said so: the coach's perception_timeout (3 s)
# and a frame's way through the pose node
BLIND_BEFORE = 4.0
GAP_SLACK = 1.0    # s: a signal gap is logged after frames' way through the pose node
# what the patient was asked to do, by the step the coach gave up in: the truth's postures
# that would have been an answer
ANSWERS = {'sit_up': ('sitting', 'standing'), 'stand_up': ('standing',),
           'wake': ('sitting', 'standing')}


@dataclass(frozen=True)
class Expectation:
    outcome: str = 'done'
    approach_distance: float | None = None   # m; None: the robot was not asked to approach
    short_sets: int = 0          # sets the patient stops short in: counted as she did them
    says: tuple[str, ...] = ()   # texts the robot must say at least once (e.g. keep going)
    patience: float = 90.0       # s the coach waits for an answer before alerting

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f'expected outcome must be one of {", ".join(OUTCOMES)}, '
                             f'got {self.outcome!r}')


@dataclass(frozen=True)
class PlannedSet:
    """One set the programme asks for, and the words that must announce it."""

    exercise: str
    number: int                   # 1-based within the exercise
    sets: int
    target: int
    announcements: tuple[str, ...]   # said before the set begins (intro; "set i of n")

    @property
    def name(self) -> str:
        return f'{self.exercise} set {self.number}' if self.sets > 1 else self.exercise


@dataclass
class SetResult:
    """One set as it happened: the robot's words and log against the truth."""

    planned: PlannedSet
    started: float | None = None
    ended: float | None = None
    complete: bool = False
    said: int = 0                 # highest count said aloud
    logged: int = 0               # highest repetition number in the log
    must_count: int = 0           # truth: full repetitions wholly inside the set
    may_count: int = 0            # truth: full repetitions overlapping it
    partial: int = 0              # truth: repetitions that fell short, inside the set
    unseen: int = 0               # truth: full repetitions while the robot was blind
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        p = self.planned
        if self.started is None:
            return f'{p.name}: not done.'
        truth = (f'the virtual patient did {self.must_count}' if self.must_count == self.may_count
                 else f'the virtual patient did {self.must_count}-{self.may_count}')
        partial = f' (and {self.partial} short of the range)' if self.partial else ''
        unseen = f', {self.unseen} while the robot saw nothing' if self.unseen else ''
        return f'{p.name}: counted {self.said} of {p.target}; {truth}{partial}{unseen}.'


def planned_sets(programme, exercises, phrases) -> list[PlannedSet]:
    """The exercise sets of a programme (berntsen_coach.programme), with their announcements."""
    planned = []
    for item in programme.items:
        if not hasattr(item, 'exercise'):
            continue   # clinical tests are judged by their own measures, not here
        intro = phrases.format_intro(exercises[item.exercise].intro[phrases.language],
                                     item.repetitions)
        for number in range(1, item.sets + 1):
            words = ((intro,) if number == 1 else ()) + (
                (phrases.set_of(number, item.sets),) if item.sets > 1 else ())
            planned.append(PlannedSet(item.exercise, number, item.sets, item.repetitions, words))
    return planned


def spoken_counts(phrases, largest: int = 99) -> dict[str, int]:
    """The utterances that are a count ("fem" / "five"), and their numbers."""
    return {phrases.number(n): n for n in range(1, largest + 1)}


def judge(expect: Expectation, plan: Sequence[PlannedSet], phrases, figures: SessionFigures,
          patient_name: str = '') -> tuple[list[str], list[SetResult]]:
    """What went wrong, as sentences (empty: the session met its scenario), and each set.

    The sets not reached in a session that ends early on purpose (no response, a fall) are
    not missing; those begun are judged all the same.
    """
    problems = []
    final_step = figures.final_step
    if final_step != expect.outcome:
        problems.append(f'the routine ended in step "{final_step or "none"}", '
                        f'not "{expect.outcome}"')
    results = judge_sets(plan, phrases, figures)
    for result in results:
        problems += result.problems
    if expect.outcome == 'done':
        missing = [r.planned.name for r in results if r.started is None or r.ended is None]
        if missing:
            problems.append(f'the programme\'s {", ".join(missing)} never done or never ended')
        short = [r for r in results if r.ended is not None and not r.complete]
        if len(short) > expect.short_sets:
            problems.append(f'{len(short)} sets ended short of their target, the scenario '
                            f'expects {expect.short_sets}')
        if figures.alert_times:
            problems.append(f'a caregiver was alerted without cause: '
                            f'{"; ".join(r for _, r, _ in figures.alert_times)}')
    elif expect.outcome == 'no_response':
        problems += _judge_no_response(expect, phrases, figures, patient_name)
    elif expect.outcome == 'help':
        problems += _judge_fall(figures)
    for text in expect.says:
        if not any(said == text for _, said in figures.said):
            problems.append(f'the robot never said "{text}"')
    if figures.contacts:
        problems.append(f'the robot touched {", ".join(sorted(set(figures.contacts)))}')
    if expect.approach_distance is not None:
        problems += _judge_approach(expect.approach_distance, figures)
    return problems, results


def judge_sets(plan: Sequence[PlannedSet], phrases, figures: SessionFigures) -> list[SetResult]:
    """Match the log's sets to the programme's, in order, and judge each against the truth."""
    results = [SetResult(p) for p in plan]
    windows = _set_windows(figures.events)
    index = 0
    for exercise, number, start, end, complete in windows:
        while index < len(results) and (results[index].planned.exercise,
                                        results[index].planned.number) != (exercise, number):
            if results[index].started is None:
                results[index].problems.append(f'{results[index].planned.name} was skipped')
            index += 1
        if index == len(results):
            name = f'{exercise} set {number}'
            results.append(SetResult(PlannedSet(exercise, number, 0, 0, ()), started=start,
                                     problems=[f'{name} is not in the programme, or came out '
                                               'of order']))
            continue
        result = results[index]
        result.started, result.ended, result.complete = start, end, complete
    counts = spoken_counts(phrases)
    previous_end = None
    for result in results:
        if result.started is not None:
            _judge_set(result, counts, figures, previous_end)
            previous_end = result.ended
    return results


def _set_windows(events) -> list[tuple[str, int, float, float | None, bool]]:
    """(exercise, set, start, end or None, complete) per set in the log; a set begun again after
    an interruption (she lay down) is one set, from its last beginning."""
    windows = []
    for t, kind, detail in events:
        key = (detail.get('exercise', ''), detail.get('set', 0))
        if kind == 'set_started':
            if windows and windows[-1][:2] == key and windows[-1][3] is None:
                windows[-1] = (*key, t, None, False)
            else:
                windows.append((*key, t, None, False))
        elif kind in ('set_completed', 'set_incomplete') and windows \
                and windows[-1][:2] == key and windows[-1][3] is None:
            windows[-1] = (*key, windows[-1][2], t, kind == 'set_completed')
    return windows


def _judge_set(result: SetResult, counts: dict[str, int], figures: SessionFigures,
               previous_end: float | None) -> None:
    p, start = result.planned, result.started
    end = result.ended if result.ended is not None else float('inf')
    # what she heard before the set began, since the set before it ended
    heard = {text for t, text in figures.said
             if t <= start and (previous_end is None or t >= previous_end)}
    for words in p.announcements:
        if words not in heard:
            result.problems.append(f'{p.name}: the robot never said "{words}" before the set')
    # The count's words may lag the log: take numbers said until the next set (or a clinical
    # test, or the summary) begins.
    next_start = min((t for t, kind, d in figures.events if t > start and (
        kind in ('set_started', 'test_started')
        or (kind == 'step' and d.get('step') in ('test', 'summary')))), default=float('inf'))
    said = [counts[text.strip()] for t, text in figures.said
            if start <= t < next_start and text.strip() in counts]
    logged = [d.get('number', 0) for t, kind, d in figures.events
              if kind == 'repetition' and start <= t <= end
              and (d.get('exercise'), d.get('set')) == (p.exercise, p.number)]
    result.said, result.logged = max(said, default=0), max(logged, default=0)
    full = [r for r in figures.truth_reps if r.counted]
    blind = _blind_windows(figures.events)
    unseen = [r for r in full if r.end > start and r.start < end
              and any(r.end > a and r.start < b for a, b in blind)]
    result.unseen = len(unseen)
    # paused, the robot counts nothing: what she finished meanwhile need not count
    paused = [r for r in full if any(r.end > a and r.start < b
                                     for a, b in _paused_windows(figures.events))]
    result.must_count = sum(1 for r in full if r.start >= start + READY_SLACK
                            and r.end <= end + END_SLACK and r not in unseen
                            and r not in paused)
    result.may_count = sum(1 for r in full
                           if r.end > start and r.start < end + TRUTH_LATE_BY_AT_MOST)
    result.partial = sum(1 for r in figures.truth_reps
                         if not r.counted and r.start >= start and r.end <= end + END_SLACK)
    if result.said != result.logged:
        result.problems.append(f'{p.name}: said {result.said} aloud but logged {result.logged}')
    if result.ended is None:
        return
    if unseen and not any(kind in ('set_completed', 'set_incomplete') and t == result.ended
                          and d.get('may_have_missed') for t, kind, d in figures.events):
        result.problems.append(f'{p.name}: the robot was blind during {len(unseen)} of her '
                               'repetitions and did not record that it may have missed some')
    if not result.must_count <= result.said <= result.may_count:
        truth = (f'{result.must_count}' if result.must_count == result.may_count
                 else f'{result.must_count}-{result.may_count}')
        result.problems.append(f'{p.name}: counted {result.said}, the virtual patient did {truth}')
    elif result.complete and result.said != p.target:
        result.problems.append(f'{p.name}: ended as complete at {result.said} of {p.target}')
    elif not result.complete and result.said >= p.target:
        result.problems.append(f'{p.name}: ended incomplete at {result.said} of {p.target}')


def _blind_windows(events) -> list[tuple[float, float]]:
    """(from, to) of each time the robot saw nothing or lost her signal, by its own log."""
    windows, lost = [], None
    for t, kind, detail in events:
        if kind == 'signal_gap':
            # logged when the signal is back; its times are the frames' (sensor) clock
            length = float(detail.get('end', 0.0)) - float(detail.get('start', 0.0))
            windows.append((t - max(0.0, length) - GAP_SLACK, t))
        elif kind == 'perception_lost' and lost is None:
            lost = t
        elif kind == 'perception_restored' and lost is not None:
            windows.append((lost - BLIND_BEFORE, t))
            lost = None
    if lost is not None:
        windows.append((lost - BLIND_BEFORE, float('inf')))
    return windows


def _paused_windows(events) -> list[tuple[float, float]]:
    """(from, to) of each pause (the screen's Pause button), by the robot's own log."""
    windows, paused = [], None
    for t, kind, _ in events:
        if kind == 'paused' and paused is None:
            paused = t
        elif kind == 'resumed' and paused is not None:
            windows.append((paused, t))
            paused = None
    if paused is not None:
        windows.append((paused, float('inf')))
    return windows


def _judge_no_response(expect: Expectation, phrases, figures: SessionFigures,
                       patient_name: str) -> list[str]:
    alerts = [(t, reason) for t, reason, urgent in figures.alert_times if not urgent]
    gave_up = next(((t, d) for t, kind, d in figures.events if kind == 'no_response'), None)
    if not alerts:
        return ['the patient did not respond and no caregiver was alerted']
    if gave_up is None:
        return ['a caregiver was alerted but the session log says nothing of giving up']
    alert_time, step = alerts[0][0], gave_up[1].get('step', '')
    prompts = _prompts(phrases, step, patient_name)
    asked = next((t for t, text in figures.said if text in prompts), None)
    if asked is None:
        return [f'a caregiver was alerted in step "{step}", where the patient was never asked']
    problems = []
    waited = alert_time - asked
    if waited < expect.patience:
        problems.append(f'a caregiver was alerted {waited:.0f} s after the patient was asked, '
                        f'before the patience of {expect.patience:.0f} s ran out')
    elif waited > expect.patience + ALERT_LATE_BY_AT_MOST:
        problems.append(f'a caregiver was alerted {waited:.0f} s after the patient was asked, '
                        f'too late for a patience of {expect.patience:.0f} s')
    answered = [t for t, posture in figures.truth_postures
                if asked <= t <= alert_time and posture in ANSWERS.get(step, ())]
    if answered:
        problems.append(f'a caregiver was alerted without cause: the patient did what "{step}" '
                        f'asked {answered[0] - asked:.0f} s after being asked')
    return problems


def _prompts(phrases, step: str, name: str) -> set[str]:
    """What the coach says first when it asks for `step`: the patience runs from there."""
    keys = {'sit_up': ('sit_up',), 'stand_up': ('stand_up',), 'wake': ('wake',),
            'exercise': ('sit_for_exercise', 'stand_for_exercise', 'lie_for_exercise')}
    return {phrases.text(key, name=name) for key in keys.get(step, ())}


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
    early = [t for t, _, is_urgent in figures.alert_times if is_urgent and t < figures.floor_since]
    if early:
        return ['an urgent alert was sent before the patient was on the floor (without cause)']
    urgent = [t for t, _, is_urgent in figures.alert_times
              if is_urgent and t >= figures.floor_since]
    if not urgent:
        return ['the patient lay on the floor and no urgent caregiver alert was sent']
    delay = urgent[0] - figures.floor_since
    if delay > URGENT_ALERT_WITHIN:
        return [f'the urgent alert came {delay:.1f} s after the fall '
                f'(limit {URGENT_ALERT_WITHIN:.0f} s)']
    return []
