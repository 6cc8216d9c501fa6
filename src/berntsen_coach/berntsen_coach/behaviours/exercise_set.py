"""One set of an exercise, and the rest after it."""
from __future__ import annotations

from py_trees.common import Status

from ..counting import ExerciseTracker
from ..programme import ExerciseItem
from ..rep_counter import Gap, Partial, Rep, TooFast
from ..routine import Counted, Posture
from .base import MorningBehaviour, Prompt
from .context import Morning, Step

# s a person must hold another posture than the set's ready one before she is asked back
# into it: longer than the bottom of a deep squat, which a posture estimate may read as sitting
LEFT_POSITION_AFTER = 2.5
READY_POSTURES = {'sitting': Posture.SITTING, 'standing': Posture.STANDING,
                  'lying': Posture.LYING}


def ready(m: Morning, exercise) -> bool:
    wanted = exercise.ready_posture
    return wanted == 'any' or m.stable_posture() is READY_POSTURES[wanted]


def ask_for_position(m: Morning, exercise) -> Prompt:
    m.phase = 'position'
    key = {'sitting': 'sit_for_exercise', 'lying': 'lie_for_exercise'}.get(
        exercise.ready_posture, 'stand_for_exercise')
    text = m.phrases.text(key)
    return Prompt(m, key, text, text,
                  f'ready position not taken within {m.settings.patience:.0f} s')


class ItemProgress:
    """What the sets and rests of one programme item share: where it was left."""

    def __init__(self):
        self.left_after: int | None = None   # the set after which the item was left
        self.resume = False                  # interrupted: say its introduction again

    def left_before(self, number: int) -> bool:
        return self.left_after is not None and number > self.left_after


class ExerciseSet(MorningBehaviour):
    """Introduce the exercise (on its first set, or again after an interruption), get her
    into its ready position, count until the target or until she stalls for set_patience."""

    def __init__(self, morning, index: int, item: ExerciseItem, number: int,
                 progress: ItemProgress):
        super().__init__(f'{item.exercise}: set {number} of {item.sets}', morning)
        self.index, self.item, self.number, self.progress = index, item, number, progress
        self.exercise = morning.exercises[item.exercise]
        self.finished = False

    def initialise(self):
        self.started = False
        self.prompt: Prompt | None = None

    def terminate(self, new_status):
        if new_status is Status.INVALID and self.started and not self.finished:
            self.progress.resume = True

    def update(self) -> Status:
        m = self.m
        if self.finished or self.progress.left_before(self.number):
            return Status.SUCCESS
        if not self.started:
            if m.speaking:
                return self.waiting('letting the last words be heard')
            if self.item.in_bed and m.up():   # already up: not sent back to bed for it
                self.progress.left_after = 0
                m.event('in_bed_exercise_skipped', {'exercise': self.item.exercise})
                return Status.SUCCESS
            self._introduce()
        if m.phase == 'intro':
            if m.speaking:
                return self.waiting('introducing the exercise')
            self._position()
        if m.phase == 'position':
            if ready(m, self.exercise):
                self._count()
            elif self.prompt.expired():
                return Status.FAILURE
            else:
                return self.waiting('waiting for her ready position')
        self._follow_frame()
        if self.finished:
            return Status.SUCCESS
        if not ready(m, self.exercise) and m.stable_posture() is not None \
                and m.posture.held_for() >= LEFT_POSITION_AFTER:
            self._left_position()
        elif not m.speaking:
            self._check_stall()
        return Status.SUCCESS if self.finished else self.waiting(
            f'counting: {m.counter.count} of {self.item.repetitions}')

    def _introduce(self):
        m, item = self.m, self.item
        self.started = True
        m.item_index, m.set_index = self.index, self.number
        m.end_set()
        m.enter(Step.EXERCISE)
        m.phase = 'intro'
        if self.number == 1 or self.progress.resume:
            self.progress.resume = False
            m.say('intro', m.phrases.format_intro(self.exercise.intro[m.phrases.language],
                                                  item.repetitions))
        if item.sets > 1:
            m.say('set', m.phrases.set_of(self.number, item.sets))

    def _position(self):
        if ready(self.m, self.exercise):
            self._count()
        else:
            self.prompt = ask_for_position(self.m, self.exercise)

    def _count(self):
        m = self.m
        self.prompt = None
        self.last_progress, self.keep_going_at = m.clock, None
        m.phase = 'counting'
        if m.counter is not None:   # back in position in the middle of a set: the count stands
            m.event('set_resumed', {**m.set_detail(), 'count': m.counter.count})
            return
        m.counter = ExerciseTracker(self.exercise, self.item.goal)
        self.cue_given, self.gaps, self.outages_before = False, 0, m.outages
        self.pauses_before = len(m.pauses)
        m.event('set_started', m.set_detail())

    def _left_position(self):
        """She sat down (or got up) in the middle of a set: ask her back; the count stands."""
        m = self.m
        m.event('left_ready_position', {**m.set_detail(),
                                        'posture': m.stable_posture().name.lower(),
                                        'count': m.counter.count})
        m.counter.get_ready_again()
        self.prompt = ask_for_position(m, self.exercise)

    def _follow_frame(self):
        m = self.m
        if m.frame is None or m.phase != 'counting':
            return
        if len(m.pauses) > self.pauses_before:
            # back from a pause: what she did meanwhile is no repetition; she settles first
            self.pauses_before = len(m.pauses)
            m.counter.get_ready_again()
        t, frame = m.frame
        for event in m.counter.update(t, frame):
            if isinstance(event, Gap):
                if any(event.start <= end and start <= event.end for start, end in m.pauses):
                    continue   # the pause itself: nothing was missed
                m.event('signal_gap', {**m.set_detail(), 'start': event.start,
                                       'end': event.end, 'side': event.side})
                self.gaps += 1   # what she did meanwhile may be missing from the count
            else:
                self._counter_event(event)
            if self.finished:
                break

    def _counter_event(self, event):
        m, item = self.m, self.item
        cue = self.exercise.cue_for(event)
        if isinstance(event, (Partial, TooFast)):
            kind = 'partial_repetition' if isinstance(event, Partial) else 'too_fast_repetition'
            m.event(kind, {**m.set_detail(), 'start': event.start, 'end': event.end,
                           'peak': event.peak})
            if cue is not None and not self.cue_given:
                self._cue(cue)
            return
        rep: Rep = event
        self.last_progress, self.keep_going_at = m.clock, None
        m.totals[item.exercise] = m.totals.get(item.exercise, 0) + 1
        m.actions.append(Counted(rep, item.repetitions))
        m.event('repetition', {**m.set_detail(), 'number': rep.number, 'start': rep.start,
                               'end': rep.end, 'peak': rep.peak, 'side': rep.side})
        m.say('count', m.phrases.number(rep.number))
        self.cue_given = False
        n, target = rep.number, item.repetitions
        if n >= target:
            self._finish(complete=True)
        elif cue is not None:   # at most one more sentence per repetition; a form cue first
            self._cue(cue)
        elif n == target - 1 and target >= 3:
            m.say('last_one', m.phrases.text('last_one'), stale=True)
        elif n == target // 2 and target >= 6:
            m.say('halfway', m.phrases.text('halfway'), stale=True)
        elif n % m.settings.praise_every == 0:
            m.say('praise', m.praise.next(), stale=True)

    def _cue(self, cue):
        m = self.m
        self.cue_given = True
        text = cue.text[m.phrases.language]
        m.event('cue', {**m.set_detail(), 'cue': cue.kind, 'text': text})
        m.say('cue', text, stale=True)

    def _check_stall(self):
        m, settings = self.m, self.m.settings
        idle = m.clock - self.last_progress
        if idle >= settings.set_patience:
            self._finish(complete=False)
        elif idle >= settings.reprompt_after and (
                self.keep_going_at is None
                or m.clock - self.keep_going_at >= settings.reprompt_after):
            self.keep_going_at = m.clock
            m.say('keep_going', m.phrases.text('keep_going'))

    def _finish(self, complete: bool):
        m, item = self.m, self.item
        detail = {**m.set_detail(), 'count': m.counter.count, 'target': item.repetitions}
        gaps = self.gaps + m.outages - self.outages_before
        if gaps:   # honest: repetitions done while it saw nothing are not in the count
            detail.update(outages=gaps, may_have_missed=True)
        m.event('set_completed' if complete else 'set_incomplete', detail)
        m.phase = 'done'
        self.finished = True
        if complete:
            m.say('set_done', m.phrases.text('set_done'))
        if self.number >= item.sets or not complete:
            self.progress.left_after = self.number
            m.item_index, m.set_index = self.index + 1, 0
        else:
            m.set_index = self.number + 1


class Rest(MorningBehaviour):
    """A rest after a set: said, timed on the routine's clock, a countdown near its end."""

    def __init__(self, morning, seconds: float, after_set: int, progress: ItemProgress,
                 last_item: bool):
        super().__init__(f'Rest {seconds:g} s', morning)
        self.seconds, self.after_set, self.progress = seconds, after_set, progress
        self.last_item = last_item
        self.done = False

    def initialise(self):
        self.until = None
        self.started = self.over = False

    def terminate(self, new_status):
        if new_status is Status.INVALID and self.started and not self.done:
            self.done = True   # interrupted: the next set follows without it
            self.progress.resume = True

    def update(self) -> Status:
        m = self.m
        left_early = self.progress.left_after is not None and (
            self.progress.left_after < self.after_set
            or (self.progress.left_after == self.after_set and self.last_item))
        if self.done or left_early:
            return Status.SUCCESS
        if not self.started:
            self.started = True
            m.enter(Step.REST)
            m.event('rest_started', {'seconds': self.seconds})
            self.countdown_said = self.seconds < 2 * m.settings.rest_countdown
            m.say('rest', m.phrases.text('rest', seconds=f'{self.seconds:g}'))
        if m.speaking:
            return self.waiting('resting')
        if self.over:
            self.done = True
            return Status.SUCCESS
        if self.until is None:
            self.until = m.clock + self.seconds
        left = self.until - m.clock
        if left <= 0:
            self.over = True
            m.say('rest_over', m.phrases.text('rest_over'))
        elif not self.countdown_said and left <= m.settings.rest_countdown:
            self.countdown_said = True
            m.say('rest_left', m.phrases.text(
                'rest_left', seconds=f'{m.settings.rest_countdown:g}'))
        return self.waiting(f'resting, {max(left, 0):.0f} s left')
