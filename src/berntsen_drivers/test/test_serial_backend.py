"""The serial backend against the fake motor controller on a pseudo-terminal (no ROS)."""
import math
import os
import time

import pytest

from berntsen_drivers.fake_motor_controller import FakeMotorController
from berntsen_drivers.motor_protocol import Fault
from berntsen_drivers.serial_backend import SerialBackend
from berntsen_drivers.wheel_backends import ERROR, OK


@pytest.fixture
def fake():
    controller = FakeMotorController()
    yield controller
    controller.close()


def run(backend, left, right, seconds):
    """The node's control loop at 50 Hz; returns the last wheel state."""
    end = time.monotonic() + seconds
    state = None
    while time.monotonic() < end:
        now = time.monotonic()
        state = backend.read(now)
        backend.command(left, right, now)
        time.sleep(0.02)
    return state


def test_driving_follows_the_controller_encoders(fake):
    backend = SerialBackend(fake.port, ticks_per_rev=4096)
    before = run(backend, 2.0, -1.0, 0.5)
    state = run(backend, 2.0, -1.0, 0.5)
    assert backend.status(time.monotonic()).level == OK
    elapsed = state.stamp - before.stamp  # the controller's clock
    assert (state.left_position - before.left_position) / elapsed == pytest.approx(2.0, rel=0.03)
    assert (state.right_position - before.right_position) / elapsed == pytest.approx(-1.0, rel=0.03)
    assert state.left_velocity == pytest.approx(2.0, rel=0.2)  # per 20 ms sample: ±1 tick in 26, ±1 ms
    ticks = fake.ticks()
    assert state.left_position == pytest.approx(ticks[0] * 2 * math.pi / 4096, abs=0.1)
    assert fake.heartbeats_received >= 5
    backend.close()
    time.sleep(0.05)
    assert fake.last_setpoint() == (0.0, 0.0)


def test_corrupted_frames_are_dropped_and_counted(fake):
    backend = SerialBackend(fake.port)
    run(backend, 1.0, 1.0, 0.3)
    fake.corrupt_next(6)
    run(backend, 1.0, 1.0, 0.5)
    status = backend.status(time.monotonic())
    # a 0xAA inside a dropped frame's bytes is tried as a start byte too, and may count again
    assert 6 <= status.values['frames_corrupted'] <= 12 and status.level == OK
    backend.close()


def test_silent_controller_stops_the_wheels_and_the_link_comes_back(fake):
    backend = SerialBackend(fake.port, link_timeout=0.3)
    run(backend, 1.0, 1.0, 0.3)
    fake.go_silent()
    run(backend, 1.0, 1.0, 0.6)
    status = backend.status(time.monotonic())
    assert status.level == ERROR and not status.can_move and 'silent' in status.message
    assert fake.last_setpoint() == (0.0, 0.0)  # it may still hear us: told to stop
    assert backend.link_losses == 1
    fake.come_back()
    run(backend, 1.0, 1.0, 0.3)
    assert backend.status(time.monotonic()).can_move
    assert fake.last_setpoint() == (1.0, 1.0)
    backend.close()


def test_fault_is_reported_and_stops_the_wheels(fake):
    backend = SerialBackend(fake.port)
    run(backend, 1.0, 1.0, 0.3)
    fake.report_fault(Fault.OVER_CURRENT)
    run(backend, 1.0, 1.0, 0.3)
    status = backend.status(time.monotonic())
    assert status.level == ERROR and not status.can_move and status.values['faults'] == 'OVER_CURRENT'
    assert fake.last_setpoint() == (0.0, 0.0)
    fake.clear_fault()
    run(backend, 1.0, 1.0, 0.3)
    assert backend.status(time.monotonic()).can_move
    backend.close()


def test_missing_port_is_retried_and_a_replugged_device_reconnects(tmp_path):
    link = tmp_path / 'ttyMOTOR'  # like a udev symlink to a USB device that comes and goes
    backend = SerialBackend(str(link), reconnect_period=0.1)
    run(backend, 0.0, 0.0, 0.2)
    status = backend.status(time.monotonic())
    assert status.level == ERROR and 'cannot open' in status.message
    with FakeMotorController() as first:
        os.symlink(first.port, link)
        run(backend, 0.5, 0.5, 0.4)
        assert backend.status(time.monotonic()).can_move
    link.unlink()  # unplugged: the port reports an error, the backend closes it
    run(backend, 0.5, 0.5, 0.3)
    assert not backend.status(time.monotonic()).can_move
    with FakeMotorController() as second:
        os.symlink(second.port, link)
        run(backend, 0.5, 0.5, 0.5)
        assert backend.status(time.monotonic()).can_move and backend.reconnects == 1
        backend.close()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        SerialBackend('')
    with pytest.raises(ValueError):
        SerialBackend('/dev/null', baud=0)
    with pytest.raises(ValueError):
        SerialBackend('/dev/null', link_timeout=math.nan)
