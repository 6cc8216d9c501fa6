"""When a watched session ends and what it came to: shared by `berntsen sim` and the judge
that sim.launch.py runs."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from berntsen_bringup.session_outcome import (EXIT_FAILED, EXIT_OK, HELP_GRACE, SessionEnd,
                                              conclude)
from berntsen_bringup.transcript import Transcript


def test_the_coach_ending_its_routine_ends_the_session_well():
    assert SessionEnd(60, 0.0).check(5.0, 'done', coach_done=True) == \
        (EXIT_OK, 'the routine ended in step "done"')
    assert SessionEnd(60, 0.0).check(5.0, 'done') is None


def test_step_help_ends_the_session_after_the_grace():
    end = SessionEnd(0, 0.0)
    assert end.check(10.0, 'help') is None
    assert end.check(10.0 + HELP_GRACE / 2, 'help') is None
    assert end.check(10.0 + HELP_GRACE + 0.1, 'help') == \
        (EXIT_OK, 'the robot is waiting with the patient for help')


def test_a_crash_or_the_timeout_fails_the_session():
    assert SessionEnd(60, 0.0).check(1.0, 'greet', crashed='node "sim" exited with status -11') \
        == (EXIT_FAILED, 'node "sim" exited with status -11')
    assert SessionEnd(60, 0.0).check(59.0, 'greet') is None
    assert SessionEnd(60, 0.0).check(61.0, 'greet') == \
        (EXIT_FAILED, 'the session did not complete within 60 s (coach step: greet)')
    assert SessionEnd(0, 0.0).check(1e6, '') is None     # no timeout


def test_a_session_that_ended_well_fails_on_the_verdict():
    from berntsen_sim.scenario import load_scenario

    from berntsen_bringup import scenarios

    judging = scenarios.judging(load_scenario('cooperative_morning'))
    # nothing was said or done: every planned set is missing
    status, reason, lines = conclude(EXIT_OK, 'the routine ended in step "done"',
                                     Transcript(0.0), 1.0, judging, 'cooperative_morning')
    assert status == EXIT_FAILED and 'never done' in reason
    assert any('arm_raise' in line for line in lines)


def test_without_a_scenario_the_status_stands():
    assert conclude(EXIT_OK, 'stopped', Transcript(0.0), 1.0)[:2] == (EXIT_OK, 'stopped')


@pytest.mark.ros
@pytest.mark.slow
def test_judge_without_a_session_fails_at_its_timeout():
    """The session judge of sim.launch.py, run alone: nothing happens, so it fails."""
    src = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        str(src / p) for p in ('berntsen_bringup', 'berntsen_coach', 'berntsen_sim',
                               'berntsen_vision', 'berntsen_drivers')))
    env.setdefault('AMENT_PREFIX_PATH', sys.prefix)
    result = subprocess.run(
        [sys.executable, '-m', 'berntsen_bringup.session_judge', '--scenario', 'fall',
         '--timeout', '2', '--ros-args', '-r', '__node:=session_judge'],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_FAILED, result.stdout + result.stderr
    assert 'FAILED: the session did not complete within 2 s (coach step: unknown).' \
        in result.stdout
    assert 'Traceback' not in result.stderr


@pytest.mark.ros
@pytest.mark.slow
def test_judge_stops_on_ctrl_c_without_a_traceback():
    """Under ros2 launch the judge gets the terminal's SIGINT and launch's own one."""
    import signal
    import time

    src = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        str(src / p) for p in ('berntsen_bringup', 'berntsen_coach', 'berntsen_sim',
                               'berntsen_vision', 'berntsen_drivers')))
    env.setdefault('AMENT_PREFIX_PATH', sys.prefix)
    proc = subprocess.Popen(
        [sys.executable, '-m', 'berntsen_bringup.session_judge', '--scenario', 'fall',
         '--ros-args', '-r', '__node:=session_judge'],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert 'session judge: scenario fall' in proc.stdout.readline()
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130, out + err
    assert 'FAILED: stopped by the user.' in out
    assert 'Traceback' not in err, err
