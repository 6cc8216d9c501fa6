"""A fake motor controller on a pseudo-terminal, for tests and benchmarks (not for the robot).

It speaks docs/motor_protocol.md on the controller side: integrates the commanded wheel
velocities into encoder ticks, sends ENCODERS at `encoder_rate` and HEARTBEAT at 10 Hz,
stops its wheels when no set-point came for `watchdog` seconds (as the real firmware
must), and can misbehave on request: corrupted frames, silence, a fault.

    with FakeMotorController() as fake:
        node parameter serial_port := fake.port   # e.g. /dev/pts/5

No rclpy, no pyserial.
"""
from __future__ import annotations

import math
import os
import select
import threading
import time
import tty

from berntsen_drivers.motor_protocol import Command, Decoder, encode


class FakeMotorController:
    def __init__(self, ticks_per_rev: int = 4096, encoder_rate: float = 50.0, heartbeat_period: float = 0.1,
                 watchdog: float = 0.5):
        self.ticks_per_rev = ticks_per_rev
        self.encoder_period = 1.0 / encoder_rate
        self.heartbeat_period = heartbeat_period
        self.watchdog = watchdog
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing: bytes pass unchanged
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self.decoder = Decoder()
        self.lock = threading.Lock()
        self.velocities = (0.0, 0.0)          # what the wheels do now (rad/s)
        self.angles = [0.0, 0.0]              # integrated wheel angles (rad)
        self.setpoints: list[tuple[float, float, float]] = []  # (time, left, right) as received
        self.heartbeats_received = 0
        self.faults = 0
        self.silent = False                   # mute: reads and obeys, but sends nothing
        self._corrupt = 0                     # frames still to send corrupted
        self._last_setpoint = 0.0
        self._sequence = 0
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='fake-motor-controller', daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ misbehaviour on request

    def corrupt_next(self, frames: int) -> None:
        """Send the next `frames` frames with a broken CRC, with some garbage bytes in between."""
        with self.lock:
            self._corrupt += frames

    def go_silent(self) -> None:
        self.silent = True

    def come_back(self) -> None:
        self.silent = False

    def report_fault(self, bits: int) -> None:
        """Raise fault bits (Fault flags); the wheels stop and stay stopped until cleared."""
        with self.lock:
            self.faults = bits
            self.velocities = (0.0, 0.0)
        self._send(encode(Command.FAULT, bits))

    def clear_fault(self) -> None:
        with self.lock:
            self.faults = 0
        self._send(encode(Command.FAULT, 0))

    # ------------------------------------------------------------ readings for tests

    def ticks(self) -> tuple[int, int]:
        with self.lock:
            scale = self.ticks_per_rev / (2.0 * math.pi)
            return _int32(round(self.angles[0] * scale)), _int32(round(self.angles[1] * scale))

    def last_setpoint(self) -> tuple[float, float] | None:
        with self.lock:
            return self.setpoints[-1][1:] if self.setpoints else None

    # ------------------------------------------------------------ the controller loop

    def _send(self, frame: bytes) -> None:
        with self.lock:
            if self.silent:
                return
            if self._corrupt:
                self._corrupt -= 1
                frame = b'\x00\x13' + frame[:-1] + bytes([frame[-1] ^ 0xFF])  # garbage, then a bad CRC
        try:
            os.write(self._master, frame)
        except BlockingIOError:
            pass  # nobody reads the port: drop, as a UART would
        except OSError:
            pass  # closed

    def _run(self) -> None:
        last = time.monotonic()
        next_encoders = next_heartbeat = last
        while not self._stop.is_set():
            readable, _, _ = select.select([self._master], [], [], 0.005)
            now = time.monotonic()
            if readable:
                try:
                    data = os.read(self._master, 4096)
                except (BlockingIOError, OSError):
                    data = b''
                for frame in self.decoder.feed(data):
                    self._on_frame(frame, now)
            with self.lock:
                if now - self._last_setpoint > self.watchdog:
                    self.velocities = (0.0, 0.0)
                dt = now - last
                self.angles[0] += self.velocities[0] * dt
                self.angles[1] += self.velocities[1] * dt
            last = now
            if now >= next_encoders:
                next_encoders += self.encoder_period
                ms = int((now - self._started) * 1000) & 0xFFFFFFFF
                self._send(encode(Command.ENCODERS, *self.ticks(), ms))
            if now >= next_heartbeat:
                next_heartbeat += self.heartbeat_period
                self._sequence = (self._sequence + 1) & 0xFFFF
                self._send(encode(Command.HEARTBEAT, self._sequence))
                if self.faults:  # repeated, so a host that missed it still learns it
                    self._send(encode(Command.FAULT, self.faults))

    def _on_frame(self, frame, now: float) -> None:
        with self.lock:
            if frame.command is Command.SET_VELOCITY:
                self.setpoints.append((now, *frame.values))
                del self.setpoints[:-1000]
                self._last_setpoint = now
                self.velocities = (0.0, 0.0) if self.faults else frame.values
            elif frame.command is Command.HEARTBEAT:
                self.heartbeats_received += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _int32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31
