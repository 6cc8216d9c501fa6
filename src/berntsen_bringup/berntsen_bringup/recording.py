"""Session recordings in MCAP, the format rosbag2 writes by default and Foxglove opens.

No rclpy here: messages arrive serialized (CDR, as on the wire) and are written as rosbag2
does, with profile `ros2`, schema encoding `ros2msg` (the .msg definition with its
dependencies, each after a `MSG: pkg/Name` separator) and message encoding `cdr`, so
`ros2 bag info`, Foxglove and the `mcap` package's ros2 decoder read them.

Privacy: the file is created 0600 in a 0700 folder; the patient's name (words of it) is
replaced by "[name]" in the speech the recorder hands over (recorder_node.py does that
before serializing), and no camera image is written unless asked for.
"""
from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Iterable

from mcap.writer import CompressionType, Writer

SEPARATOR = '=' * 80
PRIMITIVES = {'bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16',
              'int32', 'uint32', 'int64', 'uint64', 'string', 'wstring'}


class RecordingError(RuntimeError):
    """A recording cannot be written; the message says why."""


def _share_dirs() -> list[Path]:
    prefixes = os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep)
    return [Path(p) / 'share' for p in prefixes if p]


def _msg_file(package: str, name: str, share_dirs: Iterable[Path]) -> Path:
    for share in share_dirs:
        path = share / package / 'msg' / f'{name}.msg'
        if path.is_file():
            return path
    raise RecordingError(f'no definition of {package}/msg/{name} under AMENT_PREFIX_PATH')


def _field_types(text: str, package: str) -> list[tuple[str, str]]:
    """(package, name) of each non-primitive field type in a .msg text."""
    found = []
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if not line or '=' in line.split()[0] or len(line.split()) < 2:
            continue
        if '=' in line.split(None, 1)[1].split()[0]:
            continue   # a constant
        base = re.sub(r'\[.*?\]$', '', line.split()[0])
        base = re.sub(r'<=\d+$', '', base)
        if base in PRIMITIVES or base.startswith(('string<', 'wstring<')):
            continue
        if base == 'Header':
            found.append(('std_msgs', 'Header'))
        elif '/' in base:
            pkg, _, name = base.rpartition('/')
            found.append((pkg.split('/')[0], name))
        else:
            found.append((package, base))
    return found


def message_definition(type_name: str, share_dirs: Iterable[Path] | None = None) -> str:
    """The ros2msg schema text of e.g. 'berntsen_interfaces/msg/Skeleton2D', as rosbag2
    writes it: the message's own definition, then each type it uses, once."""
    dirs = list(share_dirs) if share_dirs is not None else _share_dirs()
    package, _, name = type_name.partition('/msg/')
    if not name:
        raise RecordingError(f'not a message type name: {type_name!r} (want pkg/msg/Name)')
    text = _msg_file(package, name, dirs).read_text(encoding='utf-8')
    parts, seen = [text.rstrip('\n')], {(package, name)}
    pending = _field_types(text, package)
    while pending:
        pkg, dep = pending.pop(0)
        if (pkg, dep) in seen:
            continue
        seen.add((pkg, dep))
        dep_text = _msg_file(pkg, dep, dirs).read_text(encoding='utf-8')
        parts.append(f'{SEPARATOR}\nMSG: {pkg}/{dep}\n{dep_text.rstrip(chr(10))}')
        pending += _field_types(dep_text, pkg)
    return '\n'.join(parts) + '\n'


def message_class(type_name: str):
    """The Python class of e.g. 'std_msgs/msg/String' (ImportError, AttributeError if none)."""
    package, _, name = type_name.partition('/msg/')
    return getattr(importlib.import_module(f'{package}.msg'), name)


class McapRecording:
    """An MCAP file being written: `write(topic, type_name, cdr_bytes, log_time_ns)`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = self._create()
        except OSError as exc:
            raise RecordingError(f'cannot create {self.path}: {exc.strerror or exc}') from exc
        self._file = os.fdopen(fd, 'wb')
        self._writer = Writer(self._file, compression=CompressionType.ZSTD)
        self._writer.start(profile='ros2', library='berntsen recorder')
        self._schemas: dict[str, int] = {}
        self._channels: dict[str, int] = {}
        self.messages = 0
        self.closed = False

    def _create(self) -> int:
        """Open a new file at `path`, or beside it (name-1.mcap, ...) when one is there: an
        earlier recording (a restarted recorder's) is never overwritten."""
        wanted, n = self.path, 0
        while True:
            try:
                return os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                n += 1
                self.path = wanted.with_name(f'{wanted.stem}-{n}{wanted.suffix}')

    def add_topic(self, topic: str, type_name: str) -> None:
        """List a topic in the file before its first message (it may never have one)."""
        if not self.closed:
            self._channel(topic, type_name)

    def _channel(self, topic: str, type_name: str) -> int:
        channel = self._channels.get(topic)
        if channel is None:
            schema = self._schemas.get(type_name)
            if schema is None:
                schema = self._writer.register_schema(
                    type_name, 'ros2msg', message_definition(type_name).encode())
                self._schemas[type_name] = schema
            channel = self._writer.register_channel(topic, 'cdr', schema)
            self._channels[topic] = channel
        return channel

    def write(self, topic: str, type_name: str, data: bytes, log_time_ns: int,
              publish_time_ns: int | None = None) -> None:
        if self.closed:
            return
        self._writer.add_message(self._channel(topic, type_name), log_time_ns, bytes(data),
                                 publish_time_ns if publish_time_ns is not None else log_time_ns)
        self.messages += 1

    @property
    def topics(self) -> list[str]:
        return sorted(self._channels)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._writer.finish()
            self._file.close()
