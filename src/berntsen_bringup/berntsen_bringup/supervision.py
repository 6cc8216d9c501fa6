"""Supervision of the `berntsen` runner: which dead node to start again, and when to inject
a fault (no rclpy, no processes; cli.py acts on what this decides).

A node marked `respawn: true` in graph.yaml is started again RESPAWN_DELAY after it died,
as `respawn=True` does under `ros2 launch`; one that died MAX_RESPAWNS times within
RESPAWN_WINDOW is given up on, and so is a node that may not be restarted: the session then
ends as failed, naming it. Before the session has begun any node is started again, the
simulator and the coach too: there is no world or session yet to lose, and a crash while
starting (seen once on a CI machine: the coach's DDS participant, SIGSEGV) is worth one more
try.

A process can also be alive and useless: hung in a deadlock, or stuck before its first
message. Every restartable node publishes /diagnostics once a second, so one silent for
LIVENESS_SILENCE (STARTUP_SILENCE after it was started: model loading) is killed by the
runner, and the respawn rule above starts it again.

Faults are injected for tests and demonstrations (`berntsen sim --fault pose:kill@set_started+3`):

    NODE:ACTION@WHEN
    ACTION  kill (SIGKILL), int (SIGINT, Ctrl-C) or stop<seconds> (SIGSTOP, SIGCONT after)
    WHEN    seconds after the session's start, or a coach event kind (its first occurrence)
            with an optional +seconds: set_started+3, session_started, 40
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

RESPAWN_DELAY = 1.0    # s, as launch_ros' respawn_delay in the launch files
MAX_RESPAWNS = 3
RESPAWN_WINDOW = 60.0  # s
STARTUP_SILENCE = 45.0   # s: BlazePose loads in about 6 s here, much slower on a loaded CI machine
LIVENESS_SILENCE = 10.0  # s: ten missed 1 Hz diagnostics; a freeze of a few seconds is tolerated

ACTIONS = ('kill', 'int', 'stop')
_FAULT = re.compile(r'^(?P<node>[A-Za-z_][A-Za-z0-9_]*):(?P<action>kill|int|stop(?P<hold>\d+(\.\d+)?))'
                    r'@(?P<when>.+)$')
_WHEN = re.compile(r'^(?:(?P<event>[a-z_]+)(?:\+(?P<after>\d+(\.\d+)?))?|(?P<seconds>\d+(\.\d+)?))$')


class FaultSpecError(ValueError):
    """A --fault that cannot be understood; the message shows the form expected."""


@dataclass(frozen=True)
class Fault:
    node: str
    action: str            # one of ACTIONS
    event: str = ''        # '' : `after` seconds after the session's start
    after: float = 0.0
    hold: float = 0.0      # stop: seconds until SIGCONT

    @classmethod
    def parse(cls, spec: str) -> Fault:
        match = _FAULT.match(spec.strip())
        when = _WHEN.match(match.group('when')) if match else None
        if not match or not when:
            raise FaultSpecError(f'--fault {spec!r}: expected NODE:ACTION@WHEN, ACTION kill, int '
                                 'or stop<seconds>, WHEN seconds or an event kind with an '
                                 'optional +seconds (e.g. pose:kill@set_started+3, speech:stop5@40)')
        hold = match.group('hold')
        action = 'stop' if hold else match.group('action')
        if when.group('seconds'):
            event, after = '', float(when.group('seconds'))
        else:
            event, after = when.group('event'), float(when.group('after') or 0.0)
        return cls(match.group('node'), action, event, after, float(hold or 0.0))

    def describe(self) -> str:
        what = {'kill': 'killed (SIGKILL)', 'int': 'interrupted (SIGINT)',
                'stop': f'frozen (SIGSTOP) for {self.hold:g} s'}[self.action]
        return f'node "{self.node}" {what}'


@dataclass
class FaultPlan:
    """The faults still to inject; `due()` hands each one over once, when its time came."""
    faults: list[Fault]
    injected: list[tuple[float, Fault]] = field(default_factory=list)

    def due(self, now: float, started: float, first_event: dict[str, float]) -> list[Fault]:
        ready = []
        for fault in list(self.faults):
            origin = started if not fault.event else first_event.get(fault.event)
            if origin is not None and now >= origin + fault.after:
                self.faults.remove(fault)
                self.injected.append((now, fault))
                ready.append(fault)
        return ready


@dataclass
class RespawnPolicy:
    """Decides, for a node that exited while the session ran, whether to start it again."""
    respawnable: frozenset[str]
    max_respawns: int = MAX_RESPAWNS
    window: float = RESPAWN_WINDOW
    delay: float = RESPAWN_DELAY
    restarts: dict[str, list[float]] = field(default_factory=dict)

    def on_exit(self, node: str, now: float, session_begun: bool = True) -> float | None:
        """When to start `node` again (None: do not; the session fails)."""
        if node not in self.respawnable and session_begun:
            return None
        recent = [t for t in self.restarts.get(node, []) if now - t <= self.window]
        if len(recent) >= self.max_respawns:
            return None
        self.restarts[node] = recent + [now]
        return now + self.delay

    def count(self, node: str) -> int:
        return len(self.restarts.get(node, []))


@dataclass
class LivenessWatch:
    """Which watched nodes have gone silent on /diagnostics since they were (re)started."""
    watched: frozenset[str]
    startup: float = STARTUP_SILENCE
    running: float = LIVENESS_SILENCE
    started_at: dict[str, float] = field(default_factory=dict)

    def started(self, node: str, now: float) -> None:
        self.started_at[node] = now

    def silent(self, now: float, last_heard: dict[str, float]) -> list[tuple[str, float]]:
        """(node, seconds silent) for each watched node past its limit; `last_heard` maps a
        node to when its latest /diagnostics arrived (a status from before its restart does
        not count)."""
        found = []
        for node in sorted(self.watched & set(self.started_at)):
            started, heard = self.started_at[node], last_heard.get(node)
            if heard is None or heard < started:
                silence, limit = now - started, self.startup
            else:
                silence, limit = now - heard, self.running
            if silence > limit:
                found.append((node, silence))
        return found
