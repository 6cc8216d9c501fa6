"""The soak benchmark's short version: two simulated sessions back to back, one log."""
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.ros]


def test_two_sessions_back_to_back_write_one_log_and_report_their_nodes(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / 'bench' / 'soak.py'), '--sessions', '2',
                          '--scenario', 'fall', '--run-dir', str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    print(run.stdout[-3000:], run.stderr[-3000:])
    assert run.returncode == 0, 'both sessions passed their verdict'
    rows = [line.split() for line in run.stdout.splitlines() if line[:3].strip() in ('1', '2')]
    assert [row[:2] for row in rows] == [['1', 'ok'], ['2', 'ok']]
    peaks = [cell for cell in rows[1][4:-2]]
    assert all(int(cell.split('/')[0]) > 20 for cell in peaks), 'every node was measured'
    assert '2 sessions, 0 failed' in run.stdout
    assert run.stdout.count('MB per hour') == len(peaks), 'a growth figure for every node'
    for session in ('001', '002'):
        assert 'OK:' in (tmp_path / 'sessions' / session / 'runner.log').read_text()
    with sqlite3.connect(tmp_path / 'sessions.sqlite3') as db:
        assert db.execute('SELECT COUNT(*) FROM sessions').fetchone()[0] == 2
