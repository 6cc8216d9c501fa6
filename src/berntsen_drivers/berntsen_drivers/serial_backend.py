"""The `serial` wheel backend: the real motor controller over pyserial (docs/motor_protocol.md).

No rclpy here. Called from the node's control loop (50 Hz), never blocking: the port is
opened with `timeout=0` and `write_timeout=0`, reads take only what has arrived.

Safety: the backend says `can_move` only while the port is open, the controller was heard
within `link_timeout`, and it reports no fault. Otherwise it sends zero set-points (the
controller may still hear us when we cannot hear it), and the node stops its own output
too. An I/O error closes the port; it is reopened every `reconnect_period`. A controller
that falls silent and comes back needs no reopening: hearing it again restores the link.
"""
from __future__ import annotations

import math
from typing import Callable

import serial

from berntsen_drivers.motor_protocol import Command, Decoder, encode, fault_names, ticks_delta
from berntsen_drivers.wheel_backends import ERROR, OK, BackendStatus, WheelState

READ_CHUNK = 4096  # bytes per read; more than 50 Hz of controller frames at any baud rate


class SerialBackend:
    name = 'serial'

    def __init__(self, port: str, baud: int = 115200, ticks_per_rev: int = 4096,
                 heartbeat_period: float = 0.1, link_timeout: float = 0.3, reconnect_period: float = 1.0,
                 open_port: Callable[..., object] = serial.Serial):
        if not isinstance(port, str) or not port:
            raise ValueError('serial port path is empty')
        for name, value in (('baud', baud), ('ticks_per_rev', ticks_per_rev)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f'{name} must be a positive integer, got {value!r}')
        for name, value in (('heartbeat_period', heartbeat_period), ('link_timeout', link_timeout),
                            ('reconnect_period', reconnect_period)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f'{name} must be > 0 s, got {value!r}')
        self.port_path, self.baud, self.ticks_per_rev = port, baud, ticks_per_rev
        self.heartbeat_period, self.link_timeout, self.reconnect_period = heartbeat_period, link_timeout, reconnect_period
        self._open_port = open_port
        self._port = None
        self._next_open = 0.0
        self.last_error = ''
        self.decoder = Decoder()
        self.faults = 0
        self.heard_at: float | None = None       # last valid frame from the controller
        self.link_losses = 0
        self.reconnects = 0                     # successful reopenings after an I/O error
        self._opened_once = False
        self._link_up = False
        self._sequence = 0
        self._next_heartbeat = 0.0
        self._ticks: tuple[int, int] | None = None
        self._positions = [0.0, 0.0]
        self._velocities = (0.0, 0.0)
        self._controller_ms: int | None = None
        self._last_encoders_at = 0.0
        self._stamp = 0.0
        self._state: WheelState | None = None

    # ------------------------------------------------------------ port

    def open(self, now: float) -> bool:
        """Try to open the port (at most every `reconnect_period`); True when it is open."""
        if self._port is not None:
            return True
        if now < self._next_open:
            return False
        self._next_open = now + self.reconnect_period
        try:
            self._port = self._open_port(self.port_path, self.baud, timeout=0, write_timeout=0)
        except (serial.SerialException, OSError, ValueError) as exc:
            self.last_error = f'cannot open {self.port_path}: {exc}'
            return False
        if self._opened_once:
            self.reconnects += 1
        self._opened_once = True
        self.last_error = ''
        self._next_heartbeat = now
        return True

    def _fail(self, exc: Exception, now: float) -> None:
        self.last_error = f'{self.port_path}: {exc}'
        self._drop_port()
        self._next_open = now + self.reconnect_period

    def _drop_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass

    def _write(self, data: bytes, now: float) -> None:
        try:
            self._port.write(data)
        except serial.SerialTimeoutException:
            pass  # output buffer full (nobody reading): the next set-point supersedes this one
        except (serial.SerialException, OSError) as exc:
            self._fail(exc, now)

    # ------------------------------------------------------------ backend interface

    def link_ok(self, now: float) -> bool:
        return self._port is not None and self.heard_at is not None and now - self.heard_at <= self.link_timeout

    def command(self, left: float, right: float, now: float) -> None:
        if not self.open(now):
            return
        if not self.link_ok(now) or self.faults:
            left = right = 0.0
        self._write(encode(Command.SET_VELOCITY, float(left), float(right)), now)
        if self._port is not None and now >= self._next_heartbeat:
            self._sequence = (self._sequence + 1) & 0xFFFF
            self._next_heartbeat = now + self.heartbeat_period
            self._write(encode(Command.HEARTBEAT, self._sequence), now)

    def read(self, now: float) -> WheelState | None:
        if self.open(now):
            try:
                # Only what is waiting: a bare read() after select() can find nothing on a
                # pseudo-terminal, which pyserial reports as a disconnected device.
                waiting = self._port.in_waiting
                data = self._port.read(min(waiting, READ_CHUNK)) if waiting else b''
            except (serial.SerialException, OSError) as exc:
                self._fail(exc, now)
                data = b''
            for frame in self.decoder.feed(data):
                self.heard_at = now
                if frame.command is Command.ENCODERS:
                    self._on_encoders(*frame.values, now=now)
                elif frame.command is Command.FAULT:
                    self.faults = frame.values[0]
        link_up = self.link_ok(now)
        if self._link_up and not link_up:
            self.link_losses += 1
        self._link_up = link_up
        return self._state

    def _on_encoders(self, left: int, right: int, controller_ms: int, now: float) -> None:
        # Time from the controller's clock (exact spacing of its samples); our own clock
        # when the controller restarted or its clock jumped.
        if self._controller_ms is not None and 0 < (controller_ms - self._controller_ms) % 2**32 < 5000:
            dt = ((controller_ms - self._controller_ms) % 2**32) / 1000.0
        else:
            dt = 0.0 if self._state is None else max(0.0, now - self._last_encoders_at)
        self._controller_ms, self._last_encoders_at = controller_ms, now
        if self._ticks is not None and dt > 0.0:
            scale = 2.0 * math.pi / self.ticks_per_rev
            moved = (ticks_delta(self._ticks[0], left) * scale, ticks_delta(self._ticks[1], right) * scale)
            self._positions[0] += moved[0]
            self._positions[1] += moved[1]
            self._velocities = (moved[0] / dt, moved[1] / dt)
        self._ticks = (left, right)
        self._stamp += dt
        self._state = WheelState(self._positions[0], self._positions[1], *self._velocities, stamp=self._stamp)

    def status(self, now: float) -> BackendStatus:
        values = {
            'port': self.port_path,
            'port_open': self._port is not None,
            'link': 'ok' if self.link_ok(now) else 'silent',
            'heard_ago': 'never' if self.heard_at is None else f'{now - self.heard_at:.2f}',
            'frames_received': self.decoder.frames,
            'frames_corrupted': self.decoder.corrupted,
            'frames_unknown': self.decoder.unknown,
            'bytes_skipped': self.decoder.skipped_bytes,
            'link_losses': self.link_losses,
            'reconnects': self.reconnects,
            'fault_code': f'0x{self.faults:02x}',
            'faults': ','.join(fault_names(self.faults)) or 'none',
        }
        if self._port is None:
            return BackendStatus(ERROR, self.last_error or f'{self.port_path} not open', False, values)
        if self.faults:
            return BackendStatus(ERROR, f'controller fault: {values["faults"]}', False, values)
        if self.heard_at is None:
            return BackendStatus(ERROR, f'no word yet from the motor controller on {self.port_path}', False, values)
        if not self.link_ok(now):
            return BackendStatus(ERROR, f'motor controller silent on {self.port_path}', False, values)
        return BackendStatus(OK, 'ok', True, values)

    def close(self) -> None:
        """Stop the wheels (best effort) and release the port."""
        if self._port is not None:
            try:
                self._port.write(encode(Command.SET_VELOCITY, 0.0, 0.0))  # no flush: it could block
            except (serial.SerialException, OSError):
                pass  # the port is gone: the controller's own watchdog stops the wheels
        self._drop_port()
