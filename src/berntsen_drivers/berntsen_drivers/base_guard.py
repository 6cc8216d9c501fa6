"""May the base move? Every rule in one place, between the velocity sources and the wheels.

No rclpy here; the motor node feeds it and asks it at every control step. In the spirit of
twist_mux: velocity sources have priorities and go quiet after a timeout; on top of that:

- the e-stop latches until it is released and reset;
- motion only while the newest `coach/state` allows it (the person is not exercising), and
  none when that state is missing or stale (the coach is gone or hung);
- closer to the person than `min_person_distance`, only motion away from her (backwards,
  or turning in place) is let through.

Time: source commands age on the motor node's steady clock (`now`), as its watchdog does;
stamped inputs (`coach/state`, `person_distance`) age on the ROS clock (`ros_now`), which
is the simulator's in simulation, so a slow simulation does not make them look stale.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    topic: str
    priority: int   # the highest priority with a fresh command drives


@dataclass(frozen=True)
class GuardSettings:
    sources: tuple[Source, ...]
    cmd_timeout: float = 0.3           # s; a source's command is dropped after this
    require_coach_state: bool = True   # False: no coach on this robot (teleop bring-up)
    state_timeout: float = 3.0         # s; coach/state heartbeats come every second
    min_person_distance: float = 1.0   # m, horizontal, base to person; 0 turns the rule off
    person_timeout: float = 1.0        # s; an older distance estimate does not count
    # s from start-up with no motion unless the e-stop's state was heard first: a press made
    # before start-up arrives only once discovery has matched the button, which on a loaded
    # computer can come after the first velocity command.
    e_stop_wait: float = 0.0

    def __post_init__(self):
        if not self.sources:
            raise ValueError('the base guard needs at least one velocity source')
        topics = [s.topic for s in self.sources]
        if len(set(topics)) != len(topics):
            raise ValueError(f'velocity sources listed twice: {topics}')
        for name in ('cmd_timeout', 'state_timeout', 'person_timeout'):
            if not getattr(self, name) > 0.0:
                raise ValueError(f'{name} must be > 0, got {getattr(self, name)}')
        for name in ('min_person_distance', 'e_stop_wait'):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f'{name} must be >= 0, got {getattr(self, name)}')


@dataclass(frozen=True)
class Decision:
    """What the wheels may do now. `command` None: stand still at once (brake)."""
    command: tuple[float, float] | None
    source: str = ''    # the topic whose fresh command passed, was limited or was refused
    refusal: str = ''   # why motion is refused or limited; '' when nothing stands in the way
    received: float = 0.0   # when the source's command arrived (steady clock)


class EStopLatch:
    """Pressed latches; released only records it; reset clears the latch once released.

    With a `file`, the latch outlives the process: a restarted motor node comes back
    latched. The file holds no personal data; it is owner-only like everything we write.
    """

    def __init__(self, file: str | os.PathLike | None = None):
        self._file = Path(file).expanduser() if file else None
        self.asserted = False
        self.heard = False   # a state (pressed or not) has arrived since this process started
        self.latched = self._file is not None and self._file.exists()
        self.restored = self.latched   # latched before this process started

    def set(self, asserted: bool) -> bool:
        """The button's state; returns True when this press latched it."""
        self.asserted, self.heard = bool(asserted), True
        if asserted and not self.latched:
            self.latched = True
            self._persist()
            return True
        return False

    def reset(self) -> tuple[bool, str]:
        if self.asserted:
            return False, 'e-stop is still asserted; release it first'
        was_latched, self.latched, self.restored = self.latched, False, False
        self._persist()
        return True, 'e-stop reset' if was_latched else 'e-stop was not latched'

    def _persist(self) -> None:
        if self._file is None:
            return
        if self.latched:
            self._file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, 'w') as f:
                f.write('latched\n')
                f.flush()
                os.fsync(f.fileno())
        else:
            self._file.unlink(missing_ok=True)


def _finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f'{what} is {value!r}, not a finite number')
    return float(value)


class BaseGuard:
    def __init__(self, settings: GuardSettings, e_stop: EStopLatch | None = None, started: float = 0.0):
        self.settings = settings
        self.e_stop = e_stop or EStopLatch()
        self._started = started   # steady clock at start-up, for e_stop_wait
        self._priority = {s.topic: s.priority for s in settings.sources}
        self._commands: dict[str, tuple[float, float, float]] = {}   # topic -> (lin, ang, t)
        self._state: tuple[bool, str, float] | None = None          # allowed, step, stamp
        self._person: tuple[float, float] | None = None             # distance, stamp

    # ---- inputs -------------------------------------------------------------------------

    def offer(self, topic: str, linear: float, angular: float, now: float) -> None:
        """A command from a source; a corrupt one (NaN, infinity) silences the source and
        raises ValueError."""
        if topic not in self._priority:
            raise ValueError(f'{topic!r} is not a velocity source of this guard')
        try:
            command = (_finite(linear, 'linear'), _finite(angular, 'angular'))
        except ValueError:
            self._commands.pop(topic, None)
            raise
        self._commands[topic] = (*command, now)

    def coach_state(self, motion_allowed: bool, step: str, stamp: float) -> None:
        if self._state is None or stamp >= self._state[2]:   # a late, older message does not win
            self._state = (bool(motion_allowed), step, stamp)

    def person_distance(self, distance: float, stamp: float) -> None:
        distance = _finite(distance, 'person distance')
        if distance < 0.0:
            raise ValueError(f'person distance {distance} m is negative')
        if self._person is None or stamp >= self._person[1]:
            self._person = (distance, stamp)

    # ---- the decision -------------------------------------------------------------------

    def decide(self, now: float, ros_now: float) -> Decision:
        chosen = self._freshest_command(now)
        topic = chosen[0] if chosen else ''
        refusal = self._refusal(now, ros_now)
        if refusal:
            return Decision(None, topic, refusal)
        if chosen is None:
            return Decision(None)
        _, linear, angular, received = chosen
        too_close = self._too_close(ros_now)
        if too_close and linear > 0.0:
            return Decision((0.0, angular), topic, too_close, received)
        return Decision((linear, angular), topic, '', received)

    def _freshest_command(self, now: float):
        fresh = [(self._priority[topic], topic, lin, ang, t)
                 for topic, (lin, ang, t) in self._commands.items()
                 if 0.0 <= now - t <= self.settings.cmd_timeout]
        if not fresh:
            return None
        return max(fresh)[1:]

    def _refusal(self, now: float, ros_now: float) -> str:
        if self.e_stop.latched:
            return 'e-stop latched (reset_e_stop after release)'
        waited = now - self._started
        if not self.e_stop.heard and waited < self.settings.e_stop_wait:
            return (f'no e-stop state heard yet ({waited:.1f} s of {self.settings.e_stop_wait:.1f} s '
                    'waited for a press made before start-up)')
        if not self.settings.require_coach_state:
            return ''
        if self._state is None:
            return 'no coach/state yet'
        allowed, step, stamp = self._state
        age = ros_now - stamp
        if age > self.settings.state_timeout:
            return f'coach/state is {age:.1f} s old'
        if not allowed:
            return f'coach/state forbids motion (step {step or "?"})'
        return ''

    def _too_close(self, ros_now: float) -> str:
        limit = self.settings.min_person_distance
        if self._person is None or limit <= 0.0:
            return ''
        distance, stamp = self._person
        if ros_now - stamp > self.settings.person_timeout or distance >= limit:
            return ''
        return f'person {distance:.2f} m away (< {limit:.2f} m): only motion away from her'

    def status(self, now: float, ros_now: float) -> dict[str, str | bool]:
        """Why the base may or may not move, for diagnostics."""
        decision = self.decide(now, ros_now)
        state = 'none' if self._state is None else (
            f"{'allows' if self._state[0] else 'forbids'} motion, step {self._state[1] or '?'}, "
            f'{ros_now - self._state[2]:.1f} s old')
        person = 'unknown' if self._person is None else (
            f'{self._person[0]:.2f} m, {ros_now - self._person[1]:.1f} s old')
        return {'motion_refused': decision.refusal, 'driving_source': decision.source,
                'coach_state': state, 'person_distance': person,
                'e_stop_latched': self.e_stop.latched, 'e_stop_asserted': self.e_stop.asserted,
                'e_stop_restored': self.e_stop.restored}
