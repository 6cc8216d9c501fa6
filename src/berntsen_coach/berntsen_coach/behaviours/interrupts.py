"""What wins over the morning, highest first: the session stopped, a person on the floor,
the robot unable to see. Each is a condition (is it so?) and a behaviour (what then)."""
from __future__ import annotations

from py_trees.common import Status

from ..routine import AlertCaregiver
from .base import MorningBehaviour
from .context import Step


class Condition(MorningBehaviour):
    """SUCCESS while `holds(morning)`, else FAILURE."""

    def __init__(self, name: str, morning, holds):
        super().__init__(name, morning)
        self.holds = holds

    def update(self) -> Status:
        return Status.SUCCESS if self.holds(self.m) else Status.FAILURE


class Stopped(MorningBehaviour):
    """Stopped (an operator, a service call, or the software giving up): nothing more is
    said; the record says why, and which part was down if one was."""

    def __init__(self, morning):
        super().__init__('Stop the session', morning)

    def initialise(self):
        m = self.m
        m.planner.clear()
        m.event('session_stopped', dict(m.stop_reason))
        m.enter(Step.STOPPED)

    def update(self) -> Status:
        return self.waiting(f"stopped: {self.m.stop_reason['reason']}")


class HelpFromTheFloor(MorningBehaviour):
    """She is lying on the floor: at once an urgent "stay where you are, I am calling for
    help" and an urgent caregiver alert; reassurance every floor_reassure_every s, until
    the session is stopped."""

    def __init__(self, morning):
        super().__init__('Call for help', morning)

    def initialise(self):
        m = self.m
        step = m.step.value
        m.end_set()
        m.say('floor_urgent', m.phrases.text('floor_urgent', name=m.name), urgent=True)
        m.actions.append(AlertCaregiver(f'person lying on the floor (step {step})', urgent=True))
        m.event('fall_suspected', {'step': step})
        m.enter(Step.HELP)
        self.reassure_at = None

    def update(self) -> Status:
        m = self.m
        if m.speaking:
            return self.waiting('help is called; telling her')
        if self.reassure_at is None:   # timed from when the last words were heard
            self.reassure_at = m.now + m.settings.floor_reassure_every
        elif m.now >= self.reassure_at:
            self.reassure_at = None
            m.say('floor_reassure', m.phrases.text('floor_reassure', name=m.name))
        return self.waiting('help is called; staying with her')


class NobodySeen(MorningBehaviour):
    """The camera or the pose node is down (not: she is out of view). She is told once; a
    caregiver after blind_alert_after s; the morning waits, its clock stopped."""

    def __init__(self, morning):
        super().__init__('Cannot see', morning)

    def initialise(self):
        self.alerted = False
        self.m.say('cannot_see', self.m.phrases.text('cannot_see'))

    def update(self) -> Status:
        m = self.m
        if not self.alerted and m.now - m.blind_since >= m.settings.blind_alert_after:
            # a caregiver must know the robot is blind
            self.alerted = True
            m.event('fault', {'node': 'pose or camera', 'since': m.blind_since,
                              'step': m.step.value})
            m.actions.append(AlertCaregiver('perception_unavailable', urgent=False))
        return self.waiting(f'seeing nothing for {m.now - m.blind_since:.0f} s')
