"""From the door to her feet: drive up, greet, wake her, sit up, stand up."""
from __future__ import annotations

from py_trees.common import Status

from ..routine import Posture
from .base import MorningBehaviour, Prompt
from .context import Step


class Approach(MorningBehaviour):
    """Drive to the bedside: the coach node runs the `approach` action while this runs and
    reports the result (`Morning.arrived` / `approach_failed`)."""

    def __init__(self, morning):
        super().__init__('Approach the bed', morning)

    def initialise(self):
        self.m.enter(Step.APPROACH)

    def update(self) -> Status:
        m = self.m
        if m.arrived:
            m.event('arrived')
            return Status.SUCCESS
        if m.approach_failed is not None:
            m.event('approach_failed', {'reason': m.approach_failed})
            return Status.SUCCESS   # greet from here
        return self.waiting('driving to the person')


class Greet(MorningBehaviour):
    def __init__(self, morning):
        super().__init__('Greet', morning)

    def initialise(self):
        m = self.m
        m.enter(Step.GREET)
        text = m.phrases.greeting(m.name)
        if m.approach_failed is not None:   # she hears why it stays over there
            text += ' ' + m.phrases.text('from_here')
        m.say('greeting', text)

    def update(self) -> Status:
        return self.waiting('greeting') if self.m.speaking else Status.SUCCESS


class WakeUp(MorningBehaviour):
    """Lying, or not seen yet: make sure she is awake, and give her `wake_wait` s."""

    def __init__(self, morning):
        super().__init__('Wake up', morning)

    def initialise(self):
        self.until = None
        self.woken = False

    def update(self) -> Status:
        m = self.m
        if m.up():
            return Status.SUCCESS
        if not self.woken:
            self.woken = True
            m.enter(Step.WAKE)
            m.say('wake', m.phrases.text('wake', name=m.name))
        if m.speaking:
            return self.waiting('saying good morning')
        if self.until is None:
            self.until = m.clock + m.settings.wake_wait
        if m.clock >= self.until:
            return Status.SUCCESS
        return self.waiting(f'giving her {self.until - m.clock:.0f} s to wake')


class AskForPosture(MorningBehaviour):
    """Ask for a posture and wait for it, re-prompting; no answer within patience: FAILURE
    (a caregiver is called). Done at once when she already holds it."""

    step: Step
    key: str

    def initialise(self):
        self.prompt: Prompt | None = None

    def reached(self) -> bool:
        raise NotImplementedError

    def update(self) -> Status:
        m = self.m
        if self.reached():
            return Status.SUCCESS
        if self.prompt is None:
            m.enter(self.step)
            patience = m.settings.patience
            self.prompt = Prompt(m, self.key, m.phrases.text(self.key),
                                 m.phrases.text(f'{self.key}_again', name=m.name),
                                 f'no response to "{self.key}" within {patience:.0f} s')
        if self.prompt.expired():
            return Status.FAILURE
        return self.waiting(f'waiting for her to {self.key.replace("_", " ")}')


class SitUp(AskForPosture):
    step, key = Step.SIT_UP, 'sit_up'

    def __init__(self, morning):
        super().__init__('Sit up', morning)

    def reached(self) -> bool:
        return self.m.up()


class StandUp(AskForPosture):
    step, key = Step.STAND_UP, 'stand_up'

    def __init__(self, morning):
        super().__init__('Stand up', morning)

    def reached(self) -> bool:
        return self.m.stable_posture() is Posture.STANDING
