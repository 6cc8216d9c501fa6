"""Start ROS 2 nodes as child processes and stop them cleanly (no rclpy import here).

Used by the `berntsen` command (where ROS 2 launch is not installed) and by the
integration tests. Each node runs as `python -m <module> --ros-args ...` in its own
process group, so stopping it also stops anything it started. It is started through this
module run as a program (`python -m berntsen_bringup.processes NODE-COMMAND...`), which
prepares the process and then becomes the node (exec): no Python runs between fork and
exec in the starting process, so a node can be started again while the runner's threads
run (a pre-exec function may deadlock there).
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import random
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


_PR_SET_PDEATHSIG = 1
try:  # resolved here: the child must not dlopen between fork and exec
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _prepare_and_exec(command: Sequence[str]) -> None:
    """In the started process, before it becomes the node: get SIGTERM when the starting
    process dies (Linux; kept across exec), so a killed `berntsen` or test run leaves no
    node behind; and take SIGINT again, which a runner started in the background by a
    script (nohup, `cmd &`) passes on as ignored, so that Ctrl-C / stop_all() ends a node
    politely rather than after a SIGTERM."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execv(command[0], list(command))


class NodeProcess:
    """One running node, in its own process group; `stop_all()` ends it."""

    def __init__(self, spec: NodeProcessSpec, env: Mapping[str, str] | None = None,
                 stdout=None, stderr=None):
        self.spec = spec
        self.popen = subprocess.Popen(
            [sys.executable, '-m', 'berntsen_bringup.processes', *spec.command()],
            env=dict(env) if env is not None else None,
            stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, start_new_session=True)

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

def stop_all(processes: Sequence[NodeProcess], timeout: float = 3.0) -> dict[str, int]:
    """Stop every process at once: SIGINT to all, SIGTERM to those left after `timeout`,
    SIGKILL to those left half a second later; at most `timeout` + 1 s in all."""
    escalation = ((signal.SIGINT, timeout), (signal.SIGTERM, 0.5), (signal.SIGKILL, 0.5))
    for sig, grace in escalation:
        running = [p for p in processes if p.poll() is None]
        for proc in running:
            proc.signal(sig)
        deadline = time.monotonic() + grace
        for proc in running:
            try:
                proc.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    for proc in processes:
        proc.signal(signal.SIGKILL)  # whatever a node started in its group goes too
    return {proc.name: proc.popen.returncode for proc in processes}


def claim_domain_id() -> str:
    """A ROS_DOMAIN_ID no other test or benchmark run on this machine holds (a lock file per
    id, held until this process exits), so that runs side by side never hear each other.

    Ids 1..100 stay clear of the ports other ROS 2 users on Linux typically take.
    """
    ids = list(range(1, 101))
    random.shuffle(ids)
    for domain_id in ids:
        handle = open(f'/tmp/berntsen-test-domain-{domain_id}.lock', 'w')
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _CLAIMED.append(handle)   # keep the lock alive
        return str(domain_id)
    raise RuntimeError('all ROS domain ids 1..100 are taken by other test or benchmark runs')


_CLAIMED: list = []   # the lock files of claimed domain ids, open for the process's life


if __name__ == '__main__':
    _prepare_and_exec(sys.argv[1:])
