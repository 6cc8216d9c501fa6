"""Start ROS 2 nodes as child processes and stop them cleanly (no rclpy import here).

Used by the `berntsen` command (where ROS 2 launch is not installed) and by the
integration tests. Each node runs as `python -m <module> --ros-args ...` in its own
process group, so stopping it also stops anything it started.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence


@dataclass
class NodeProcessSpec:
    """How to start one node: the module with its `main()`, its ROS name and arguments."""

    module: str
    name: str
    namespace: str = ''
    params_files: Sequence[str] = ()
    params: Mapping[str, object] = field(default_factory=dict)
    remappings: Mapping[str, str] = field(default_factory=dict)
    log_level: str = ''

    def command(self) -> list[str]:
        cmd = [sys.executable, '-u', '-m', self.module, '--ros-args', '-r', f'__node:={self.name}']
        if self.namespace:
            cmd += ['-r', f'__ns:={self.namespace}']
        for path in self.params_files:
            cmd += ['--params-file', str(path)]
        for key, value in self.params.items():
            cmd += ['-p', f'{key}:={_ros_value(value)}']
        for src, dst in self.remappings.items():
            cmd += ['-r', f'{src}:={dst}']
        if self.log_level:
            cmd += ['--log-level', self.log_level]
        return cmd


def _ros_value(value: object) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        return '[' + ','.join(_ros_value(v) for v in value) + ']'
    if isinstance(value, str):
        # YAML-quote strings so that e.g. "1" or "true" stay strings
        return "'" + value.replace("'", "''") + "'"
    return str(value)


class NodeProcess:
    """One running node. `stop()` sends SIGINT, then SIGTERM, then SIGKILL."""

    def __init__(self, spec: NodeProcessSpec, env: Mapping[str, str] | None = None,
                 stdout=None, stderr=None):
        self.spec = spec
        self.popen = subprocess.Popen(
            spec.command(), env=dict(env) if env is not None else None,
            stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
            start_new_session=True)

    @property
    def name(self) -> str:
        return self.spec.name

    def poll(self) -> int | None:
        return self.popen.poll()

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 3.0) -> int:
        """Stop the node (and its process group); returns its exit code."""
        if self.popen.poll() is None:
            self.signal(signal.SIGINT)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGTERM)
                try:
                    self.popen.wait(1.0)
                except subprocess.TimeoutExpired:
                    self.signal(signal.SIGKILL)
                    self.popen.wait()
        # anything the node started in its group goes too
        self.signal(signal.SIGKILL)
        return self.popen.returncode


def stop_all(processes: Sequence[NodeProcess], timeout: float = 3.0) -> dict[str, int]:
    """Stop every process in parallel: SIGINT to all first, so shutdown takes one timeout."""
    for proc in processes:
        if proc.poll() is None:
            proc.signal(signal.SIGINT)
    deadline = time.monotonic() + timeout
    for proc in processes:
        remaining = max(0.0, deadline - time.monotonic())
        try:
            proc.popen.wait(remaining)
        except subprocess.TimeoutExpired:
            pass
    return {proc.name: proc.stop(timeout=0.5) for proc in processes}
