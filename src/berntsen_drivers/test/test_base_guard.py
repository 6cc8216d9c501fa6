"""The base guard's rules, without ROS: sources and priorities, coach/state, e-stop, person."""
import os
import stat

import pytest

from berntsen_drivers.base_guard import BaseGuard, EStopLatch, GuardSettings, Source

SOURCES = (Source('teleop/cmd_vel', 100), Source('approach/cmd_vel', 50), Source('cmd_vel', 10))


def guard(**settings):
    g = BaseGuard(GuardSettings(sources=SOURCES, **settings))
    g.coach_state(True, 'approach', 0.0)
    return g


def test_the_highest_priority_fresh_source_drives():
    g = guard()
    g.offer('cmd_vel', 0.1, 0.0, now=0.0)
    g.offer('approach/cmd_vel', 0.2, 0.1, now=0.05)
    assert g.decide(0.1, 0.1).command == (0.2, 0.1)
    assert g.decide(0.1, 0.1).source == 'approach/cmd_vel'
    g.offer('teleop/cmd_vel', -0.1, 0.0, now=0.1)
    assert g.decide(0.15, 0.15).command == (-0.1, 0.0)


def test_a_quiet_source_gives_way_and_none_left_means_stop():
    g = guard(cmd_timeout=0.3)
    g.offer('cmd_vel', 0.1, 0.0, now=0.0)
    g.offer('approach/cmd_vel', 0.2, 0.0, now=0.0)
    g.offer('cmd_vel', 0.1, 0.0, now=0.3)   # the low-priority one keeps talking
    assert g.decide(0.5, 0.5).source == 'cmd_vel'
    decision = g.decide(0.7, 0.7)
    assert decision.command is None and decision.refusal == '' and decision.source == ''


def test_no_motion_while_the_coach_forbids_it_or_without_a_coach():
    g = BaseGuard(GuardSettings(sources=SOURCES))
    g.offer('cmd_vel', 0.2, 0.0, now=0.0)
    assert g.decide(0.0, 0.0).command is None
    assert g.decide(0.0, 0.0).refusal == 'no coach/state yet'
    g.coach_state(False, 'exercise', 0.0)
    decision = g.decide(0.0, 0.0)
    assert decision.command is None and decision.source == 'cmd_vel'
    assert 'forbids motion (step exercise)' in decision.refusal
    g.coach_state(True, 'approach', 1.0)
    assert g.decide(0.1, 1.0).command == (0.2, 0.0)


def test_a_stale_coach_state_stops_the_base():
    g = guard(state_timeout=3.0)
    g.offer('cmd_vel', 0.2, 0.0, now=10.0)
    assert g.decide(10.0, 3.0).command == (0.2, 0.0)
    decision = g.decide(10.0, 3.5)
    assert decision.command is None and decision.refusal == 'coach/state is 3.5 s old'
    g.coach_state(True, 'approach', 3.4)   # a heartbeat
    assert g.decide(10.0, 3.5).command == (0.2, 0.0)


def test_an_older_coach_state_arriving_late_does_not_win():
    g = guard()
    g.coach_state(False, 'exercise', 5.0)
    g.coach_state(True, 'approach', 4.0)
    g.offer('cmd_vel', 0.2, 0.0, now=0.0)
    assert g.decide(0.0, 5.0).command is None


def test_teleop_bring_up_without_a_coach():
    g = BaseGuard(GuardSettings(sources=SOURCES, require_coach_state=False))
    g.offer('teleop/cmd_vel', 0.2, 0.0, now=0.0)
    assert g.decide(0.0, 100.0).command == (0.2, 0.0)


def test_near_the_person_only_motion_away_from_her_passes():
    g = guard(min_person_distance=1.0, person_timeout=1.0)
    g.person_distance(0.8, 0.0)
    g.offer('approach/cmd_vel', 0.2, 0.3, now=0.0)
    decision = g.decide(0.0, 0.5)
    assert decision.command == (0.0, 0.3) and 'person 0.80 m away' in decision.refusal
    g.offer('approach/cmd_vel', -0.1, 0.0, now=0.1)
    assert g.decide(0.1, 0.6).command == (-0.1, 0.0)
    g.offer('approach/cmd_vel', 0.2, 0.0, now=0.2)
    assert g.decide(0.2, 1.5).command == (0.2, 0.0), 'an old estimate no longer counts'
    g.person_distance(1.2, 1.5)
    assert g.decide(0.2, 1.5).command == (0.2, 0.0)


def test_corrupt_inputs_are_refused_and_silence_their_source():
    g = guard()
    g.offer('cmd_vel', 0.2, 0.0, now=0.0)
    with pytest.raises(ValueError):
        g.offer('cmd_vel', float('nan'), 0.0, now=0.1)
    assert g.decide(0.1, 0.1).command is None, 'a NaN command stops the base'
    with pytest.raises(ValueError, match='not a velocity source'):
        g.offer('rogue/cmd_vel', 0.2, 0.0, now=0.1)
    with pytest.raises(ValueError):
        g.person_distance(float('inf'), 0.0)
    with pytest.raises(ValueError):
        g.person_distance(-1.0, 0.0)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        GuardSettings(sources=())
    with pytest.raises(ValueError, match='twice'):
        GuardSettings(sources=(Source('cmd_vel', 1), Source('cmd_vel', 2)))
    with pytest.raises(ValueError):
        GuardSettings(sources=SOURCES, cmd_timeout=0.0)


def test_e_stop_latches_until_released_and_reset():
    g = guard()
    g.offer('cmd_vel', 0.2, 0.0, now=0.0)
    assert g.e_stop.set(True)
    assert g.decide(0.0, 0.0).command is None
    assert 'e-stop' in g.decide(0.0, 0.0).refusal
    assert g.e_stop.reset() == (False, 'e-stop is still asserted; release it first')
    assert not g.e_stop.set(False)   # released: still latched
    assert g.decide(0.0, 0.0).command is None
    assert g.e_stop.reset() == (True, 'e-stop reset')
    assert g.decide(0.0, 0.0).command == (0.2, 0.0)
    assert g.e_stop.reset() == (True, 'e-stop was not latched')


def test_e_stop_latch_survives_a_restart_through_its_file(tmp_path):
    file = tmp_path / 'state' / 'e_stop_latched'
    latch = EStopLatch(file)
    assert not latch.latched and not latch.restored
    latch.set(True)
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(file.parent).st_mode) == 0o700
    again = EStopLatch(file)   # the motor node restarted
    assert again.latched and again.restored
    again.set(False)
    assert again.reset()[0] and not file.exists()
    assert not EStopLatch(file).latched


def test_status_says_why():
    g = guard()
    g.person_distance(2.0, 0.0)
    g.e_stop.set(True)
    status = g.status(0.0, 1.0)
    assert status['motion_refused'].startswith('e-stop latched')
    assert status['coach_state'] == 'allows motion, step approach, 1.0 s old'
    assert status['person_distance'] == '2.00 m, 1.0 s old'


def test_after_start_up_no_motion_until_the_e_stop_state_is_heard_or_the_wait_is_over():
    g = BaseGuard(GuardSettings(sources=SOURCES, require_coach_state=False, e_stop_wait=5.0), started=100.0)
    g.offer('cmd_vel', 0.2, 0.0, now=103.0)
    decision = g.decide(103.0, 0.0)
    assert decision.command is None and 'no e-stop state heard yet (3.0 s of 5.0 s' in decision.refusal
    g.offer('cmd_vel', 0.2, 0.0, now=105.0)
    assert g.decide(105.0, 0.0).command == (0.2, 0.0), 'no button on this robot: moves after the wait'

    heard = BaseGuard(GuardSettings(sources=SOURCES, require_coach_state=False, e_stop_wait=5.0), started=100.0)
    heard.e_stop.set(False)
    heard.offer('cmd_vel', 0.2, 0.0, now=100.5)
    assert heard.decide(100.5, 0.0).command == (0.2, 0.0)


def test_a_negative_e_stop_wait_is_refused():
    with pytest.raises(ValueError, match='e_stop_wait must be >= 0'):
        GuardSettings(sources=SOURCES, e_stop_wait=-1.0)
