"""`berntsen sim` stops cleanly: Ctrl-C ends every node of the run within 5 s.

(The sessions themselves, against ground truth, are in test_scenarios.py.)"""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.ros]


def _berntsen(args, run_dir, marker):
    env = dict(os.environ, BERNTSEN_TEST_MARKER=marker)
    return subprocess.Popen(
        [sys.executable, '-m', 'berntsen_bringup.cli', *args, '--run-dir', str(run_dir)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)


def _processes_with_marker(marker):
    found = []
    for proc in Path('/proc').iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / 'environ').read_bytes()
            state = (proc / 'stat').read_text().split()[2]
        except OSError:
            continue
        if f'BERNTSEN_TEST_MARKER={marker}'.encode() in environ and state != 'Z':
            found.append(int(proc.name))
    return found


def _kill_leftovers(proc, marker):
    """After a failed or timed-out run: nothing of it may keep loading the machine."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for pid in _processes_with_marker(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_ctrl_c_stops_every_node_within_5_s(tmp_path):
    marker = uuid.uuid4().hex
    proc = _berntsen(['sim'], tmp_path, marker)
    try:
        # wait until the graph is up and talking
        deadline = time.monotonic() + 120
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if 'robot says' in line or time.monotonic() > deadline:
                break
        assert any('robot says' in line for line in lines), ''.join(lines)
        assert len(_processes_with_marker(marker)) >= 6  # berntsen + five nodes
        start = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=10)
        elapsed = time.monotonic() - start
        time.sleep(0.3)
        leftovers = _processes_with_marker(marker)
    finally:
        _kill_leftovers(proc, marker)
    assert elapsed < 5.0, rest
    assert proc.returncode == 130
    assert 'stopped by the user' in rest
    assert leftovers == []
