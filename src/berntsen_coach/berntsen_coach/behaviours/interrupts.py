"""What wins over the morning, highest first: the session stopped, a person on the floor,
Help pressed, Pause pressed, the robot unable to see. Each is a condition (is it so?) and a
behaviour (what then)."""
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


class CallForHelp(MorningBehaviour):
    """Help is needed (she is lying on the floor, or pressed Help): at once an urgent
    phrase and an urgent caregiver alert; reassurance every floor_reassure_every s, until
    the session is stopped."""

    def __init__(self, name: str, morning, event: str, reason: str, urgent_key: str,
                 reassure_key: str):
        super().__init__(name, morning)
        self.event_kind, self.reason = event, reason
        self.urgent_key, self.reassure_key = urgent_key, reassure_key

    def initialise(self):
        m = self.m
        step = m.step.value
        m.end_set()
        m.say(self.urgent_key, m.phrases.text(self.urgent_key, name=m.name), urgent=True)
        m.actions.append(AlertCaregiver(self.reason.format(step=step), urgent=True))
        m.event(self.event_kind, {'step': step})
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
            m.say(self.reassure_key, m.phrases.text(self.reassure_key, name=m.name))
        return self.waiting('help is called; staying with her')


def help_from_the_floor(morning) -> CallForHelp:
    return CallForHelp('Call for help', morning, 'fall_suspected',
                       'person lying on the floor (step {step})', 'floor_urgent',
                       'floor_reassure')


def help_pressed(morning) -> CallForHelp:
    return CallForHelp('Help is coming', morning, 'help_requested', 'help_requested',
                       'help_coming', 'help_reassure')


class Paused(MorningBehaviour):
    """She pressed Pause: the morning waits, its clock stopped, until she carries on."""

    def __init__(self, morning):
        super().__init__('Pause', morning)

    def initialise(self):
        self.m.say('paused', self.m.phrases.text('paused'))

    def update(self) -> Status:
        return self.waiting('paused until she carries on')


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
