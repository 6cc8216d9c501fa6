"""What the behaviours of a morning share (their blackboard), and the routine's settings.

One `Morning` per session. The routine (coach_routine.py) writes the latest inputs into it
(time, posture, a frame of landmarks, what the robot saw or heard) and ticks the tree; the
behaviours read them, keep their own progress, and append what the coach should do to
`actions` (see routine.py): speech goes through `say()`, so no two phrases are ever in
flight at once.

Two clocks: `now` is the time of the latest event; `clock` is the routine's own, which
stands still while the robot cannot see (or, later, while the session is paused), so every
patience, re-prompt, rest and stall waits out an outage instead of counting it against her.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Mapping

from ..counting import ExerciseTracker
from ..exercises import BodyFrame, Exercise
from ..feedback import PraiseRotation, SpeechPlanner, Utterance
from ..phrases import Phrases
from ..programme import ClinicalTestItem, ExerciseItem, Programme
from ..routine import Event, Posture, Say, StateChanged

ROUTINE_NAME = 'morning'


class Step(str, enum.Enum):
    APPROACH = 'approach'
    GREET = 'greet'
    WAKE = 'wake'
    SIT_UP = 'sit_up'
    STAND_UP = 'stand_up'
    EXERCISE = 'exercise'
    REST = 'rest'
    TEST = 'test'
    SUMMARY = 'summary'
    GOODBYE = 'goodbye'
    DONE = 'done'
    NO_RESPONSE = 'no_response'
    HELP = 'help'
    STOPPED = 'stopped'


FINAL_STEPS = frozenset({Step.DONE, Step.NO_RESPONSE, Step.STOPPED})


@dataclass(frozen=True)
class RoutineSettings:
    reprompt_after: float = 15.0      # s after a prompt was spoken before asking again
    patience: float = 90.0            # s after a step's first prompt before alerting
    posture_stable_for: float = 1.0   # s a posture must be held to count
    posture_gap_tolerance: float = 0.5  # s without a sample that still counts as held
    wake_wait: float = 8.0            # s after the wake-up words before asking to sit up
    approach: bool = True             # start by driving to the bed (else: greet at once)
    set_patience: float = 60.0        # s without a repetition before a set ends incomplete
    rest_countdown: float = 10.0      # "10 seconds left" (only for rests of twice this)
    floor_reassure_every: float = 30.0
    praise_every: int = 3             # praise after every n-th repetition
    five_times_limit: float = 60.0    # s; the five-times test is "not completed" after this
    blind_alert_after: float = 60.0   # s the robot has seen nothing before a caregiver is told
    seed: int = 0                     # praise rotation

    def __post_init__(self):
        for name in ('reprompt_after', 'patience', 'posture_stable_for', 'posture_gap_tolerance',
                     'wake_wait', 'set_patience', 'rest_countdown', 'floor_reassure_every',
                     'five_times_limit', 'blind_alert_after'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise ValueError(f'{name} must be a non-negative number, got {value!r}')
        if self.reprompt_after <= 0 or self.floor_reassure_every <= 0:
            raise ValueError('reprompt_after and floor_reassure_every must be positive')
        if self.patience < self.reprompt_after:
            raise ValueError(f'patience ({self.patience} s) must be at least reprompt_after '
                             f'({self.reprompt_after} s)')
        if isinstance(self.praise_every, bool) or not isinstance(self.praise_every, int) \
                or self.praise_every < 1:
            raise ValueError(f'praise_every must be a positive int, got {self.praise_every!r}')


class PostureTracker:
    """The posture held for `stable_for` s (gaps up to `gap` s tolerated), else None."""

    def __init__(self, stable_for: float, gap: float):
        self.stable_for, self.gap = stable_for, gap
        self.current: Posture | None = None
        self._since = self._last = None

    def update(self, t: float, posture: Posture) -> None:
        if posture is Posture.UNKNOWN:
            return   # not seen well: neither confirms nor breaks; the gap bounds it
        if posture is not self.current or (self._last is not None and t - self._last > self.gap):
            self.current, self._since = posture, t
        self._last = t

    def stable(self, t: float) -> Posture | None:
        if self.current is None or t - self._last > self.gap:
            return None
        return self.current if self._last - self._since >= self.stable_for else None

    def held_for(self) -> float:
        """How long the current posture has been held."""
        return 0.0 if self.current is None else self._last - self._since


class Morning:
    def __init__(self, programme: Programme, exercises: Mapping[str, Exercise],
                 settings: RoutineSettings):
        self.programme, self.exercises, self.settings = programme, exercises, settings
        self.phrases = Phrases(programme.language)
        self.name = programme.patient_name   # spoken only, never logged
        # inputs, written by the routine before each tick
        self.now = 0.0
        self.frame: tuple[float, BodyFrame | None] | None = None   # this tick's, if any
        self.posture = PostureTracker(settings.posture_stable_for, settings.posture_gap_tolerance)
        self.arrived = False
        self.approach_failed: str | None = None
        self.fell = False                  # seen lying on the floor: latched
        self.help_requested = False        # Help pressed: latched
        self.stop_reason: dict | None = None
        self.outages = 0                   # perception outages that have ended
        self.pauses: list[tuple[float, float]] = []   # (from, to) of each pause that ended
        self._holds: dict[str, float] = {}   # why the routine is held ('blind', 'paused'): since
        self._held_total = 0.0
        # what the behaviours show and share
        self.actions: list = []
        self.step: Step | None = None
        self.phase = ''                    # within a set or test: intro, position, counting, done
        self.item_index = 0                # the programme item being done or coming next
        self.set_index = 0
        self.counter: ExerciseTracker | None = None
        self.totals: dict[str, int] = {}   # counted repetitions per exercise
        self.measures: dict[str, float | int | None] = {}
        self.no_response_reason = ''
        self.praise = PraiseRotation(self.phrases.praises, settings.seed)
        self.planner = SpeechPlanner()

    # ---- time -----------------------------------------------------------------------

    @property
    def clock(self) -> float:
        """The routine's time: `now` less every moment it was held (the robot could not
        see, or she paused the session)."""
        held = self.now - min(self._holds.values()) if self._holds else 0.0
        return self.now - self._held_total - held

    def hold(self, why: str) -> None:
        self._holds.setdefault(why, self.now)

    def release(self, why: str) -> float:
        """One reason to hold is over: returns how long it lasted."""
        if not self._holds:
            return 0.0
        first = min(self._holds.values())
        since = self._holds.pop(why)
        if not self._holds:
            self._held_total += self.now - first
        elif since == first:   # the clock stays held from the next reason's start
            self._held_total += min(self._holds.values()) - first
        if why == 'blind':
            self.outages += 1
        elif why == 'paused':
            self.pauses.append((since, self.now))
        return self.now - since

    @property
    def blind_since(self) -> float | None:
        """Since when the robot has seen nothing at all (None: it sees)."""
        return self._holds.get('blind')

    @property
    def paused(self) -> bool:
        return 'paused' in self._holds

    # ---- inputs ---------------------------------------------------------------------

    def stable_posture(self) -> Posture | None:
        return self.posture.stable(self.now)

    def up(self) -> bool:
        return self.stable_posture() in (Posture.SITTING, Posture.STANDING)

    @property
    def item(self):
        items = self.programme.items
        return items[self.item_index] if self.item_index < len(items) else None

    def exercise_of(self, item) -> Exercise:
        return self.exercises['sit_to_stand' if isinstance(item, ClinicalTestItem)
                              else item.exercise]

    # ---- outputs --------------------------------------------------------------------

    @property
    def speaking(self) -> bool:
        return self.planner.speaking

    def say(self, kind: str, text: str, stale: bool = False, urgent: bool = False) -> None:
        for u in self.planner.say(Utterance(text, kind, urgent=urgent, stale_after_count=stale)):
            self.actions.append(Say(u.text, u.kind, u.urgent))

    def speech_finished(self) -> bool:
        """The oldest phrase in flight has ended; False: none was."""
        done, released = self.planner.finished()
        self.actions.extend(Say(u.text, u.kind, u.urgent) for u in released)
        return done is not None

    def event(self, kind: str, detail: dict | None = None) -> None:
        self.actions.append(Event(kind, detail or {}))

    def enter(self, step: Step) -> None:
        if step is not self.step:
            self.step = step
            if step not in (Step.EXERCISE, Step.TEST):
                self.phase = ''
            self.event('step', {'step': step.value})

    def set_detail(self) -> dict:
        return {'exercise': getattr(self.item, 'exercise', ''), 'set': self.set_index}

    def end_set(self) -> None:
        """No set or test under way any more (done, interrupted, or help needed)."""
        self.counter = None
        self.phase = ''

    def state(self) -> StateChanged:
        """What the coach shows (coach/state): the step; the exercise being introduced or
        done and its target; the count so far; the set being done, or during a rest the
        one that comes next. A clinical test shows sit_to_stand (target 5 for the
        five-times test, 0 for the 30-second test)."""
        exercise, target, sets = '', 0, 0
        item = self.item
        if isinstance(item, ExerciseItem) and self.step in (Step.EXERCISE, Step.REST):
            sets = item.sets
            if self.step is Step.EXERCISE:
                exercise, target = item.exercise, item.repetitions
        elif isinstance(item, ClinicalTestItem) and self.step is Step.TEST:
            exercise = 'sit_to_stand'
            target = 5 if item.test == 'five_times_sit_to_stand' else 0
        counting = self.counter is not None and self.step in (Step.EXERCISE, Step.TEST)
        return StateChanged(
            routine=ROUTINE_NAME, step=self.step.value if self.step else '', exercise=exercise,
            count=self.counter.count if counting else 0, target=target,
            set_index=self.set_index if sets else 0, sets=sets)
