"""The framed serial protocol between the motor node and the motor controller.

No rclpy, no pyserial here: bytes in, frames out, and back. The protocol is described for
firmware authors in docs/motor_protocol.md; this module is its reference implementation.

Frame (all multi-byte fields little-endian except the CRC, which is sent high byte first):

    0xAA | LEN | CMD | PAYLOAD (LEN bytes) | CRC16 hi | CRC16 lo

CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) over LEN, CMD
and PAYLOAD. The decoder resynchronises on the next start byte after garbage or a bad
frame, and counts what it dropped.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag

START = 0xAA
MAX_PAYLOAD = 32
HEADER = 3   # start, length, command
TRAILER = 2  # CRC


class Command(IntEnum):
    SET_VELOCITY = 0x01  # host -> controller: float32 left, float32 right (wheel rad/s)
    ENCODERS = 0x02      # controller -> host: int32 left ticks, int32 right ticks, uint32 controller ms
    HEARTBEAT = 0x03     # both ways: uint16 sequence number
    FAULT = 0x04         # controller -> host: uint8 fault bits (0: no fault any more)


class Fault(IntFlag):
    OVER_CURRENT = 0x01
    DRIVER_FAULT = 0x02   # the motor driver chip reports a fault
    UNDER_VOLTAGE = 0x04
    OVER_TEMPERATURE = 0x08


_PAYLOAD_FORMATS = {
    Command.SET_VELOCITY: '<ff',
    Command.ENCODERS: '<iiI',
    Command.HEARTBEAT: '<H',
    Command.FAULT: '<B',
}


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


@dataclass(frozen=True)
class Frame:
    command: Command
    values: tuple  # the payload fields, as in _PAYLOAD_FORMATS


def encode(command: Command, *values) -> bytes:
    """One frame: `encode(Command.SET_VELOCITY, 1.5, -1.5)`. Raises ValueError/TypeError on bad values."""
    command = Command(command)
    if command is Command.SET_VELOCITY and not all(math.isfinite(v) for v in values):
        raise ValueError(f'wheel velocities must be finite, got {values}')
    try:
        payload = struct.pack(_PAYLOAD_FORMATS[command], *values)
    except struct.error as exc:
        raise ValueError(f'{command.name} payload {values}: {exc}') from exc
    body = bytes([len(payload), command]) + payload
    return bytes([START]) + body + crc16_ccitt_false(body).to_bytes(2, 'big')


def fault_names(bits: int) -> list[str]:
    """['OVER_CURRENT', 'UNDER_VOLTAGE'] for 0x05; unknown bits as 'UNKNOWN_0x40'."""
    names = [fault.name for fault in Fault if bits & fault]
    unknown = bits & ~sum(Fault)
    if unknown:
        names.append(f'UNKNOWN_0x{unknown:02x}')
    return names


class Decoder:
    """Bytes in (any chunking), whole valid frames out.

    A frame is dropped when its CRC is wrong, its length is impossible, or its payload does
    not fit its command; decoding goes on from the byte after the dropped start byte, so a
    valid frame hidden behind garbage is still found.
    """

    def __init__(self):
        self._buffer = bytearray()
        self.frames = 0           # valid frames decoded
        self.corrupted = 0        # candidate frames dropped (bad CRC, length or payload); a 0xAA
                                  # inside a dropped frame is tried next, so one bad frame may count twice
        self.unknown = 0          # valid CRC but a command this side does not know
        self.skipped_bytes = 0    # bytes thrown away looking for a start byte

    def feed(self, data: bytes) -> list[Frame]:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f'feed takes bytes, got {type(data).__name__}')
        self._buffer += data
        frames = []
        while True:
            start = self._buffer.find(START)
            if start < 0:
                self.skipped_bytes += len(self._buffer)
                self._buffer.clear()
                break
            if start:
                self.skipped_bytes += start
                del self._buffer[:start]
            if len(self._buffer) < 2:
                break
            length = self._buffer[1]
            if length > MAX_PAYLOAD:
                self._drop()
                continue
            size = HEADER + length + TRAILER
            if len(self._buffer) < size:
                break
            body = bytes(self._buffer[1:HEADER + length])
            crc = int.from_bytes(self._buffer[HEADER + length:size], 'big')
            if crc != crc16_ccitt_false(body):
                self._drop()
                continue
            try:
                command = Command(body[1])
            except ValueError:  # well-formed, but not ours to understand: skip it whole
                self.unknown += 1
                self.frames += 1
                del self._buffer[:size]
                continue
            try:
                values = struct.unpack(_PAYLOAD_FORMATS[command], body[2:])
            except struct.error:  # wrong payload size for the command
                self._drop()
                continue
            del self._buffer[:size]
            self.frames += 1
            frames.append(Frame(command, values))
        return frames

    def _drop(self) -> None:
        # Only the start byte: the next frame may begin inside the bytes we took for this one.
        self.corrupted += 1
        del self._buffer[:1]


def ticks_delta(previous: int, current: int) -> int:
    """Signed change between two int32 tick counters, across a wrap-around."""
    return (current - previous + 2**31) % 2**32 - 2**31
