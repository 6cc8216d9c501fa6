"""When a watched session has ended, and what it came to.

Shared by `berntsen sim` and the session judge that sim.launch.py runs, so that both end a
session at the same moment and judge it the same way. Pure: no rclpy, no launch.
"""
from __future__ import annotations

from berntsen_bringup.verdict import judge

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130
HELP_GRACE = 6.0    # s the run goes on in step help, so the urgent words are heard and logged


class SessionEnd:
    """Says when to stop watching: the coach ended its routine, the robot has waited with a
    fallen patient for HELP_GRACE, a node crashed, or the timeout (0: none) passed."""

    def __init__(self, timeout: float, started: float):
        self.timeout = timeout
        self.deadline = started + timeout if timeout else None
        self.help_since: float | None = None

    def check(self, now: float, coach_step: str, coach_done: bool = False,
              crashed: str = '') -> tuple[int, str] | None:
        """(exit status, reason) once the session is over, else None. `crashed` says which
        node died and how."""
        if coach_done:
            return EXIT_OK, f'the routine ended in step "{coach_step}"'
        # Step help lasts until a caregiver comes: the run ends a little after it began.
        if coach_step == 'help':
            self.help_since = self.help_since or now
            if now - self.help_since > HELP_GRACE:
                return EXIT_OK, 'the robot is waiting with the patient for help'
        if crashed:
            return EXIT_FAILED, crashed
        if self.deadline is not None and now > self.deadline:
            return EXIT_FAILED, (f'the session did not complete within {self.timeout:.0f} s '
                                 f'(coach step: {coach_step or "unknown"})')
        return None


def conclude(status: int, reason: str, transcript, now: float, judging=None,
             scenario_name: str = '') -> tuple[int, str, list[str]]:
    """The transcript's summary, and for a scenario (`judging`, see scenarios.judging) each
    set's line and the verdict: a session that ended well fails when the verdict finds a
    problem. Returns (status, reason, lines to print)."""
    lines = list(transcript.summary(now))
    if judging is not None:
        problems, sets = judge(judging.expect, judging.plan, judging.phrases,
                               transcript.figures, judging.patient_name)
        lines += [result.line() for result in sets]
        if status == EXIT_OK and problems:
            status, reason = EXIT_FAILED, '; '.join(problems)
        elif status == EXIT_OK:
            reason += f', as scenario {scenario_name} expects'
    return status, reason, lines
