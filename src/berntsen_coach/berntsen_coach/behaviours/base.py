"""The pieces every behaviour of a morning is made of: a behaviour that knows the morning,
a prompt with re-prompts and patience, and the two ways a part of the tree is held or
restarted (the robot cannot see; she lay down again)."""
from __future__ import annotations

import typing

import py_trees
from py_trees.common import Status

from ..routine import Posture
from .context import Morning, Step

# Steps in which lying down (in bed, not on the floor) means "went back to bed".
UPRIGHT_STEPS = frozenset({Step.STAND_UP, Step.EXERCISE, Step.REST, Step.TEST})


class MorningBehaviour(py_trees.behaviour.Behaviour):
    """A behaviour of one morning. `feedback_message` says, in words, what it waits for."""

    def __init__(self, name: str, morning: Morning):
        super().__init__(name)
        self.m = morning

    def waiting(self, why: str) -> Status:
        self.feedback_message = why
        return Status.RUNNING


class Prompt:
    """A prompt said once, said again `reprompt_after` s after it was last heard and given
    up on `patience` s after it was first heard (on the routine's clock, so an outage of the
    camera does not count against her). Heard means: said, and nothing left to say."""

    def __init__(self, m: Morning, kind: str, text: str, again: str, reason: str):
        self.m, self.again, self.reason = m, again, reason
        self.first: float | None = None
        self.last: float | None = None
        self._unheard = True
        m.say(kind, text)

    def expired(self) -> bool:
        """Re-prompts as time passes; True once patience has run out."""
        m = self.m
        if m.speaking:
            return False
        if self._unheard:
            self._unheard = False
            self.last = m.clock
            self.first = self.last if self.first is None else self.first
        if m.clock - self.first >= m.settings.patience:
            m.no_response_reason = self.reason
            return True
        if m.clock - self.last >= m.settings.reprompt_after:
            # in the log too: how often a person had to be asked is worth a nurse's look
            m.event('reprompt', {'step': m.step.value})
            m.say('reprompt', self.again)
            self._unheard = True
        return False


class Suspend(py_trees.composites.Selector):
    """A priority selector whose lower branch is held, not stopped: while `when()` holds,
    tick `interrupt` and leave `body` as it is (a set under way keeps its count); the
    routine's clock stands still meanwhile (Morning.clock). When it no longer holds,
    `on_resume()` and the body goes on where it was."""

    def __init__(self, name: str, when: typing.Callable[[], bool],
                 interrupt: py_trees.behaviour.Behaviour, body: py_trees.behaviour.Behaviour,
                 on_resume: typing.Callable[[], None]):
        super().__init__(name, memory=False, children=[interrupt, body])
        self.when, self.interrupt, self.body, self.on_resume = when, interrupt, body, on_resume

    def tick(self) -> typing.Iterator[py_trees.behaviour.Behaviour]:
        if self.status != Status.RUNNING:
            self.initialise()
        if self.when():
            self.current_child = self.interrupt
            yield from self.interrupt.tick()
            self.status = Status.RUNNING
            yield self
            return
        if self.interrupt.status != Status.INVALID:
            self.interrupt.stop(Status.INVALID)
            self.on_resume()
        self.current_child = self.body
        yield from self.body.tick()
        self.status = self.body.status
        yield self


class BackToBedRestarts(py_trees.decorators.Decorator):
    """Once she is up, lying down again (in bed: the floor is another matter) during a
    standing-up, a set, a rest or a test is met gently: it is said, a set under way is
    recorded as interrupted, and the part below starts again from the top (sit up, stand
    up); what was done stays done, and the interrupted set is counted again from zero."""

    def __init__(self, name: str, morning: Morning, child: py_trees.behaviour.Behaviour):
        super().__init__(name, child)
        self.m = morning

    def tick(self) -> typing.Iterator[py_trees.behaviour.Behaviour]:
        m = self.m
        if self.status == Status.RUNNING and m.step in UPRIGHT_STEPS \
                and m.stable_posture() is Posture.LYING:
            m.event('lay_down_again', {'step': m.step.value})
            if m.counter is not None and m.step is Step.EXERCISE:
                m.event('set_interrupted', m.set_detail())
            m.end_set()
            m.planner.clear()
            m.say('lay_down_again', m.phrases.text('lay_down_again', name=m.name))
            self.decorated.stop(Status.INVALID)
        yield from super().tick()

    def update(self) -> Status:
        return self.decorated.status
