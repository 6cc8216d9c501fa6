"""The runner's supervision rules: restarting dead nodes, and injecting faults on time."""
import pytest

from berntsen_bringup.supervision import Fault, FaultPlan, FaultSpecError, LivenessWatch, RespawnPolicy


def test_fault_specs():
    assert Fault.parse('pose:kill@set_started+3') == Fault('pose', 'kill', 'set_started', 3.0)
    assert Fault.parse('speech:stop5@40') == Fault('speech', 'stop', '', 40.0, 5.0)
    assert Fault.parse('motor:int@session_started') == Fault('motor', 'int', 'session_started', 0.0)
    assert Fault.parse('pose:stop2.5@set_started+1').hold == 2.5
    assert 'frozen (SIGSTOP) for 5 s' in Fault.parse('speech:stop5@40').describe()


@pytest.mark.parametrize('spec', ['pose', 'pose:kill', 'pose:explode@3', 'pose:stop@3',
                                  ':kill@3', 'pose:kill@', 'pose:kill@set started', 'pose:kill@-3'])
def test_bad_fault_specs_say_what_is_expected(spec):
    with pytest.raises(FaultSpecError, match='expected NODE:ACTION@WHEN'):
        Fault.parse(spec)


def test_faults_come_due_once_after_their_trigger():
    plan = FaultPlan([Fault.parse('pose:kill@set_started+3'), Fault.parse('speech:int@10')])
    assert plan.due(5.0, started=0.0, first_event={}) == []
    assert [f.node for f in plan.due(10.0, 0.0, {})] == ['speech']
    assert plan.due(20.0, 0.0, {}) == [], 'the set has not started'
    assert plan.due(22.9, 0.0, {'set_started': 20.0}) == []
    assert [f.node for f in plan.due(23.0, 0.0, {'set_started': 20.0})] == ['pose']
    assert plan.due(30.0, 0.0, {'set_started': 20.0}) == [] and not plan.faults
    assert [t for t, _ in plan.injected] == [10.0, 23.0]


def test_a_respawnable_node_is_restarted_a_few_times_then_given_up_on():
    policy = RespawnPolicy(frozenset({'pose'}), max_respawns=3, window=60.0, delay=1.0)
    assert policy.on_exit('coach', 0.0) is None, 'not respawnable: the session fails'
    assert policy.on_exit('pose', 10.0) == 11.0
    assert policy.on_exit('pose', 20.0) == 21.0
    assert policy.on_exit('pose', 30.0) == 31.0
    assert policy.on_exit('pose', 40.0) is None, 'a fourth death within a minute'
    assert policy.on_exit('pose', 95.0) == 96.0, 'the old deaths have left the window'
    assert policy.count('pose') == 1   # in the last minute


def test_a_node_silent_on_diagnostics_is_found_with_more_patience_while_it_starts():
    watch = LivenessWatch(frozenset({'pose', 'speech'}), startup=45.0, running=10.0)
    watch.started('pose', 0.0)
    watch.started('speech', 0.0)
    watch.started('coach', 0.0)   # not watched: never reported
    assert watch.silent(44.0, {}) == [], 'still loading'
    assert watch.silent(46.0, {'speech': 45.5}) == [('pose', 46.0)]
    heard = {'pose': 50.0, 'speech': 50.0}
    assert watch.silent(60.0, heard) == []
    assert watch.silent(60.5, heard) == [('pose', 10.5), ('speech', 10.5)], 'hung after it ran'
    watch.started('pose', 61.0)   # killed and started again: its old status does not count
    assert [n for n, _ in watch.silent(62.0, heard)] == ['speech']
    assert [n for n, _ in watch.silent(106.5, heard)] == ['pose', 'speech']


def test_before_the_session_begins_any_node_that_dies_is_started_again():
    policy = RespawnPolicy(frozenset({'pose'}), max_respawns=3, window=60.0, delay=1.0)
    assert policy.on_exit('coach', 2.0, session_begun=False) == 3.0, 'a crash while starting'
    assert policy.on_exit('coach', 20.0, session_begun=True) is None, 'a session would be lost'
    for t in (30.0, 31.0, 32.0):
        policy.on_exit('sim', t, session_begun=False)
    assert policy.on_exit('sim', 33.0, session_begun=False) is None, 'the same limit applies'
