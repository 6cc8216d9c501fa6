"""When the pose node gives up on a camera topic that has a publisher but delivers nothing.

A subscriber started again after its process was killed can match the camera's publisher
and still never receive a frame (Fast DDS shared-memory ports left behind by the killed
process; eProsima/Fast-DDS#5469, #2811). Nothing inside the process repairs that; a new
process does, so the node exits and its supervisor (launch's respawn, the `berntsen`
runner) starts it again. Once images have arrived it never gives up: a camera that stops
later is reported by both nodes' diagnostics, and restarting the pose node would not help.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FirstImageWatch:
    timeout: float                       # s; 0 disables
    publisher_since: float | None = None

    def waited(self, now: float, publishers: int, received: int) -> float | None:
        """Seconds a publisher has been there without one image, once past `timeout`."""
        if received or not publishers or self.timeout <= 0:
            self.publisher_since = None
            return None
        if self.publisher_since is None:
            self.publisher_since = now
        waited = now - self.publisher_since
        return waited if waited > self.timeout else None
