"""The `morning` routine: events in, actions out (no ROS imports).

The routine itself is a behaviour tree (behaviours/tree.py draws it): greet, wake, sit up,
stand up, the programme's sets, rests and tests, summary, goodbye, each a behaviour of its
own; interrupts (the session stopped, a person on the floor, Help or Pause pressed, the
robot unable to see) are branches of higher priority. This class is its front door: each timestamped event
(`start`, `on_arrived`, `on_approach_failed`, `on_posture`, `on_frame`, `on_speech_finished`,
`on_perception_lost` / `_restored`, `pause`, `help`, `tick`, `stop`) is written into the morning's shared
state, the tree is ticked once, and what it asks for is returned as actions (routine.py):
  Say(text, kind, urgent)     send to the speech server; report its end with
                              on_speech_finished (one call per Say, in order)
  Counted(rep, target)        a repetition was counted
  StateChanged(routine, step, exercise, count, target, set_index, sets)   publish it
  Event(kind, detail)         write it to the session log
  AlertCaregiver(reason, urgent)

The coach state is Morning.state(); motion is allowed only while approaching (not paused)
and after the routine has ended (`motion_allowed`).
"""
from __future__ import annotations

import math
from typing import Mapping

from .behaviours.context import (FINAL_STEPS, ROUTINE_NAME, Morning, RoutineSettings,  # noqa: F401
                                 Step)
from .behaviours.tree import morning_tree, running_path, tree_text
from .exercises import BodyFrame, Exercise
from .programme import ExerciseItem, Programme
from .routine import Event, Posture, StateChanged


def _check_time(t: float) -> float:
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise ValueError(f'event time must be a finite number, got {t!r}')
    return float(t)


def check_exercises(programme: Programme, exercises: Mapping[str, Exercise]) -> None:
    """The library has what the programme needs, in its language; else ValueError."""
    for item in programme.items:
        if isinstance(item, ExerciseItem):
            if item.exercise not in exercises:
                raise ValueError(f'programme exercise {item.exercise!r} is not defined')
            if programme.language not in exercises[item.exercise].intro:
                raise ValueError(f'exercise {item.exercise!r} has no '
                                 f'{programme.language!r} intro')
        elif 'sit_to_stand' not in exercises:
            raise ValueError('clinical tests need the sit_to_stand exercise')


class CoachRoutine:
    def __init__(self, programme: Programme, exercises: Mapping[str, Exercise],
                 settings: RoutineSettings = RoutineSettings()):
        check_exercises(programme, exercises)
        self.programme, self.exercises, self.settings = programme, exercises, settings
        self.morning = Morning(programme, exercises, settings)
        self.phrases = self.morning.phrases
        self.tree = morning_tree(self.morning)
        self._published: StateChanged | None = None

    # ---- what the node asks -------------------------------------------------------------

    @property
    def step(self) -> Step | None:
        return self.morning.step

    @property
    def phase(self) -> str:
        """Within a set or test: intro, position, counting, done."""
        return self.morning.phase

    @property
    def started(self) -> bool:
        return self.step is not None

    @property
    def finished(self) -> bool:
        """In a final step with nothing left to say: the node may stop."""
        return self.step in FINAL_STEPS and not self.morning.speaking

    @property
    def wants_approach(self) -> bool:
        """The robot should drive to the bedside (then call on_arrived); not while paused."""
        return self.step is Step.APPROACH and not self.paused

    @property
    def motion_allowed(self) -> bool:
        """Never while the person gets up, exercises, rests, pauses or needs help."""
        return self.wants_approach or self.step in FINAL_STEPS

    @property
    def blind(self) -> bool:
        return self.morning.blind_since is not None

    @property
    def item(self):
        return self.morning.item

    @property
    def current_exercise(self) -> Exercise | None:
        """The exercise whose signal the node should compute now (None: nothing to count)."""
        item = self.item
        return None if item is None else self.morning.exercise_of(item)

    def state(self) -> StateChanged:
        return self.morning.state()

    def tree_status(self) -> str:
        """The tree with each behaviour's status, and what the running ones wait for."""
        return tree_text(self.tree, status=True)

    def running(self) -> list[tuple[str, str]]:
        """(behaviour, what it waits for) from the root down to the running leaf."""
        return running_path(self.tree)

    # ---- events -------------------------------------------------------------------------

    def start(self, now: float) -> list:
        now = self._time(now)
        if self.started:
            raise RuntimeError('the routine has already started')
        self.morning.event('session_started', {
            'patient_id': self.programme.patient_id, 'language': self.phrases.language,
            'programme': self.programme.source})
        return self._tick()

    def on_arrived(self, now: float) -> list:
        """The robot reached the configured distance from the person."""
        self._time(now)
        if self.step is not Step.APPROACH:
            return []
        self.morning.arrived = True
        return self._tick()

    def on_approach_failed(self, now: float, reason: str) -> list:
        """The robot could not reach the person (lost, timeout, e-stop): greet from here."""
        self._time(now)
        if not isinstance(reason, str):
            raise TypeError(f'reason must be a str, got {reason!r}')
        if self.step is not Step.APPROACH:
            return []
        self.morning.approach_failed = reason
        return self._tick()

    def on_posture(self, now: float, posture: Posture, on_floor: bool = False) -> list:
        now = self._time(now)
        if not isinstance(posture, Posture):
            raise TypeError(f'posture must be a Posture, got {posture!r}')
        if self.step is None or self.step in (Step.HELP, Step.STOPPED):
            return []
        if posture is Posture.LYING and on_floor:
            self.morning.fell = True
        else:
            self.morning.posture.update(now, posture)
        return self._tick()

    def on_frame(self, t: float, frame: BodyFrame | None) -> list:
        """One frame of the person's landmarks (None: the person was not seen)."""
        t = _check_time(t)   # the frame's stamp: for the counter, not the routine's clocks
        if self.step is None:
            return []
        self.morning.frame = (t, frame)
        try:
            return self._tick()
        finally:
            self.morning.frame = None

    def on_speech_finished(self, now: float) -> list:
        """The oldest Say in flight has finished (spoken, failed or rejected alike)."""
        self._time(now)
        if not self.morning.speech_finished():
            return []
        return self._tick()

    def on_perception_lost(self, now: float) -> list:
        """The robot sees nothing at all any more (the camera or the pose node is down, not
        the person out of view): say so once, and wait without nagging or giving up."""
        self._time(now)
        m = self.morning
        if self.step is None or self.step in FINAL_STEPS or m.blind_since is not None:
            return []
        m.hold('blind')
        m.event('perception_lost', {'step': self.step.value, **m.set_detail()})
        return self._tick()

    def on_perception_restored(self, now: float) -> list:
        """The robot sees again: the routine's clock runs on, a set under way resumes; its
        count may lack repetitions done meanwhile."""
        self._time(now)
        m = self.morning
        if m.blind_since is None:
            return []
        gap = m.release('blind')
        m.event('perception_restored', {'step': getattr(self.step, 'value', ''),
                                        'gap': round(gap, 2), **m.set_detail()})
        return self._tick()

    def pause(self, now: float, paused: bool) -> list:
        """She pressed Pause (True) or Continue (False). Paused, the morning waits where it
        is (a set keeps its count and counts nothing), its clock stopped; not while help is
        called or after the end."""
        self._time(now)
        m = self.morning
        if self.step is None or self.step in FINAL_STEPS or self.step is Step.HELP \
                or paused == m.paused:
            return []
        if paused:
            m.hold('paused')
            m.event('paused', {'step': self.step.value, **m.set_detail()})
        else:
            m.event('resumed', {'step': self.step.value, 'gap': round(m.release('paused'), 2)})
        return self._tick()

    @property
    def paused(self) -> bool:
        return self.morning.paused

    def help(self, now: float) -> list:
        """She pressed Help: an urgent caregiver alert, as for a fall; the morning stops
        and the robot stays with her until the session is stopped."""
        self._time(now)
        if self.step is None or self.step in (Step.HELP, Step.STOPPED):
            return []
        self.morning.help_requested = True
        return self._tick()

    def tick(self, now: float) -> list:
        """Time passes: re-prompts, patience, rests, test clocks."""
        self._time(now)
        if self.step is None or self.step in FINAL_STEPS:
            return []
        return self._tick()

    def stop(self, now: float, reason: str = 'stopped', fault: str = '') -> list:
        """End the session now (a service call, an operator; or, with `fault` naming the
        part that was down, the software giving up); says nothing more."""
        self._time(now)
        if self.step is None or self.step in FINAL_STEPS:
            return []
        self.morning.stop_reason = {'reason': reason, 'fault': fault} if fault \
            else {'reason': reason}
        return self._tick()

    # ---- helpers ------------------------------------------------------------------------

    def _time(self, t: float) -> float:
        self.morning.now = _check_time(t)
        return self.morning.now

    def _tick(self) -> list:
        self.tree.tick_once()
        actions, self.morning.actions = self.morning.actions, []
        state = self.state()
        if state != self._published:
            self._published = state
            actions.append(state)
        return actions
