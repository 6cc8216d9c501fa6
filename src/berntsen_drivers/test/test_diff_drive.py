"""Differential-drive kinematics, odometry, limits, watchdog and e-stop (no ROS)."""
import math

import pytest

from berntsen_drivers.diff_drive import (DiffDriveKinematics, Limits, MotorController, Pose2D, Watchdog,
                                         WheelOdometry, integrate_arc, limit_twist)
from berntsen_drivers.wheel_backends import MockBackend

KIN = DiffDriveKinematics(wheel_radius=0.08, wheel_separation=0.40)
LIMITS = Limits(max_linear=0.4, max_angular=1.0, max_linear_accel=1.0, max_angular_accel=2.0)


@pytest.mark.parametrize('linear, angular', [(0.0, 0.0), (0.3, 0.0), (0.0, 1.0), (-0.2, 0.7), (0.4, -1.0)])
def test_kinematics_round_trip(linear, angular):
    left, right = KIN.wheel_speeds(linear, angular)
    assert KIN.twist(left, right) == pytest.approx((linear, angular))


def test_kinematics_directions():
    assert KIN.wheel_speeds(0.4, 0.0) == pytest.approx((5.0, 5.0))  # 0.4 m/s / 0.08 m
    left, right = KIN.wheel_speeds(0.0, 1.0)  # turning left: right wheel forwards
    assert right == pytest.approx(2.5) and left == pytest.approx(-2.5)


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_kinematics_rejects_non_finite(bad):
    with pytest.raises(ValueError):
        KIN.wheel_speeds(bad, 0.0)
    with pytest.raises(ValueError):
        KIN.twist(0.0, bad)
    with pytest.raises(ValueError):
        DiffDriveKinematics(bad, 0.4)
    with pytest.raises(ValueError):
        DiffDriveKinematics(0.08, 0.0)


def test_odometry_of_a_known_arc_matches_analytic():
    # 0.3 m/s at 0.5 rad/s for 4 s: a 0.6 m radius arc through 2 rad
    linear, angular, duration, rate = 0.3, 0.5, 4.0, 50.0
    left_speed, right_speed = KIN.wheel_speeds(linear, angular)
    odom = WheelOdometry(KIN)
    for i in range(int(duration * rate) + 1):
        t = i / rate
        odom.update(left_speed * t, right_speed * t, t)
    radius, turned = linear / angular, angular * duration
    expected = (radius * math.sin(turned), radius * (1 - math.cos(turned)))
    pose = odom.pose
    error = math.hypot(pose.x - expected[0], pose.y - expected[1])
    assert error < 0.01 * linear * duration  # within 1 % of the distance travelled (in fact ~1e-12)
    assert pose.theta == pytest.approx(turned, abs=1e-9)
    assert (odom.linear, odom.angular) == pytest.approx((linear, angular))


def test_integrate_arc_straight_and_full_circle():
    assert integrate_arc(Pose2D(1.0, 2.0, math.pi / 2), 0.5, 0.0) == pytest.approx(Pose2D(1.0, 2.5, math.pi / 2))
    full = integrate_arc(Pose2D(), 2 * math.pi * 0.6, 2 * math.pi)
    assert (full.x, full.y) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert abs(integrate_arc(Pose2D(theta=3.0), 0.0, 0.5).theta) <= math.pi  # wrapped


def test_odometry_ignores_stale_readings():
    odom = WheelOdometry(KIN)
    odom.update(0.0, 0.0, 1.0)
    odom.update(1.0, 1.0, 2.0)
    pose = odom.pose
    assert odom.update(5.0, 5.0, 2.0) == pose  # same stamp: nothing new


def test_limiter_clamps_speed_and_acceleration():
    assert limit_twist(LIMITS, (100.0, -100.0), (0.4, -1.0), 0.02) == pytest.approx((0.4, -1.0))
    assert limit_twist(LIMITS, (100.0, 100.0), (0.0, 0.0), 0.02) == pytest.approx((0.02, 0.04))
    assert limit_twist(LIMITS, (-0.4, 0.0), (0.4, 0.0), 0.1) == pytest.approx((0.3, 0.0))
    with pytest.raises(ValueError):
        limit_twist(LIMITS, (float('nan'), 0.0), (0.0, 0.0), 0.02)
    with pytest.raises(ValueError):
        Limits(0.4, float('inf'), 1.0, 1.0)


def test_watchdog_trips_once_per_silence():
    dog = Watchdog(0.3)
    assert dog.expired(0.0)  # nothing commanded yet
    dog.feed(1.0)
    assert not dog.expired(1.29)
    assert dog.expired(1.31) and dog.expired(2.0)
    assert dog.trips == 1
    dog.feed(3.0)
    assert not dog.expired(3.1)
    assert dog.expired(3.5) and dog.trips == 2


def run(controller, start, stop, rate=50.0, command=None):
    """Step the controller from `start` to `stop`; returns the wheel speeds of every step."""
    speeds, steps = [], int(round((stop - start) * rate))
    for i in range(steps + 1):
        now = start + i / rate
        if command is not None:
            controller.command(*command, now)
        speeds.append((now, controller.step(now)))
    return speeds


def test_controller_stops_when_commands_stop():
    controller = MotorController(KIN, LIMITS, cmd_timeout=0.3)
    run(controller, 0.0, 2.0, command=(0.3, 0.2))
    assert controller.output == pytest.approx((0.3, 0.2))
    after = run(controller, 2.02, 3.0)  # silence
    stopped_at = next(t for t, speeds in after if speeds == (0.0, 0.0))
    assert stopped_at - 2.0 <= 0.32 < 0.5
    assert controller.watchdog.trips == 1


def test_controller_under_extreme_and_nan_commands():
    controller = MotorController(KIN, LIMITS, cmd_timeout=0.3)
    max_wheel = (LIMITS.max_linear + LIMITS.max_angular * KIN.wheel_separation / 2) / KIN.wheel_radius
    previous = (0.0, 0.0)
    for i, command in enumerate([(1e9, -1e9), (-1e9, 1e9), (5.0, 50.0)] * 20):
        now = i * 0.02
        controller.command(*command, now)
        left, right = controller.step(now)
        assert abs(left) <= max_wheel + 1e-9 and abs(right) <= max_wheel + 1e-9
        linear, angular = controller.output
        assert abs(linear) <= 0.4 and abs(angular) <= 1.0
        assert abs(linear - previous[0]) <= LIMITS.max_linear_accel * 0.02 + 1e-12
        assert abs(angular - previous[1]) <= LIMITS.max_angular_accel * 0.02 + 1e-12
        previous = controller.output
    with pytest.raises(ValueError):
        controller.command(float('nan'), 0.0, 1.3)
    assert controller.target == (0.0, 0.0)  # a corrupt command stops the base
    with pytest.raises(TypeError):
        controller.command('fast', 0.0, 1.3)


def test_mock_backend_integrates_commands():
    backend = MockBackend()
    backend.command(2.0, -1.0, 10.0)
    backend.command(2.0, -1.0, 10.5)
    state = backend.read(11.0)
    assert (state.left_position, state.right_position) == pytest.approx((2.0, -1.0))
    assert (state.left_velocity, state.right_velocity) == (2.0, -1.0)
    backend.command(0.0, 0.0, 11.0)
    assert backend.read(12.0).left_position == pytest.approx(2.0)


def test_controller_counts_limits_hit_and_halt_needs_a_new_command():
    controller = MotorController(DiffDriveKinematics(0.1, 0.5), Limits(0.5, 1.0, 1.0, 2.0), cmd_timeout=0.3)
    controller.command(0.3, 0.5, 0.0)
    assert controller.limits_hit == 0
    controller.command(2.0, 0.0, 0.0)
    controller.command(0.0, -5.0, 0.0)
    assert controller.limits_hit == 2
    controller.command(0.5, 0.0, 0.0)
    controller.step(0.0)
    assert controller.step(0.1) == pytest.approx((1.0, 1.0))  # 0.1 m/s after 0.1 s at 1 m/s^2
    assert controller.accel_limited_steps == 2  # both steps held back by the acceleration limit
    controller.halt()
    assert controller.output == (0.0, 0.0) and controller.step(0.12) == (0.0, 0.0)
    controller.command(0.5, 0.0, 0.15)
    assert controller.step(0.17)[0] > 0.0
