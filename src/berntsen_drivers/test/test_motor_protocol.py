"""The motor controller protocol: framing, CRC, resynchronisation (no ROS, no serial port)."""
import math
import struct

import pytest

from berntsen_drivers.motor_protocol import (MAX_PAYLOAD, START, Command, Decoder, Fault, Frame, crc16_ccitt_false,
                                             encode, fault_names, ticks_delta)


def test_crc16_ccitt_false_check_value():
    assert crc16_ccitt_false(b'123456789') == 0x29B1  # the catalogue's check value
    assert crc16_ccitt_false(b'') == 0xFFFF


def test_frame_layout_is_as_documented():
    frame = encode(Command.SET_VELOCITY, 1.5, -2.0)
    assert frame[0] == START and frame[1] == 8 and frame[2] == Command.SET_VELOCITY
    assert struct.unpack('<ff', frame[3:11]) == (1.5, -2.0)
    assert int.from_bytes(frame[11:13], 'big') == crc16_ccitt_false(frame[1:11])
    assert len(encode(Command.HEARTBEAT, 7)) == 3 + 2 + 2


@pytest.mark.parametrize('command, values', [
    (Command.SET_VELOCITY, (0.25, -3.5)),
    (Command.ENCODERS, (-2**31, 2**31 - 1, 123456)),
    (Command.HEARTBEAT, (65535,)),
    (Command.FAULT, (Fault.OVER_CURRENT | Fault.UNDER_VOLTAGE,)),
])
def test_round_trip_byte_by_byte(command, values):
    decoder = Decoder()
    frames = []
    for byte in encode(command, *values):
        frames += decoder.feed(bytes([byte]))
    assert frames == [Frame(command, values)]
    assert (decoder.frames, decoder.corrupted, decoder.skipped_bytes) == (1, 0, 0)


def test_bad_values_are_refused():
    with pytest.raises(ValueError):
        encode(Command.SET_VELOCITY, math.nan, 0.0)
    with pytest.raises(ValueError):
        encode(Command.SET_VELOCITY, 1.0)
    with pytest.raises(ValueError):
        encode(Command.HEARTBEAT, 70000)
    with pytest.raises(ValueError):
        encode(0x7F, 1)
    with pytest.raises(TypeError):
        Decoder().feed('text')


def test_resyncs_after_garbage_and_counts_corrupted_frames():
    good = encode(Command.ENCODERS, 10, -10, 5)
    corrupt = bytearray(encode(Command.ENCODERS, 11, -11, 6))
    corrupt[5] ^= 0x01  # one bit flipped in the payload
    truncated = encode(Command.HEARTBEAT, 3)[:4]  # a frame cut off by a reset, then a new frame
    stream = b'\x01\x02' + good + bytes(corrupt) + truncated + good + bytes([START, MAX_PAYLOAD + 1]) + good
    decoder = Decoder()
    frames = decoder.feed(stream)
    assert frames == [Frame(Command.ENCODERS, (10, -10, 5))] * 3
    assert decoder.corrupted == 3  # the flipped bit, the cut-off frame, the impossible length
    assert decoder.frames == 3 and decoder.skipped_bytes > 2


def test_a_frame_hidden_in_a_bad_frame_is_found():
    good = encode(Command.HEARTBEAT, 42)
    decoder = Decoder()
    # a stray start byte whose length swallows the good frame: the decoder waits for the
    # bytes it needs, finds the CRC wrong, drops only the start byte, and finds both frames
    assert decoder.feed(bytes([START, 6, 0x03]) + good) == []
    assert decoder.feed(good) == [Frame(Command.HEARTBEAT, (42,))] * 2
    assert decoder.corrupted == 1


def test_unknown_command_with_good_crc_is_counted_not_returned():
    body = bytes([1, 0x55, 9])
    frame = bytes([START]) + body + crc16_ccitt_false(body).to_bytes(2, 'big')
    decoder = Decoder()
    assert decoder.feed(frame + encode(Command.HEARTBEAT, 1)) == [Frame(Command.HEARTBEAT, (1,))]
    assert decoder.unknown == 1 and decoder.corrupted == 0


def test_wrong_payload_length_for_its_command_is_corrupted():
    body = bytes([2, Command.SET_VELOCITY, 0, 0])
    decoder = Decoder()
    assert decoder.feed(bytes([START]) + body + crc16_ccitt_false(body).to_bytes(2, 'big')) == []
    assert decoder.corrupted == 1


def test_fault_names_and_tick_wrap_around():
    assert fault_names(0) == []
    assert fault_names(0x05) == ['OVER_CURRENT', 'UNDER_VOLTAGE']
    assert fault_names(0x42) == ['DRIVER_FAULT', 'UNKNOWN_0x40']
    assert ticks_delta(2**31 - 10, -2**31 + 5) == 15
    assert ticks_delta(-2**31 + 5, 2**31 - 10) == -15
    assert ticks_delta(100, 40) == -60


def test_the_examples_in_the_protocol_document_are_right():
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / 'docs' / 'motor_protocol.md').read_text()
    examples = re.findall(r'^([A-Z_]+) +(\S.*?) {2,}((?:[0-9a-f]{2} )+[0-9a-f]{2})$', doc, re.MULTILINE)
    assert len(examples) == 4
    for name, args, frame in examples:
        values = [int(a, 0) if re.fullmatch(r'-?(0x)?[0-9a-f]+', a) else float(a) for a in args.split(', ')]
        assert encode(Command[name], *values).hex(' ') == frame, name
