"""Watching the parts a session cannot do without: the pose node and the speech server.

No ROS imports. The coach node tells a `PartWatch` what it hears and asks, every tick,
whether a part has been gone long enough to act on: the routine then waits for the camera
(and alerts a caregiver if it stays blind), and a caregiver is told when the robot cannot
talk (once per outage).
"""
from __future__ import annotations

# s a session waits for the first /humans/bodies/tracked: BlazePose loads for seconds, longer
# on a loaded machine, and "I cannot see you" before the greeting would be wrong
PERCEPTION_STARTUP_GRACE = 30.0


class PartWatch:
    def __init__(self, perception_timeout: float, speech_alert_after: float):
        self.perception_timeout = perception_timeout
        self.speech_alert_after = speech_alert_after
        self._perception_heard_at = 0.0
        self._perception_ever_heard = False   # before, the pose node may still be loading
        self._session_started_at = 0.0
        self.speech_alerted = False           # during the current speech outage

    def session_started(self, now: float) -> None:
        self._perception_heard_at = self._session_started_at = now

    def perception_heard(self, now: float) -> None:
        self._perception_heard_at, self._perception_ever_heard = now, True

    def perception_silent_for(self, now: float) -> float | None:
        """How long nothing was heard from the pose node, once that is too long; else None."""
        silent_for = now - self._perception_heard_at
        allowed = self.perception_timeout if self._perception_ever_heard \
            else max(self.perception_timeout, PERCEPTION_STARTUP_GRACE)
        return silent_for if silent_for > allowed else None

    def speech_lost(self, now: float, unavailable_since: float | None,
                    session_live: bool) -> float | None:
        """When the speech server went away, the first time (per outage) it has been gone
        for speech_alert_after during a live session; else None. Gone before the session
        started counts from the start."""
        if unavailable_since is None or not session_live:
            self.speech_alerted = self.speech_alerted and unavailable_since is not None
            return None
        since = max(unavailable_since, self._session_started_at)
        if self.speech_alerted or now - since < self.speech_alert_after:
            return None
        self.speech_alerted = True
        return since
