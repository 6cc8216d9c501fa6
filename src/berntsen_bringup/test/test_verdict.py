import pytest
from berntsen_bringup.transcript import Transcript
from berntsen_bringup.verdict import Expectation, judge


def _counted_set(t, counted, truth, target=5):
    t.coach_state(1.0, 'exercise', 'arm_raise', 0, target, set_number=1, sets=1)
    for n in range(1, truth + 1):
        t.truth(1.0 + n, repetitions=n)
    for n in range(1, counted + 1):
        t.repetition(1.5 + n, 'arm_raise', n)


def test_a_complete_true_count_passes():
    t = Transcript(0.0)
    _counted_set(t, 5, 5)
    assert judge(Expectation('done'), t.figures, 'done') == []


@pytest.mark.parametrize('counted, truth', [(4, 5), (5, 4), (6, 6)])
def test_a_count_off_truth_or_target_fails(counted, truth):
    t = Transcript(0.0)
    _counted_set(t, counted, truth)
    problems = judge(Expectation('done'), t.figures, 'done')
    assert problems == [f'arm_raise set 1: counted {counted} of 5, the virtual patient did {truth}']


def test_the_wrong_final_step_fails():
    t = Transcript(0.0)
    _counted_set(t, 5, 5)
    assert judge(Expectation('done'), t.figures, 'no_response') == [
        'the routine ended in step "no_response", not "done"']


def test_no_response_needs_an_alert():
    t = Transcript(0.0)
    assert judge(Expectation('no_response'), t.figures, 'no_response') == [
        'the patient did not respond and no caregiver was alerted']
    t.alert(30.0, 'no response', urgent=False)
    assert judge(Expectation('no_response'), t.figures, 'no_response') == []


def test_a_fall_needs_an_urgent_alert_within_3_s():
    t = Transcript(0.0)
    t.truth(10.0, posture='lying_on_floor')
    t.alert(14.0, 'on floor', urgent=True)
    assert judge(Expectation('help'), t.figures, 'help') == [
        'the urgent alert came 4.0 s after the fall (limit 3 s)']
    t = Transcript(0.0)
    t.truth(10.0, posture='lying_on_floor')
    t.alert(11.0, 'on floor', urgent=False)
    assert judge(Expectation('help'), t.figures, 'help') == [
        'the patient lay on the floor and no urgent caregiver alert was sent']
    t.alert(11.5, 'on floor', urgent=True)
    assert judge(Expectation('help'), t.figures, 'help') == []


def test_touching_anything_or_coming_too_close_fails():
    t = Transcript(0.0)
    t.coach_state(0.5, 'approach', '', 0, 0)
    t.distance(1.0, 2.05)
    t.arrived(1.1)
    t.contact(2.0, 'bed_frame')
    _counted_set(t, 5, 5)
    problems = judge(Expectation('done', approach_distance=2.2), t.figures, 'done')
    assert problems == ['the robot touched bed_frame',
                        'the robot came to 2.05 m of the patient, closer than the approach '
                        'distance 2.20 m']


def test_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match='one of done, no_response, help'):
        Expectation('asleep')


def test_scenarios_configure_the_graph_and_say_what_to_expect():
    from berntsen_sim.scenario import list_scenarios, load_scenario

    from berntsen_bringup import scenarios

    for name in list_scenarios():
        scenario = load_scenario(name)
        params = scenarios.node_parameters(scenario)
        assert params['sim'] == {'scenario': str(scenario.path)}
        assert params['coach']['programme_file'] == scenario.programme
        assert not any(type(v) is int for v in params['coach'].values()), 'doubles stay doubles'
        assert scenarios.expectation(scenario).outcome == scenario.expect['outcome']
    approach = scenarios.expectation(load_scenario('approach'))
    assert approach.approach_distance == load_scenario('approach').coach['approach_distance']


def test_an_approach_without_a_distance_is_refused(tmp_path):
    from berntsen_sim.scenario import load_scenario

    from berntsen_bringup import scenarios

    path = tmp_path / 'vague.yaml'
    path.write_text('description: drives somewhere\npersona: cooperative\n'
                    'coach: {approach: true}\nexpect: {outcome: done}\n')
    with pytest.raises(ValueError, match='must say approach_distance'):
        scenarios.expectation(load_scenario(str(path)))


def _approach(arrive_at=None, samples=(3.8, 3.0, 2.5)):
    t = Transcript(0.0)
    t.coach_state(0.5, 'approach', '', 0, 0)
    for i, d in enumerate(samples):
        t.distance(1.0 + i, d)
    if arrive_at is not None:
        t.distance(5.0, arrive_at)
        t.arrived(5.1)
    _counted_set(t, 5, 5)
    return t


def test_an_approach_must_arrive_near_the_distance():
    expect = Expectation('done', approach_distance=2.2)
    assert judge(expect, _approach(arrive_at=2.3).figures, 'done') == []
    assert judge(expect, _approach().figures, 'done') == [
        'the robot never arrived at the patient (or the simulator sent no distance)']
    assert judge(expect, _approach(arrive_at=2.7).figures, 'done') == [
        'the robot stopped 2.70 m from the patient, more than 0.40 m short of the approach '
        'distance 2.20 m']
