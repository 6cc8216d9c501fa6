"""The full `morning` routine as an explicit state machine (no ROS imports).

    approach → greet → wake (if lying) → [in-bed exercise ⇄ rest] → sit_up → stand_up
             → exercise ⇄ rest / test → summary → goodbye → done

Exercises done lying in bed (heel slides, leg raises) come first in a programme and are
done before getting up, by a person still in bed; a person who is already up when greeted
is not sent back to bed for them. A programme with `gets_up: false` (a person who cannot
get up yet) holds only those, and the person is never asked to sit up or stand.

A person who leaves the ready position in the middle of a set (sits down during a standing
exercise, for longer than LEFT_POSITION_AFTER s) is asked for it again; the set's count
stands and counting resumes once she holds it (`set_resumed`).

Ways out, from any step:
  - the person lies down again (stable LYING, not on the floor) during stand_up, exercise,
    rest or test: a gentle re-prompt and back to sit_up; the programme resumes at the set
    that was interrupted (counted again from zero);
  - no response within a step's patience (sit_up, stand_up, the ready posture of a set):
    `AlertCaregiver(reason)`, a kind sentence, step `no_response` (final);
  - a person LYING with on_floor: at once an urgent "stay where you are, I am calling for
    help" (`Say(urgent=True)`) and `AlertCaregiver(urgent=True)`, step `help`, reassurance
    every `floor_reassure_every` s until the node calls `stop()`.

Driven by timestamped events (`start`, `on_arrived`, `on_approach_failed`, `on_posture`,
`on_frame`, `on_speech_finished`, `tick`, `stop`), each answered with a list of actions:
  Say(text, kind, urgent)     send to the speech server; report its end with
                              on_speech_finished (one call per Say, in order)
  Counted(rep, target)        a repetition was counted
  StateChanged(routine, step, exercise, count, target, set_index, sets)   publish it
  Event(kind, detail)         write it to the session log
  AlertCaregiver(reason, urgent)

Speech goes through a `SpeechPlanner` (feedback.py): one utterance at a time, counts merged
when speech lags. A step that "says X, then waits" starts its clock when X has been spoken.

Coach state (for screens and tools): `exercise` and `target` name the exercise being
introduced or done, `count` the repetitions counted so far; `set_index`/`sets` name the set
being done, or during `rest` the set that comes next. Clinical tests show step `test` with
exercise `sit_to_stand` (target 5 for the five-times test, 0 for the 30-second test).
Motion is allowed only while approaching and after the routine has ended (`motion_allowed`).
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Callable, Mapping

from .clinical import chair_stand_30s, five_times_sit_to_stand, CHAIR_STAND_SECONDS
from .counting import ExerciseTracker
from .exercises import BodyFrame, Exercise
from .feedback import PraiseRotation, SpeechPlanner, Utterance
from .phrases import Phrases
from .programme import ClinicalTestItem, ExerciseItem, Programme
from .rep_counter import Gap, Partial, Rep, TooFast
from .routine import AlertCaregiver, Counted, Event, Posture, Say, StateChanged

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
# s a person must hold another posture than the set's ready one before she is asked back
# into it: longer than the bottom of a deep squat, which a posture estimate may read as sitting
LEFT_POSITION_AFTER = 2.5
# Steps in which lying down (not on the floor) means "went back to bed".
_UPRIGHT_STEPS = frozenset({Step.STAND_UP, Step.EXERCISE, Step.REST, Step.TEST})


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


def _check_time(t: float) -> float:
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise ValueError(f'event time must be a finite number, got {t!r}')
    return float(t)


class _PostureTracker:
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


class _Wait:
    """A prompt with re-prompts and a patience limit, timed from when it was spoken."""

    def __init__(self, reprompt: Callable[[], str], reason: str):
        self.reprompt, self.reason = reprompt, reason
        self.first: float | None = None
        self.last: float | None = None

    def spoken(self, t: float) -> None:
        if self.first is None:
            self.first = t
        self.last = t


class CoachRoutine:
    def __init__(self, programme: Programme, exercises: Mapping[str, Exercise],
                 settings: RoutineSettings = RoutineSettings()):
        self.programme = programme
        self.exercises = exercises
        self.settings = settings
        self.phrases = Phrases(programme.language)
        for item in programme.items:
            if isinstance(item, ExerciseItem):
                if item.exercise not in exercises:
                    raise ValueError(f'programme exercise {item.exercise!r} is not defined')
                if self.phrases.language not in exercises[item.exercise].intro:
                    raise ValueError(f'exercise {item.exercise!r} has no '
                                     f'{self.phrases.language!r} intro')
            elif 'sit_to_stand' not in exercises:
                raise ValueError('clinical tests need the sit_to_stand exercise')
        self.step: Step | None = None
        self.programme_started = False
        self.phase = ''                 # within exercise/test: intro, position, counting
        self.item_index = 0
        self.set_index = 0
        self.counter: ExerciseTracker | None = None
        self.totals: dict[str, int] = {}       # counted repetitions per exercise
        self.measures: dict[str, float | int | None] = {}
        self._planner = SpeechPlanner()
        self._praise = PraiseRotation(self.phrases.praises, settings.seed)
        self._posture = _PostureTracker(settings.posture_stable_for,
                                        settings.posture_gap_tolerance)
        self._on_quiet: Callable[[float, list], None] | None = None
        self._wait: _Wait | None = None
        self._wake_until: float | None = None
        self._bed_part = False           # doing the in-bed exercises: lying is expected
        self._published: StateChanged | None = None
        self._cue_given = False          # a corrective cue since the last counted rep
        self._last_progress = 0.0        # set: start of counting or last repetition
        self._keep_going_at: float | None = None
        self._rest_until: float | None = None
        self._countdown_said = False
        self._go: float | None = None
        self._reassure_at: float | None = None
        self._blind_since: float | None = None   # perception (camera, pose node) is down
        self._blind_alerted = False
        self._set_gaps = 0               # outages of perception or of her signal, this set
        self._now = 0.0

    # ---- what the node asks -------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self.step is not None

    @property
    def speaking(self) -> bool:
        return self._planner.speaking

    @property
    def finished(self) -> bool:
        """In a final step with nothing left to say: the node may stop."""
        return self.step in FINAL_STEPS and not self.speaking

    @property
    def wants_approach(self) -> bool:
        """The robot should drive to the bedside (then call on_arrived)."""
        return self.step is Step.APPROACH

    @property
    def motion_allowed(self) -> bool:
        """Never while the person gets up, exercises, rests or needs help."""
        return self.step is Step.APPROACH or self.step in FINAL_STEPS

    @property
    def current_exercise(self) -> Exercise | None:
        """The exercise whose signal the node should compute now (None: nothing to count)."""
        return self._current_exercise() if self.item is not None else None

    @property
    def item(self):
        items = self.programme.items
        return items[self.item_index] if self.item_index < len(items) else None

    def state(self) -> StateChanged:
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

    # ---- events -------------------------------------------------------------------------

    def start(self, now: float) -> list:
        now = self._time(now)
        if self.started:
            raise RuntimeError('the routine has already started')
        actions: list = [Event('session_started', {
            'patient_id': self.programme.patient_id, 'language': self.phrases.language,
            'programme': self.programme.source})]
        if self.settings.approach:
            self._enter(Step.APPROACH, actions)
        else:
            self._greet(now, actions)
        return self._with_state(actions)

    def on_arrived(self, now: float) -> list:
        """The robot reached the configured distance from the person."""
        now = self._time(now)
        actions: list = []
        if self.step is Step.APPROACH:
            actions.append(Event('arrived', {}))
            self._greet(now, actions)
        return self._with_state(actions)

    def on_approach_failed(self, now: float, reason: str) -> list:
        """The robot could not reach the person (lost, timeout, e-stop): greet from here."""
        now = self._time(now)
        if not isinstance(reason, str):
            raise TypeError(f'reason must be a str, got {reason!r}')
        actions: list = []
        if self.step is Step.APPROACH:
            actions.append(Event('approach_failed', {'reason': reason}))
            self._greet(now, actions, from_here=True)   # she is told why it stays over there
        return self._with_state(actions)

    def on_posture(self, now: float, posture: Posture, on_floor: bool = False) -> list:
        now = self._time(now)
        if not isinstance(posture, Posture):
            raise TypeError(f'posture must be a Posture, got {posture!r}')
        actions: list = []
        if self.step is None or self.step in (Step.HELP, Step.STOPPED):
            return actions
        if posture is Posture.LYING and on_floor:
            self._floor(now, actions)
            return self._with_state(actions)
        self._posture.update(now, posture)
        self._follow_posture(now, actions)
        return self._with_state(actions)

    def on_frame(self, t: float, frame: BodyFrame | None) -> list:
        """One frame of the person's landmarks (None: the person was not seen)."""
        t = self._time(t)
        actions: list = []
        if self.phase != 'counting' or self.counter is None:
            return actions
        for event in self.counter.update(t, frame):
            if isinstance(event, Gap):
                actions.append(Event('signal_gap', {**self._set_detail(), 'start': event.start,
                                                    'end': event.end, 'side': event.side}))
                self._set_gaps += 1   # what she did meanwhile may be missing from the count
            elif self.step is Step.TEST:
                self._test_event(t, event, actions)
            elif self.step is Step.EXERCISE:
                self._exercise_event(t, event, actions)
            if self.counter is None:   # the set ended
                break
        return self._with_state(actions)

    def on_speech_finished(self, now: float) -> list:
        """The oldest Say in flight has finished (spoken, failed or rejected alike)."""
        now = self._time(now)
        actions: list = []
        done, released = self._planner.finished()
        if done is None:
            return actions
        self._emit(released, actions)
        if not self._planner.speaking and self._on_quiet is not None:
            then, self._on_quiet = self._on_quiet, None
            then(now, actions)
        return self._with_state(actions)

    def on_perception_lost(self, now: float) -> list:
        """The robot sees nothing at all any more (the camera or the pose node is down, not
        the person out of view): say so once, and wait without nagging or giving up."""
        now = self._time(now)
        actions: list = []
        if self.step is None or self.step in FINAL_STEPS or self._blind_since is not None:
            return actions
        self._blind_since = now
        actions.append(Event('perception_lost', {'step': self.step.value, **self._set_detail()}))
        if self.step is not Step.HELP:   # there, reassurance goes on as before
            self._say(actions, 'cannot_see', self.phrases.text('cannot_see'))
        return self._with_state(actions)

    def on_perception_restored(self, now: float) -> list:
        """The robot sees again: every clock that waited on her moves on by the outage, and
        a set under way resumes; its count may lack repetitions done meanwhile."""
        now = self._time(now)
        actions: list = []
        if self._blind_since is None:
            return actions
        gap, self._blind_since, self._blind_alerted = now - self._blind_since, None, False
        actions.append(Event('perception_restored', {'step': getattr(self.step, 'value', ''),
                                                     'gap': round(gap, 2), **self._set_detail()}))
        if self.step is None or self.step in FINAL_STEPS:
            return self._with_state(actions)
        if self._wait is not None and self._wait.first is not None:
            self._wait.first += gap
            self._wait.last += gap
        self._last_progress += gap
        if self._keep_going_at is not None:
            self._keep_going_at += gap
        if self._rest_until is not None:
            self._rest_until += gap
        if self._wake_until is not None:
            self._wake_until += gap
        if self.step is Step.EXERCISE and self.phase == 'counting':
            self._set_gaps += 1
        if self.step is not Step.HELP:
            self._say(actions, 'can_see_again', self.phrases.text('can_see_again'))
        return self._with_state(actions)

    @property
    def blind(self) -> bool:
        return self._blind_since is not None

    def tick(self, now: float) -> list:
        """Time passes: re-prompts, patience, rests, test clocks."""
        now = self._time(now)
        actions: list = []
        if self.step is None or self.step in FINAL_STEPS:
            return actions
        if self.step is Step.HELP:
            if not self.speaking and self._reassure_at is not None and now >= self._reassure_at:
                self._reassure_at = None
                self._say(actions, 'floor_reassure',
                          self.phrases.text('floor_reassure', name=self.programme.patient_name),
                          then=lambda t, a: self._schedule_reassure(t))
            return self._with_state(actions)
        if self.blind and not self._blind_alerted and \
                now - self._blind_since >= self.settings.blind_alert_after:
            # she is told once that it cannot see; a caregiver must know the robot is blind
            self._blind_alerted = True
            actions.append(Event('fault', {'node': 'pose or camera', 'since': self._blind_since,
                                           'step': self.step.value}))
            actions.append(AlertCaregiver('perception_unavailable', urgent=False))
        if self.speaking or self.blind:   # blind: nobody is nagged for what it cannot see
            return self._with_state(actions)
        if self.step is Step.WAKE and self._wake_until is not None and now >= self._wake_until:
            self._wake_until = None
            if self._in_bed(self.item) and not self.programme_started:
                self._begin_programme(now, actions)
            else:
                self._ask(now, actions, Step.SIT_UP)
        elif self._wait is not None and self._wait.first is not None:
            wait = self._wait
            if now - wait.first >= self.settings.patience:
                self._give_up(now, actions, wait.reason)
            elif now - wait.last >= self.settings.reprompt_after:
                # in the log too: how often a person had to be asked is worth a nurse's look
                actions.append(Event('reprompt', {'step': self.step.value}))
                self._say(actions, 'reprompt', wait.reprompt(),
                          then=lambda t, a, w=wait: w.spoken(t))
        elif self.step is Step.EXERCISE and self.phase == 'counting':
            self._check_stall(now, actions)
        elif self.step is Step.REST and self._rest_until is not None:
            self._rest_tick(now, actions)
        elif self.step is Step.TEST and self.phase == 'counting' and self._go is not None:
            self._test_tick(now, actions)
        return self._with_state(actions)

    def stop(self, now: float, reason: str = 'stopped', fault: str = '') -> list:
        """End the session now (a service call, an operator; or, with `fault` naming the
        part that was down, the software giving up); says nothing more."""
        now = self._time(now)
        actions: list = []
        if self.step is None or self.step in FINAL_STEPS:
            return actions
        self._planner.clear()
        self._on_quiet = None
        detail = {'reason': reason, 'fault': fault} if fault else {'reason': reason}
        actions.append(Event('session_stopped', detail))
        self._enter(Step.STOPPED, actions)
        return self._with_state(actions)

    # ---- getting up ---------------------------------------------------------------------

    def _greet(self, now: float, actions: list, from_here: bool = False) -> None:
        self._enter(Step.GREET, actions)
        text = self.phrases.greeting(self.programme.patient_name)
        if from_here:
            text += ' ' + self.phrases.text('from_here')
        self._say(actions, 'greeting', text, then=self._after_greeting)

    def _after_greeting(self, now: float, actions: list) -> None:
        posture = self._posture.stable(now)
        if posture is Posture.STANDING:
            self._begin_programme(now, actions)
        elif posture is Posture.SITTING:
            self._ask(now, actions, Step.STAND_UP)
        else:   # lying, or not seen yet: make sure the person is awake
            self._enter(Step.WAKE, actions)
            self._say(actions, 'wake', self.phrases.text('wake', name=self.programme.patient_name),
                      then=lambda t, a: setattr(self, '_wake_until', t + self.settings.wake_wait))

    def _ask(self, now: float, actions: list, step: Step) -> None:
        """Enter a step that prompts and waits for a posture (sit_up, stand_up)."""
        name = self.programme.patient_name
        key = 'sit_up' if step is Step.SIT_UP else 'stand_up'
        self._enter(step, actions)
        wait = _Wait(lambda: self.phrases.text(f'{key}_again', name=name),
                     f'no response to "{key}" within {self.settings.patience:.0f} s')
        self._wait = wait
        self._say(actions, key, self.phrases.text(key), then=lambda t, a: wait.spoken(t))

    def _follow_posture(self, now: float, actions: list) -> None:
        posture = self._posture.stable(now)
        if posture is None:
            return
        step = self.step
        if step in (Step.WAKE, Step.SIT_UP):
            if posture is Posture.SITTING:
                self._ask(now, actions, Step.STAND_UP)
            elif posture is Posture.STANDING:
                self._resume(now, actions)
        elif step is Step.STAND_UP and posture is Posture.STANDING:
            self._resume(now, actions)
        elif step in _UPRIGHT_STEPS and posture is Posture.LYING and not self._bed_part:
            self._lay_down_again(now, actions)
        elif self.phase == 'position' and self._posture_ok(posture):
            self._start_counting(now, actions)
        elif step is Step.EXERCISE and self.phase == 'counting' and not self._posture_ok(posture) \
                and self._posture.held_for() >= LEFT_POSITION_AFTER:
            self._left_position(now, actions, posture)

    def _left_position(self, now: float, actions: list, posture: Posture) -> None:
        """She sat down (or got up) in the middle of a set: ask her back; the count stands."""
        actions.append(Event('left_ready_position', {**self._set_detail(),
                                                     'posture': posture.name.lower(),
                                                     'count': self.counter.count}))
        self.counter.get_ready_again()
        self._ask_for_position(actions)

    def _lay_down_again(self, now: float, actions: list) -> None:
        actions.append(Event('lay_down_again', {'step': self.step.value}))
        if self.counter is not None and self.step is Step.EXERCISE:
            actions.append(Event('set_interrupted', self._set_detail()))
        self._reset_set()
        self._planner.clear()
        self._on_quiet = None
        self._say(actions, 'lay_down_again',
                  self.phrases.text('lay_down_again', name=self.programme.patient_name))
        self._ask(now, actions, Step.SIT_UP)

    def _resume(self, now: float, actions: list) -> None:
        if not self.programme_started:
            self._begin_programme(now, actions)
        elif self.item is None:
            self._summary(now, actions)
        else:
            self._start_item(now, actions, resume=True)

    # ---- the programme ------------------------------------------------------------------

    def _begin_programme(self, now: float, actions: list) -> None:
        self.programme_started = True
        self.item_index, self.set_index = 0, 0
        self._start_item(now, actions)

    @staticmethod
    def _in_bed(item) -> bool:
        return isinstance(item, ExerciseItem) and item.in_bed

    def _start_item(self, now: float, actions: list, resume: bool = False) -> None:
        posture = self._posture.stable(now)
        while self._in_bed(self.item) and posture in (Posture.SITTING, Posture.STANDING):
            # already up: not sent back to bed for the in-bed exercises
            actions.append(Event('in_bed_exercise_skipped', {'exercise': self.item.exercise}))
            self.item_index, self.set_index = self.item_index + 1, 0
        item = self.item
        if item is None:
            self._summary(now, actions)
            return
        if self._bed_part and not self._in_bed(item):
            # the in-bed part is over: now get up
            self._bed_part = False
            if posture is not Posture.STANDING and posture is not Posture.SITTING:
                self._reset_set()
                self._ask(now, actions, Step.SIT_UP)
                return
        self._bed_part = self._in_bed(item)
        self._reset_set()
        if isinstance(item, ClinicalTestItem):
            self._enter(Step.TEST, actions)
            self.phase = 'intro'
            self._say(actions, 'test_intro', self.phrases.test_intro(item.test),
                      then=self._position)
            return
        if self.set_index == 0:
            self.set_index = 1
        exercise = self.exercises[item.exercise]
        self._enter(Step.EXERCISE, actions)
        self.phase = 'intro'
        if self.set_index == 1 or resume:
            self._say(actions, 'intro', self.phrases.format_intro(
                exercise.intro[self.phrases.language], item.repetitions))
        if item.sets > 1:
            self._say(actions, 'set', self.phrases.set_of(self.set_index, item.sets))
        self._on_quiet = self._position

    def _current_exercise(self) -> Exercise:
        item = self.item
        return self.exercises['sit_to_stand' if isinstance(item, ClinicalTestItem)
                              else item.exercise]

    def _posture_ok(self, posture: Posture | None) -> bool:
        wanted = self._current_exercise().ready_posture
        return wanted == 'any' or posture is {'sitting': Posture.SITTING,
                                              'standing': Posture.STANDING,
                                              'lying': Posture.LYING}[wanted]

    def _position(self, now: float, actions: list) -> None:
        """After the intro: start counting when the ready posture is held, else ask for it."""
        if self._posture_ok(self._posture.stable(now)):
            self._start_counting(now, actions)
            return
        self._ask_for_position(actions)

    def _ask_for_position(self, actions: list) -> None:
        self.phase = 'position'
        key = {'sitting': 'sit_for_exercise', 'lying': 'lie_for_exercise'}.get(
            self._current_exercise().ready_posture, 'stand_for_exercise')
        wait = _Wait(lambda: self.phrases.text(key),
                     f'ready position not taken within {self.settings.patience:.0f} s')
        self._wait = wait
        self._say(actions, key, self.phrases.text(key), then=lambda t, a: wait.spoken(t))

    def _start_counting(self, now: float, actions: list) -> None:
        self._wait = None
        item = self.item
        self._last_progress = now
        self._keep_going_at = None
        if self.counter is not None and self.step is Step.EXERCISE:
            # back in position in the middle of a set: the count so far stands
            self.phase = 'counting'
            actions.append(Event('set_resumed', {**self._set_detail(),
                                                 'count': self.counter.count}))
            return
        self.counter = ExerciseTracker(self._current_exercise(),
                                       item.goal if isinstance(item, ExerciseItem) else None)
        self._cue_given = False
        self._set_gaps = 0
        if self.step is Step.TEST:
            self._say(actions, 'ready_go', self.phrases.text('ready_go'), then=self._test_go)
            self.phase = 'counting'
            return
        self.phase = 'counting'
        actions.append(Event('set_started', self._set_detail()))

    def _exercise_event(self, t: float, event, actions: list) -> None:
        item: ExerciseItem = self.item
        exercise = self.exercises[item.exercise]
        cue = exercise.cue_for(event)
        if isinstance(event, (Partial, TooFast)):
            kind = 'partial_repetition' if isinstance(event, Partial) else 'too_fast_repetition'
            actions.append(Event(kind, {**self._set_detail(), 'start': event.start,
                                        'end': event.end, 'peak': event.peak}))
            if cue is not None and not self._cue_given:
                self._cue(actions, cue)
            return
        rep: Rep = event
        self._last_progress = t
        self._keep_going_at = None
        self.totals[item.exercise] = self.totals.get(item.exercise, 0) + 1
        actions.append(Counted(rep, item.repetitions))
        actions.append(Event('repetition', {**self._set_detail(), 'number': rep.number,
                                            'start': rep.start, 'end': rep.end,
                                            'peak': rep.peak, 'side': rep.side}))
        self._say(actions, 'count', self.phrases.number(rep.number))
        self._cue_given = False
        n, target = rep.number, item.repetitions
        if n >= target:
            self._set_finished(t, actions, complete=True)
            return
        # At most one more sentence per repetition; a form cue comes first.
        if cue is not None:
            self._cue(actions, cue)
        elif n == target - 1 and target >= 3:
            self._say(actions, 'last_one', self.phrases.text('last_one'), stale=True)
        elif n == target // 2 and target >= 6:
            self._say(actions, 'halfway', self.phrases.text('halfway'), stale=True)
        elif n % self.settings.praise_every == 0:
            self._say(actions, 'praise', self._praise.next(), stale=True)

    def _cue(self, actions: list, cue) -> None:
        self._cue_given = True
        text = cue.text[self.phrases.language]
        actions.append(Event('cue', {**self._set_detail(), 'cue': cue.kind, 'text': text}))
        self._say(actions, 'cue', text, stale=True)

    def _check_stall(self, now: float, actions: list) -> None:
        if now - self._last_progress >= self.settings.set_patience:
            self._set_finished(now, actions, complete=False)
        elif now - self._last_progress >= self.settings.reprompt_after and (
                self._keep_going_at is None
                or now - self._keep_going_at >= self.settings.reprompt_after):
            self._keep_going_at = now
            self._say(actions, 'keep_going', self.phrases.text('keep_going'))

    def _set_finished(self, now: float, actions: list, complete: bool) -> None:
        item: ExerciseItem = self.item
        detail = {**self._set_detail(), 'count': self.counter.count, 'target': item.repetitions}
        if self._set_gaps:   # honest: repetitions done while it saw nothing are not in the count
            detail.update(outages=self._set_gaps, may_have_missed=True)
        actions.append(Event('set_completed' if complete else 'set_incomplete', detail))
        self.phase = 'done'
        last_set = self.set_index >= item.sets or not complete
        if complete:
            self._say(actions, 'set_done', self.phrases.text('set_done'))
        if last_set:
            self.item_index += 1
            self.set_index = 0
        else:
            self.set_index += 1
        getting_up_next = item.in_bed and not self._in_bed(self.item)
        self._rest_or_next(now, actions, 0.0 if getting_up_next else item.rest_seconds)

    def _rest_or_next(self, now: float, actions: list, seconds: float) -> None:
        if self.item is None or seconds <= 0:
            self._on_quiet_or_now(now, actions, self._start_next)
            return
        self._enter(Step.REST, actions)
        actions.append(Event('rest_started', {'seconds': seconds}))
        self._countdown_said = seconds < 2 * self.settings.rest_countdown
        self._say(actions, 'rest', self.phrases.text('rest', seconds=f'{seconds:g}'),
                  then=lambda t, a: setattr(self, '_rest_until', t + seconds))

    def _rest_tick(self, now: float, actions: list) -> None:
        left = self._rest_until - now
        if left <= 0:
            self._rest_until = None
            self._say(actions, 'rest_over', self.phrases.text('rest_over'))
            self._on_quiet = self._start_next
        elif not self._countdown_said and left <= self.settings.rest_countdown:
            self._countdown_said = True
            self._say(actions, 'rest_left', self.phrases.text(
                'rest_left', seconds=f'{self.settings.rest_countdown:g}'))

    def _start_next(self, now: float, actions: list) -> None:
        self._start_item(now, actions)

    # ---- clinical tests -----------------------------------------------------------------

    def _test_go(self, now: float, actions: list) -> None:
        self._go = now
        actions.append(Event('test_started', {'test': self.item.test, 'go': now}))

    def _test_event(self, t: float, event, actions: list) -> None:
        if not isinstance(event, Rep) or self._go is None:
            return
        # Stands that began before "go" (a false start) are not part of the test.
        number = sum(1 for rep in self.counter.reps
                     if (rep.up_at if rep.up_at is not None else rep.end) >= self._go)
        if number == 0:
            return
        actions.append(Counted(event, self.state().target))
        actions.append(Event('repetition', {'test': self.item.test, 'number': number,
                                            'start': event.start, 'end': event.end,
                                            'peak': event.peak}))
        self._say(actions, 'count', self.phrases.number(min(number, 99)))
        if self.item.test == 'five_times_sit_to_stand':
            seconds = five_times_sit_to_stand(self._go, self.counter.reps)
            if seconds is not None:
                self._test_result(t, actions, seconds)

    def _test_tick(self, now: float, actions: list) -> None:
        test = self.item.test
        if test == 'chair_stand_30s' and now >= self._go + CHAIR_STAND_SECONDS:
            self._test_result(now, actions, chair_stand_30s(
                self._go, self.counter.reps, self.counter.up_since))
        elif test == 'five_times_sit_to_stand' and \
                now >= self._go + self.settings.five_times_limit:
            self._test_result(now, actions, None)

    def _test_result(self, now: float, actions: list, value) -> None:
        test = self.item.test
        self.measures[test] = value
        unit = 'stands' if test == 'chair_stand_30s' else 'seconds'
        actions.append(Event('clinical_measure', {'test': test, 'value': value, 'unit': unit,
                                                  'completed': value is not None}))
        self.phase = 'done'
        self._go = None
        self._say(actions, 'test_stop', self.phrases.text('test_stop'))
        if value is None:
            text = self.phrases.text('result_not_completed')
        elif test == 'chair_stand_30s':
            text = self.phrases.chair_stand_result(value)
        else:
            text = self.phrases.five_times_result(value)
        self._say(actions, 'test_result', text)
        rest = self.item.rest_seconds
        self.item_index += 1
        self._rest_or_next(now, actions, rest)

    # ---- the end ------------------------------------------------------------------------

    def _summary(self, now: float, actions: list) -> None:
        self._enter(Step.SUMMARY, actions)
        lang = self.phrases.language
        parts = [(count, self.exercises[name].spoken.get(lang, name))
                 for name, count in self.totals.items()]
        actions.append(Event('session_completed', {'repetitions': dict(self.totals),
                                                   'measures': dict(self.measures)}))
        self._say(actions, 'summary', self.phrases.summary(parts), then=self._goodbye)

    def _goodbye(self, now: float, actions: list) -> None:
        self._enter(Step.GOODBYE, actions)
        self._say(actions, 'goodbye', self.phrases.goodbye(self.programme.patient_name),
                  then=lambda t, a: self._enter(Step.DONE, a))

    def _give_up(self, now: float, actions: list, reason: str) -> None:
        self._wait = None
        actions.append(AlertCaregiver(reason, urgent=False))
        actions.append(Event('no_response', {'reason': reason, 'step': self.step.value}))
        self._reset_set()
        self._say(actions, 'caregiver_called',
                  self.phrases.text('caregiver_called', name=self.programme.patient_name))
        self._enter(Step.NO_RESPONSE, actions)

    def _floor(self, now: float, actions: list) -> None:
        reason = f'person lying on the floor (step {self.step.value})'
        self._on_quiet = None
        self._wait = None
        self._reset_set()
        self._emit(self._planner.say(Utterance(
            self.phrases.text('floor_urgent', name=self.programme.patient_name),
            'floor_urgent', urgent=True)), actions)
        actions.append(AlertCaregiver(reason, urgent=True))
        actions.append(Event('fall_suspected', {'step': self.step.value}))
        self._enter(Step.HELP, actions)
        self._on_quiet = lambda t, a: self._schedule_reassure(t)

    def _schedule_reassure(self, t: float) -> None:
        self._reassure_at = t + self.settings.floor_reassure_every

    # ---- helpers ------------------------------------------------------------------------

    def _time(self, t: float) -> float:
        self._now = _check_time(t)
        return self._now

    def _enter(self, step: Step, actions: list) -> None:
        if step is not self.step:
            self.step = step
            if step not in (Step.EXERCISE, Step.TEST):
                self.phase = ''
            if step not in (Step.SIT_UP, Step.STAND_UP):
                self._wait = None
            actions.append(Event('step', {'step': step.value}))

    def _reset_set(self) -> None:
        self.counter = None
        self.phase = ''
        self._go = None
        self._rest_until = None

    def _set_detail(self) -> dict:
        item = self.item
        return {'exercise': getattr(item, 'exercise', ''), 'set': self.set_index}

    def _say(self, actions: list, kind: str, text: str, then=None, stale=False) -> None:
        self._emit(self._planner.say(Utterance(text, kind, stale_after_count=stale)), actions)
        if then is not None:
            self._on_quiet = then

    def _on_quiet_or_now(self, now: float, actions: list, then) -> None:
        if self._planner.speaking:
            self._on_quiet = then
        else:
            then(now, actions)

    @staticmethod
    def _emit(utterances, actions: list) -> None:
        actions.extend(Say(u.text, u.kind, u.urgent) for u in utterances)

    def _with_state(self, actions: list) -> list:
        state = self.state()
        if state != self._published:
            self._published = state
            actions.append(state)
        return actions
