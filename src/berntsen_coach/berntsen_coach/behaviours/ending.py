"""How a morning ends: the summary, goodbye, done; or nobody answering."""
from __future__ import annotations

from py_trees.common import Status

from ..routine import AlertCaregiver
from .base import MorningBehaviour
from .context import Step


class Summary(MorningBehaviour):
    def __init__(self, morning):
        super().__init__('Summary', morning)

    def initialise(self):
        self.said = False

    def update(self) -> Status:
        m = self.m
        if not self.said:
            if m.speaking:
                return self.waiting('letting the last words be heard')
            self.said = True
            m.item_index = len(m.programme.items)
            m.enter(Step.SUMMARY)
            lang = m.phrases.language
            parts = [(count, m.exercises[name].spoken.get(lang, name))
                     for name, count in m.totals.items()]
            m.event('session_completed', {'repetitions': dict(m.totals),
                                          'measures': dict(m.measures)})
            m.say('summary', m.phrases.summary(parts))
        return self.waiting('telling her what she did') if m.speaking else Status.SUCCESS


class Goodbye(MorningBehaviour):
    def __init__(self, morning):
        super().__init__('Goodbye', morning)

    def initialise(self):
        self.m.enter(Step.GOODBYE)
        self.m.say('goodbye', self.m.phrases.goodbye(self.m.name))

    def update(self) -> Status:
        return self.waiting('saying goodbye') if self.m.speaking else Status.SUCCESS


class Done(MorningBehaviour):
    """The morning is over: the robot may drive away."""

    def __init__(self, morning):
        super().__init__('Done', morning)

    def initialise(self):
        self.m.enter(Step.DONE)

    def update(self) -> Status:
        return self.waiting('the session is over')


class NoResponse(MorningBehaviour):
    """She did not answer within a step's patience: a caregiver is told, she hears it."""

    def __init__(self, morning):
        super().__init__('No response: call a caregiver', morning)

    def initialise(self):
        m = self.m
        reason = m.no_response_reason
        m.actions.append(AlertCaregiver(reason, urgent=False))
        m.event('no_response', {'reason': reason, 'step': m.step.value})
        m.end_set()
        m.say('caregiver_called', m.phrases.text('caregiver_called', name=m.name))
        m.enter(Step.NO_RESPONSE)

    def update(self) -> Status:
        return self.waiting(f'a caregiver was called: {self.m.no_response_reason}')
