"""A clinical test (30-second chair stand, five-times sit-to-stand), where the programme
puts it. Timed on the real clock from the moment "go" has been spoken: a test measures her,
so nothing stretches it."""
from __future__ import annotations

from py_trees.common import Status

from ..clinical import CHAIR_STAND_SECONDS, chair_stand_30s, five_times_sit_to_stand
from ..counting import ExerciseTracker
from ..programme import ClinicalTestItem
from ..rep_counter import Gap, Rep
from ..routine import Counted
from .base import MorningBehaviour, Prompt
from .context import Step
from .exercise_set import ask_for_position, ready


class ClinicalTest(MorningBehaviour):
    def __init__(self, morning, index: int, item: ClinicalTestItem):
        super().__init__(f'Test: {item.test}', morning)
        self.index, self.item = index, item
        self.pauses_before = 0
        self.exercise = morning.exercises['sit_to_stand']
        self.target = 5 if item.test == 'five_times_sit_to_stand' else 0
        self.finished = False

    def initialise(self):
        self.started = False
        self.prompt: Prompt | None = None
        self.go: float | None = None

    def update(self) -> Status:
        m = self.m
        if self.finished:
            return Status.SUCCESS
        if self.started and len(m.pauses) > self.pauses_before:
            # a test measures her in one go: paused half-way, it is done again from the start
            m.event('test_restarted', {'test': self.item.test, 'reason': 'paused'})
            self.initialise()
        if not self.started:
            if m.speaking:
                return self.waiting('letting the last words be heard')
            self.started = True
            self.pauses_before = len(m.pauses)
            m.item_index, m.set_index = self.index, 0
            m.end_set()
            m.enter(Step.TEST)
            m.phase = 'intro'
            m.say('test_intro', m.phrases.test_intro(self.item.test))
        if m.phase == 'intro':
            if m.speaking:
                return self.waiting('explaining the test')
            if ready(m, self.exercise):
                self._ready_go()
            else:
                self.prompt = ask_for_position(m, self.exercise)
        if m.phase == 'position':
            if ready(m, self.exercise):
                self._ready_go()
            elif self.prompt.expired():
                return Status.FAILURE
            else:
                return self.waiting('waiting for her to sit')
        self._follow_frame()   # from "ready": the counter needs her seated lead-in
        if self.go is None:
            if m.speaking:
                return self.waiting('ready, set, go')
            self.go = m.now
            m.event('test_started', {'test': self.item.test, 'go': self.go})
        if not self.finished and not m.speaking:
            self._check_time()
        return Status.SUCCESS if self.finished else self.waiting(
            f'{self.item.test}: {m.now - self.go:.0f} s')

    def _ready_go(self):
        m = self.m
        self.prompt = None
        m.counter = ExerciseTracker(self.exercise, None)
        m.say('ready_go', m.phrases.text('ready_go'))
        m.phase = 'counting'

    def _follow_frame(self):
        m = self.m
        if m.frame is None:
            return
        t, frame = m.frame
        for event in m.counter.update(t, frame):
            if isinstance(event, Gap):
                m.event('signal_gap', {**m.set_detail(), 'start': event.start,
                                       'end': event.end, 'side': event.side})
            if not isinstance(event, Rep) or self.go is None or self.finished:
                continue
            # Stands that began before "go" (a false start) are not part of the test.
            number = sum(1 for rep in m.counter.reps
                         if (rep.up_at if rep.up_at is not None else rep.end) >= self.go)
            if number == 0:
                continue
            m.actions.append(Counted(event, self.target))
            m.event('repetition', {'test': self.item.test, 'number': number,
                                   'start': event.start, 'end': event.end, 'peak': event.peak})
            m.say('count', m.phrases.number(min(number, 99)))
            if self.item.test == 'five_times_sit_to_stand':
                seconds = five_times_sit_to_stand(self.go, m.counter.reps)
                if seconds is not None:
                    self._result(seconds)

    def _check_time(self):
        m = self.m
        if self.item.test == 'chair_stand_30s' and m.now >= self.go + CHAIR_STAND_SECONDS:
            self._result(chair_stand_30s(self.go, m.counter.reps, m.counter.up_since))
        elif self.item.test == 'five_times_sit_to_stand' and \
                m.now >= self.go + m.settings.five_times_limit:
            self._result(None)

    def _result(self, value):
        m, test = self.m, self.item.test
        m.measures[test] = value
        unit = 'stands' if test == 'chair_stand_30s' else 'seconds'
        m.event('clinical_measure', {'test': test, 'value': value, 'unit': unit,
                                     'completed': value is not None})
        m.phase = 'done'
        self.finished = True
        m.say('test_stop', m.phrases.text('test_stop'))
        if value is None:
            text = m.phrases.text('result_not_completed')
        elif test == 'chair_stand_30s':
            text = m.phrases.chair_stand_result(value)
        else:
            text = m.phrases.five_times_result(value)
        m.say('test_result', text)
        m.item_index = self.index + 1
