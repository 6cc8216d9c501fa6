"""The set-up step: idempotent, and a missing prerequisite stops with one clear sentence."""
import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUP = ROOT / 'scripts' / 'setup.sh'


def test_wrong_python_stops_with_a_clear_sentence(tmp_path):
    fake = tmp_path / 'python3.9'
    fake.write_text('#!/bin/sh\nexit 1\n')
    fake.chmod(0o755)
    result = subprocess.run(['bash', str(SETUP)], env=dict(os.environ, BERNTSEN_PYTHON=str(fake)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f'BERNTSEN_PYTHON={fake} is not a working Python 3.11' in result.stderr


def test_second_run_with_nothing_changed_is_quick():
    first = subprocess.run(['bash', str(SETUP)], capture_output=True, text=True, timeout=1200)
    assert first.returncode == 0, first.stdout + first.stderr
    start = time.monotonic()
    result = subprocess.run(['bash', str(SETUP)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.monotonic() - start < 30
    assert 'installing' not in result.stdout and 'building' not in result.stdout
