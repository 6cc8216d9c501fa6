"""The routine's approach step ends either way: arrived, or failed and greeted from here."""
import pytest

from berntsen_coach.routine import Event, Say, StateChanged
from test_coach_routine import Session


def test_a_failed_approach_is_recorded_and_the_session_goes_on():
    s = Session()
    s.take(s.routine.start(s.t))
    assert s.routine.wants_approach
    s.t += 30.0
    actions = s.take(s.routine.on_approach_failed(s.t, 'e-stop pressed'))
    assert Event('approach_failed', {'reason': 'e-stop pressed'}) in actions
    assert not s.routine.wants_approach and not s.routine.motion_allowed
    assert s.routine.step.value == 'greet'
    [greeting] = [a for a in actions if isinstance(a, Say)]
    assert greeting.kind == 'greeting'
    assert greeting.text.endswith(s.routine.phrases.text('from_here')), 'she hears why it stays'
    assert [a.step for a in actions if isinstance(a, StateChanged)] == ['greet']
    assert 'arrived' not in [e.kind for e in s.events]


def test_approach_failed_outside_the_approach_does_nothing():
    s = Session(approach=False)
    s.take(s.routine.start(s.t))
    assert s.routine.step.value == 'greet'
    assert s.routine.on_approach_failed(1.0, 'late') == []
    assert s.routine.on_arrived(1.0) == []


def test_approach_failed_checks_its_reason():
    s = Session()
    s.take(s.routine.start(s.t))
    with pytest.raises(TypeError):
        s.routine.on_approach_failed(1.0, None)
    with pytest.raises(ValueError):
        s.routine.on_approach_failed(float('nan'), 'x')
