"""Differential-drive maths: kinematics, odometry, speed and acceleration limits, watchdog.

No rclpy here. Units are SI (REP 103): metres, radians, seconds. Wheel speeds are angular
(rad/s), positive when the wheel drives the robot forward. Angular velocity is positive
counter-clockwise (seen from above), so the right wheel is faster in a left turn.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


def _finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{name} must be a number, got {value!r}')
    if not math.isfinite(value):
        raise ValueError(f'{name} is {value}, not a finite number')
    return float(value)


def _positive(name: str, value: float) -> float:
    value = _finite(name, value)
    if value <= 0.0:
        raise ValueError(f'{name} must be > 0, got {value}')
    return value


@dataclass(frozen=True)
class DiffDriveKinematics:
    wheel_radius: float      # m
    wheel_separation: float  # m, between the wheels' contact points

    def __post_init__(self):
        _positive('wheel_radius', self.wheel_radius)
        _positive('wheel_separation', self.wheel_separation)

    def wheel_speeds(self, linear: float, angular: float) -> tuple[float, float]:
        """Body twist (m/s, rad/s) -> (left, right) wheel angular velocity in rad/s."""
        linear, angular = _finite('linear', linear), _finite('angular', angular)
        half = angular * self.wheel_separation / 2.0
        return (linear - half) / self.wheel_radius, (linear + half) / self.wheel_radius

    def twist(self, left: float, right: float) -> tuple[float, float]:
        """(left, right) wheel angular velocity in rad/s -> body twist (m/s, rad/s)."""
        left, right = _finite('left', left), _finite('right', right)
        linear = self.wheel_radius * (left + right) / 2.0
        angular = self.wheel_radius * (right - left) / self.wheel_separation
        return linear, angular


@dataclass(frozen=True)
class Pose2D:
    x: float = 0.0
    y: float = 0.0
    theta: float = 0.0  # rad, in (-pi, pi]


def integrate_arc(pose: Pose2D, distance: float, rotation: float) -> Pose2D:
    """Move along a circular arc of length `distance` turning by `rotation`; exact for constant twist."""
    theta = pose.theta
    if abs(rotation) < 1e-9:  # straight line (the arc formula divides by rotation)
        x = pose.x + distance * math.cos(theta + rotation / 2.0)
        y = pose.y + distance * math.sin(theta + rotation / 2.0)
    else:
        radius = distance / rotation
        x = pose.x + radius * (math.sin(theta + rotation) - math.sin(theta))
        y = pose.y - radius * (math.cos(theta + rotation) - math.cos(theta))
    return Pose2D(x, y, math.atan2(math.sin(theta + rotation), math.cos(theta + rotation)))


class WheelOdometry:
    """Pose from wheel encoder positions (rad); velocity from the position change."""

    def __init__(self, kinematics: DiffDriveKinematics):
        self.kinematics = kinematics
        self.pose = Pose2D()
        self.linear = 0.0
        self.angular = 0.0
        self._last: tuple[float, float, float] | None = None  # left, right, time

    def reset(self, pose: Pose2D = Pose2D()) -> None:
        self.pose, self.linear, self.angular, self._last = pose, 0.0, 0.0, None

    def update(self, left: float, right: float, now: float) -> Pose2D:
        """Feed wheel positions (rad) read at time `now` (s); returns the new pose."""
        left, right, now = _finite('left', left), _finite('right', right), _finite('now', now)
        if self._last is None:
            self._last = (left, right, now)
            return self.pose
        last_left, last_right, last_time = self._last
        dt = now - last_time
        if dt <= 0.0:
            return self.pose  # same or older reading: nothing new
        distance, rotation = self.kinematics.twist(left - last_left, right - last_right)
        self.pose = integrate_arc(self.pose, distance, rotation)
        self.linear, self.angular = distance / dt, rotation / dt
        self._last = (left, right, now)
        return self.pose


@dataclass(frozen=True)
class Limits:
    max_linear: float         # m/s
    max_angular: float        # rad/s
    max_linear_accel: float   # m/s^2
    max_angular_accel: float  # rad/s^2

    def __post_init__(self):
        for name in ('max_linear', 'max_angular', 'max_linear_accel', 'max_angular_accel'):
            _positive(name, getattr(self, name))


def _clamp(value: float, bound: float) -> float:
    return max(-bound, min(bound, value))


def limit_twist(limits: Limits, target: tuple[float, float], current: tuple[float, float],
                dt: float) -> tuple[float, float]:
    """The twist to command now: `target` clamped to the speed limits, reached from `current`
    no faster than the acceleration limits allow in `dt` seconds."""
    linear, angular = (_finite('target linear', target[0]), _finite('target angular', target[1]))
    dt = _finite('dt', dt)
    if dt < 0.0:
        raise ValueError(f'dt must be >= 0, got {dt}')
    linear, angular = _clamp(linear, limits.max_linear), _clamp(angular, limits.max_angular)
    linear = current[0] + _clamp(linear - current[0], limits.max_linear_accel * dt)
    angular = current[1] + _clamp(angular - current[1], limits.max_angular_accel * dt)
    return linear, angular


class Watchdog:
    """Expires when no command came for `timeout` seconds; counts how often it tripped."""

    def __init__(self, timeout: float):
        self.timeout = _positive('timeout', timeout)
        self.trips = 0
        self._last_feed: float | None = None
        self._expired = True  # nothing commanded yet

    def feed(self, now: float) -> None:
        self._last_feed = now
        self._expired = False

    def expired(self, now: float) -> bool:
        if not self._expired and self._last_feed is not None and now - self._last_feed > self.timeout:
            self._expired = True
            self.trips += 1
        return self._expired


class MotorController:
    """What to command the wheels, given commands and time. Call `step` at a fixed rate.

    A zero command slows down at the acceleration limits; the watchdog (and `halt`, which
    the base guard's refusals call) stop the wheels at once (the motor controller brakes),
    since they mean something is wrong. Whether the base may move at all is base_guard's.
    """

    def __init__(self, kinematics: DiffDriveKinematics, limits: Limits, cmd_timeout: float):
        self.kinematics = kinematics
        self.limits = limits
        self.watchdog = Watchdog(cmd_timeout)
        self.target = (0.0, 0.0)
        self.output = (0.0, 0.0)  # limited twist last sent to the wheels
        self.limits_hit = 0           # commands beyond the speed limits (clamped)
        self.accel_limited_steps = 0  # steps where the acceleration limits held the output back
        self._last_step: float | None = None

    def command(self, linear: float, angular: float, now: float) -> None:
        """A new velocity command; raises ValueError (and stops) on NaN or infinity."""
        try:
            self.target = (_finite('linear', linear), _finite('angular', angular))
        except (TypeError, ValueError):
            self.target = (0.0, 0.0)
            raise
        if abs(self.target[0]) > self.limits.max_linear or abs(self.target[1]) > self.limits.max_angular:
            self.limits_hit += 1
        self.watchdog.feed(now)

    def halt(self) -> None:
        """Stop at once and forget the command (the wheels cannot be trusted or are disabled);
        only a new command moves them again, from standstill."""
        self.target = (0.0, 0.0)
        self.output = (0.0, 0.0)

    def step(self, now: float) -> tuple[float, float]:
        """The (left, right) wheel speeds in rad/s to command now."""
        dt = 0.0 if self._last_step is None else max(0.0, now - self._last_step)
        self._last_step = now
        if self.watchdog.expired(now):
            self.target = (0.0, 0.0)
            self.output = (0.0, 0.0)
        else:
            wanted = (_clamp(self.target[0], self.limits.max_linear), _clamp(self.target[1], self.limits.max_angular))
            self.output = limit_twist(self.limits, self.target, self.output, dt)
            if self.output != wanted:
                self.accel_limited_steps += 1
        return self.kinematics.wheel_speeds(*self.output)
