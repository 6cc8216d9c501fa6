"""Wheel backends: where wheel commands go and where wheel positions come from.

No rclpy here. A backend takes (left, right) wheel angular velocities in rad/s and reports
wheel positions (rad) and velocities (rad/s). `mock` integrates its own commands (a perfect
robot, for tests and demos without a simulator); the `sim` backend lives in `motor_node`
because it talks ROS topics; `serial_backend.SerialBackend` drives the real motor controller.

Each backend also says how it is (`status`): the node stops the wheels whenever a backend
says motion is unsafe (`can_move` false: no link to the controller, a controller fault).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# Levels as in diagnostic_msgs/DiagnosticStatus, without importing ROS here.
OK, WARN, ERROR = 0, 1, 2


@dataclass(frozen=True)
class WheelState:
    left_position: float   # rad
    right_position: float  # rad
    left_velocity: float   # rad/s
    right_velocity: float  # rad/s
    stamp: float           # s, when the positions were measured


@dataclass(frozen=True)
class BackendStatus:
    level: int                 # OK, WARN or ERROR
    message: str
    can_move: bool             # False: the node must command zero
    values: dict = field(default_factory=dict)  # extra diagnostics key -> value


class WheelBackend(Protocol):
    name: str

    def command(self, left: float, right: float, now: float) -> None:
        """Drive the wheels at these angular velocities (rad/s) from time `now` on."""

    def read(self, now: float) -> WheelState | None:
        """The latest wheel state, or None when none has arrived yet."""

    def status(self, now: float) -> BackendStatus:
        """Link, faults and counters, for the safety check and diagnostics."""

    def close(self) -> None:
        """Stop the wheels and release the device."""


class MockBackend:
    """Wheels that do exactly what they are told: encoders integrate the commanded speeds."""

    name = 'mock'

    def __init__(self):
        self._positions = [0.0, 0.0]
        self._velocities = (0.0, 0.0)
        self._since: float | None = None

    def _advance(self, now: float) -> None:
        if self._since is not None and now > self._since:
            dt = now - self._since
            self._positions[0] += self._velocities[0] * dt
            self._positions[1] += self._velocities[1] * dt
        if self._since is None or now > self._since:
            self._since = now

    def command(self, left, right, now):
        self._advance(now)
        self._velocities = (float(left), float(right))

    def read(self, now):
        self._advance(now)
        return WheelState(self._positions[0], self._positions[1], *self._velocities, stamp=now)

    def status(self, now):
        return BackendStatus(OK, 'ok', True)

    def close(self):
        self._velocities = (0.0, 0.0)
