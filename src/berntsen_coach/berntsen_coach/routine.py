"""The `morning` routine as an explicit state machine (no ROS imports).

Steps, in order: greet → stand_up → exercise → goodbye → done; or stand_up → no_response
when the person does not stand up within the patience limit.

The routine is driven by events that carry their own timestamps (seconds) and answers each
with a list of actions for the node to carry out:
  Say(text, kind)      speak this (the node sends it to the speech server)
  Counted(rep, target) a repetition was counted (for the transcript)
  StateChanged(...)    publish the new coach state

Speech pacing: the routine never talks over itself. A phrase is released only once every
earlier phrase has been reported finished (`on_speech_finished`, one call per Say, in
order). Counts are the exception: each is released the moment its repetition is counted
and the speech server plays them in order.

The exercise step has two halves: while the introduction is spoken, `exercise` in the state
is empty and nothing is counted; once it has been spoken, the state names the exercise and
its target and counting is live. Whoever mirrors the patient (the simulator) starts on the
latter. `goodbye` and `done` keep the exercise, count and target of the finished set.
"""
from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass

from .exercises import Exercise
from .phrases import Phrases
from .rep_counter import Rep, RepCounter

ROUTINE_NAME = 'morning'


class Step(str, enum.Enum):
    GREET = 'greet'
    STAND_UP = 'stand_up'
    EXERCISE = 'exercise'
    GOODBYE = 'goodbye'
    DONE = 'done'
    NO_RESPONSE = 'no_response'


TERMINAL_STEPS = frozenset({Step.DONE, Step.NO_RESPONSE})


class Posture(enum.Enum):
    UNKNOWN = 0
    STANDING = 1
    SITTING = 2
    LYING = 3


@dataclass(frozen=True)
class Say:
    text: str
    kind: str   # greeting, stand_up, stand_up_again, intro, count, praise, goodbye, no_response


@dataclass(frozen=True)
class Counted:
    rep: Rep
    target: int


@dataclass(frozen=True)
class StateChanged:
    routine: str
    step: str
    exercise: str
    count: int
    target: int


Action = Say | Counted | StateChanged


@dataclass(frozen=True)
class MorningSettings:
    patient_name: str
    repetitions: int = 5
    reprompt_after: float = 15.0       # s of silence after a stand-up prompt before asking again
    patience: float = 60.0             # s after the first stand-up prompt before giving up
    standing_stable_for: float = 1.0   # s of STANDING before the person counts as up
    standing_gap_tolerance: float = 0.5  # s without a STANDING sample that still counts as held

    def __post_init__(self):
        if not isinstance(self.patient_name, str) or not self.patient_name.strip():
            raise ValueError('patient_name must be a non-empty string')
        if isinstance(self.repetitions, bool) or not isinstance(self.repetitions, int) \
                or not 1 <= self.repetitions <= 50:
            raise ValueError(f'repetitions must be an int in 1..50, got {self.repetitions!r}')
        for name in ('reprompt_after', 'patience', 'standing_stable_for',
                     'standing_gap_tolerance'):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f'{name} must be a non-negative number, got {value!r}')
        if self.reprompt_after <= 0:
            raise ValueError('reprompt_after must be positive')
        if self.patience < self.reprompt_after:
            raise ValueError(f'patience ({self.patience} s) must be at least reprompt_after '
                             f'({self.reprompt_after} s)')


def _check_time(t: float) -> float:
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise ValueError(f'event time must be a finite number, got {t!r}')
    return float(t)


class MorningRoutine:
    def __init__(self, exercise: Exercise, phrases: Phrases, settings: MorningSettings):
        if not phrases.has_intro(exercise.name):
            raise ValueError(f'no {phrases.language!r} phrases for exercise {exercise.name!r}')
        self.exercise = exercise
        self.phrases = phrases
        self.settings = settings
        self.counter = RepCounter(exercise.up_threshold, exercise.down_threshold,
                                  exercise.min_rep_duration, exercise.ready_duration)
        self.step: Step | None = None
        self.counting = False
        self._in_flight: deque[str] = deque()   # kinds of phrases sent, awaiting their result
        self._waiting: deque[Say] = deque()     # phrases held back until the robot is quiet
        self._published: StateChanged | None = None
        self._first_prompt_done: float | None = None
        self._last_prompt_done: float | None = None
        self._standing_since: float | None = None
        self._last_standing: float | None = None

    # ---- what the node asks -------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self.step is not None

    @property
    def speaking(self) -> bool:
        """Phrases sent or held back whose speech has not finished."""
        return bool(self._in_flight or self._waiting)

    @property
    def finished(self) -> bool:
        """In a final step with nothing left to say: the node may stop."""
        return self.step in TERMINAL_STEPS and not self.speaking

    def state(self) -> StateChanged:
        # From the end of the intro on, the state names the set: live during `exercise`,
        # its result during `goodbye` and `done`.
        live = self.counting
        return StateChanged(
            routine=ROUTINE_NAME, step=self.step.value if self.step else '',
            exercise=self.exercise.name if live else '',
            count=self.counter.count if live else 0,
            target=self.settings.repetitions if live else 0)

    # ---- events -------------------------------------------------------------------------

    def start(self, now: float) -> list[Action]:
        _check_time(now)
        if self.started:
            raise RuntimeError('the routine has already started')
        actions: list[Action] = []
        self.step = Step.GREET
        self._say(actions, self.phrases.greeting(self.settings.patient_name), 'greeting')
        return self._with_state(actions)

    def on_speech_finished(self, now: float) -> list[Action]:
        """The oldest phrase in flight has finished (spoken, failed or rejected alike)."""
        now = _check_time(now)
        actions: list[Action] = []
        if not self._in_flight:
            return actions
        kind = self._in_flight.popleft()
        if kind == 'greeting' and self.step is Step.GREET:
            self.step = Step.STAND_UP
            self._say(actions, self.phrases.stand_up(), 'stand_up')
        elif kind in ('stand_up', 'stand_up_again'):
            if self._first_prompt_done is None:
                self._first_prompt_done = now
            self._last_prompt_done = now
        elif kind == 'intro' and self.step is Step.EXERCISE:
            self.counting = True
            self.counter.reset()
        elif kind == 'goodbye' and self.step is Step.GOODBYE:
            self.step = Step.DONE
        if not self._in_flight and self._waiting:
            self._release(actions, self._waiting.popleft())
        return self._with_state(actions)

    def on_posture(self, now: float, posture: Posture) -> list[Action]:
        now = _check_time(now)
        if not isinstance(posture, Posture):
            raise TypeError(f'posture must be a Posture, got {posture!r}')
        actions: list[Action] = []
        if self.step is not Step.STAND_UP:
            return actions
        if posture is Posture.STANDING:
            gap = (self._last_standing is not None
                   and now - self._last_standing > self.settings.standing_gap_tolerance)
            if self._standing_since is None or gap:
                self._standing_since = now
            self._last_standing = now
            if now - self._standing_since >= self.settings.standing_stable_for:
                self.step = Step.EXERCISE
                self._say(actions, self.phrases.exercise_intro(
                    self.exercise.name, self.settings.repetitions), 'intro')
        elif posture in (Posture.SITTING, Posture.LYING):
            self._standing_since = self._last_standing = None
        # UNKNOWN (person not seen well) neither confirms nor breaks standing; the gap
        # tolerance bounds how long it may last.
        return self._with_state(actions)

    def on_signal(self, t: float, value: float | None) -> list[Action]:
        """One frame's exercise signal (None when the frame could not be judged)."""
        t = _check_time(t)
        actions: list[Action] = []
        if self.step is not Step.EXERCISE or not self.counting:
            return actions
        rep = self.counter.update(t, value)
        if rep is None:
            return actions
        actions.append(Counted(rep, self.settings.repetitions))
        self._release(actions, Say(self.phrases.number(rep.number), 'count'))
        if rep.number >= self.settings.repetitions:
            self.step = Step.GOODBYE
            self._say(actions, self.phrases.praise(), 'praise')
            self._say(actions, self.phrases.goodbye(self.settings.patient_name), 'goodbye')
        return self._with_state(actions)

    def tick(self, now: float) -> list[Action]:
        """Time passes: re-prompt to stand, or give up after the patience limit."""
        now = _check_time(now)
        actions: list[Action] = []
        if self._last_standing is not None \
                and now - self._last_standing > self.settings.standing_gap_tolerance:
            self._standing_since = self._last_standing = None   # stood briefly, then lost
        if (self.step is not Step.STAND_UP or self.speaking or self._last_prompt_done is None
                or self._standing_since is not None):
            return actions
        if now - self._first_prompt_done >= self.settings.patience:
            self.step = Step.NO_RESPONSE
            self._say(actions, self.phrases.no_response(self.settings.patient_name),
                      'no_response')
        elif now - self._last_prompt_done >= self.settings.reprompt_after:
            self._last_prompt_done = None
            self._say(actions, self.phrases.stand_up_again(self.settings.patient_name),
                      'stand_up_again')
        return self._with_state(actions)

    # ---- helpers ------------------------------------------------------------------------

    def _say(self, actions: list[Action], text: str, kind: str) -> None:
        """Say now if the robot is quiet, else after everything said before has finished."""
        say = Say(text, kind)
        if self._in_flight or self._waiting:
            self._waiting.append(say)
        else:
            self._release(actions, say)

    def _release(self, actions: list[Action], say: Say) -> None:
        self._in_flight.append(say.kind)
        actions.append(say)

    def _with_state(self, actions: list[Action]) -> list[Action]:
        state = self.state()
        if state != self._published:
            self._published = state
            actions.append(state)
        return actions
