"""The verdict against honest and lying coaches: every lie fails the session.

A session is built as the monitor would record it: what the robot said (with times), its
session log, its alerts, and the simulator's truth. The programme: two sets of five arm
raises and one set of three mini squats, in Norwegian.
"""
import pytest

from berntsen_bringup.transcript import Transcript
from berntsen_bringup.verdict import Expectation, PlannedSet, judge, planned_sets
from berntsen_coach.exercises import load_exercises
from berntsen_coach.paths import package_config
from berntsen_coach.phrases import Phrases
from berntsen_coach.programme import parse_programme

PROGRAMME = {'patient': {'name': 'Kari', 'id': 'p-1'}, 'language': 'nb', 'items': [
    {'exercise': 'arm_raise', 'sets': 2, 'repetitions': 5, 'rest_seconds': 10},
    {'exercise': 'mini_squat', 'sets': 1, 'repetitions': 3, 'rest_seconds': 0}]}
NB = Phrases('nb')


@pytest.fixture(scope='module')
def plan():
    exercises = load_exercises(package_config() / 'exercises.yaml')
    return planned_sets(parse_programme(PROGRAMME, exercises), exercises, NB)


class Session:
    """A session as the monitor records it, advanced by hand."""

    def __init__(self):
        self.transcript = Transcript(0.0)
        self.now = 0.0

    @property
    def figures(self):
        return self.transcript.figures

    def say(self, text, duration=2.0):
        self.transcript.speech(self.now, True, text)
        self.now += duration
        self.transcript.speech(self.now, False, '')

    def log(self, kind, **detail):
        self.transcript.event(self.now, kind, detail)

    def step(self, name):
        self.log('step', step=name)

    def patient_does(self, duration=2.5, counted=True, amplitude=0.9):
        self.now += 1.0   # the pause before it
        self.now += duration
        self.transcript.truth_repetition(self.now, 'arm_raise', duration, amplitude, counted)

    def begin(self, planned: PlannedSet, words=None):
        """The set is announced (its own words unless others are given) and begins."""
        for text in (planned.announcements if words is None else words):
            self.say(text)
        self.log('set_started', exercise=planned.exercise, set=planned.number)

    def honest_set(self, planned: PlannedSet, done=None, words=None, said=None, logged=None):
        """She does `done` repetitions (default: the target); the robot counts what she did
        unless told to say or log other numbers."""
        self.begin(planned, words)
        done = planned.target if done is None else done
        for n in range(1, done + 1):
            self.patient_does()
            number = n if logged is None else logged(n)
            self.log('repetition', exercise=planned.exercise, set=planned.number, number=number)
            self.say(NB.number(n if said is None else said(n)), 0.8)
        kind = 'set_completed' if done >= planned.target else 'set_incomplete'
        self.log(kind, exercise=planned.exercise, set=planned.number, count=done,
                 target=planned.target)
        self.say(NB.text('set_done'))

    def morning(self, plan, skip=(), **lies):
        self.step('greet')
        self.say(NB.greeting('Kari'))
        self.step('exercise')
        for index, planned in enumerate(plan):
            if index not in skip:
                self.honest_set(planned, **(lies if index == 0 else {}))
        self.step('summary')
        self.step('goodbye')
        self.step('done')
        return self


def verdict(session, plan, expect=Expectation('done')):
    problems, _ = judge(expect, plan, NB, session.figures, 'Kari')
    return problems


def test_an_honest_coach_passes(plan):
    assert verdict(Session().morning(plan), plan) == []


def test_the_programme_gives_the_sets_and_their_words(plan):
    assert [(p.exercise, p.number, p.target) for p in plan] == [
        ('arm_raise', 1, 5), ('arm_raise', 2, 5), ('mini_squat', 1, 3)]
    assert plan[0].announcements[0].startswith('Nå skal vi løfte armene fem ganger')
    assert plan[0].announcements[1] == 'Sett én av to.'
    assert plan[1].announcements == ('Sett to av to.',)


def test_counting_a_repetition_she_did_not_do_fails(plan):
    s = Session()
    s.step('exercise')
    p = plan[2]
    s.begin(p)
    for n in (1, 2, 3):
        s.patient_does(counted=n != 3, amplitude=0.9 if n != 3 else 0.4)   # the last fell short
        s.log('repetition', exercise=p.exercise, set=1, number=n)
        s.say(NB.number(n), 0.8)
    s.log('set_completed', exercise=p.exercise, set=1, count=3, target=3)
    problems = verdict(s, plan[2:])
    assert 'mini_squat: counted 3, the virtual patient did 2' in problems


def test_missing_a_repetition_fails(plan):
    s = Session().morning(plan, logged=lambda n: min(n, 4), said=lambda n: min(n, 4))
    assert 'arm_raise set 1: counted 4, the virtual patient did 5' in verdict(s, plan)


def test_saying_one_count_and_logging_another_fails(plan):
    s = Session().morning(plan, logged=lambda n: n + 1)
    assert 'arm_raise set 1: said 5 aloud but logged 6' in verdict(s, plan)


def test_announcing_a_wrong_target_fails(plan):
    wrong_intro = plan[0].announcements[0].replace('fem ganger', 'én gang')
    s = Session().morning(plan, words=(wrong_intro, plan[0].announcements[1]))
    problems = verdict(s, plan)
    assert any(p.startswith('arm_raise set 1: the robot never said "Nå skal vi løfte armene '
                            'fem ganger') for p in problems), problems


def test_skipping_a_set_fails(plan):
    problems = verdict(Session().morning(plan, skip=(1,)), plan)
    assert 'arm_raise set 2 was skipped' in problems


def test_skipping_an_exercise_fails(plan):
    problems = verdict(Session().morning(plan, skip=(2,)), plan)
    assert "the programme's mini_squat never done or never ended" in problems


def test_a_set_ended_short_passes_only_where_she_stopped_short(plan):
    def short_morning():
        s = Session()
        s.step('exercise')
        s.honest_set(plan[0], done=3)
        for p in plan[1:]:
            s.honest_set(p)
        s.step('done')
        return s

    assert verdict(short_morning(), plan) == [
        '1 sets ended short of their target, the scenario expects 0']
    assert verdict(short_morning(), plan, Expectation('done', short_sets=1)) == []


def test_claiming_a_set_complete_short_of_its_target_fails(plan):
    s = Session()
    s.step('exercise')
    p = plan[2]
    s.begin(p)
    s.patient_does()
    s.log('repetition', exercise=p.exercise, set=1, number=1)
    s.say(NB.number(1))
    s.log('set_completed', exercise=p.exercise, set=1, count=1, target=3)
    s.step('done')
    assert verdict(s, plan[2:]) == ['mini_squat: ended as complete at 1 of 3']


def test_alerting_a_caregiver_in_a_good_session_fails(plan):
    s = Session().morning(plan)
    s.transcript.alert(s.now, 'no response to "stand_up" within 90 s', urgent=False)
    assert verdict(s, plan) == ['a caregiver was alerted without cause: '
                                'no response to "stand_up" within 90 s']


def _unresponsive(alert_after=None, stands_up_after=None, urgent=False):
    """She is asked to stand up at 10 s; the robot alerts `alert_after` s later."""
    s = Session()
    s.now = 10.0
    s.step('stand_up')
    asked = s.now
    s.say(NB.text('stand_up'))
    if stands_up_after is not None:
        s.transcript.truth(asked + stands_up_after, 'standing')
    if alert_after is not None:
        s.now = asked + alert_after
        s.transcript.alert(s.now, 'no response', urgent=urgent)
        s.log('no_response', step='stand_up', reason='no response')
        s.step('no_response')
    return s


NO_RESPONSE = Expectation('no_response', patience=20.0)


def test_an_alert_after_the_patience_passes():
    assert verdict(_unresponsive(alert_after=22.0), [], NO_RESPONSE) == []


def test_never_alerting_fails():
    s = _unresponsive()
    s.step('no_response')
    assert 'the patient did not respond and no caregiver was alerted' in \
        verdict(s, [], NO_RESPONSE)


def test_alerting_too_late_fails():
    assert verdict(_unresponsive(alert_after=60.0), [], NO_RESPONSE) == [
        'a caregiver was alerted 60 s after the patient was asked, too late for a patience '
        'of 20 s']


def test_alerting_too_early_fails():
    assert verdict(_unresponsive(alert_after=8.0), [], NO_RESPONSE) == [
        'a caregiver was alerted 8 s after the patient was asked, before the patience of '
        '20 s ran out']


def test_alerting_when_she_did_answer_fails():
    assert verdict(_unresponsive(alert_after=22.0, stands_up_after=6.0), [], NO_RESPONSE) == [
        'a caregiver was alerted without cause: the patient did what "stand_up" asked 6 s '
        'after being asked']


def test_a_fall_needs_an_urgent_alert_within_3_s():
    help_ = Expectation('help')
    s = Session()
    s.transcript.truth(10.0, 'lying_on_floor')
    s.transcript.alert(14.0, 'on floor', urgent=True)
    s.step('help')
    assert verdict(s, [], help_) == ['the urgent alert came 4.0 s after the fall (limit 3 s)']
    s = Session()
    s.transcript.truth(10.0, 'lying_on_floor')
    s.step('help')
    assert verdict(s, [], help_) == [
        'the patient lay on the floor and no urgent caregiver alert was sent']
    s.transcript.alert(11.5, 'on floor', urgent=True)
    assert verdict(s, [], help_) == []


def test_an_urgent_alert_before_any_fall_fails():
    s = Session()
    s.transcript.alert(5.0, 'on floor', urgent=True)
    s.transcript.truth(10.0, 'lying_on_floor')
    s.transcript.alert(11.0, 'on floor', urgent=True)
    s.step('help')
    assert verdict(s, [], Expectation('help')) == [
        'an urgent alert was sent before the patient was on the floor (without cause)']


def test_the_final_step_comes_from_the_session_log(plan):
    s = Session().morning(plan)
    s.step('no_response')
    assert verdict(s, plan)[0] == 'the routine ended in step "no_response", not "done"'


def test_words_the_scenario_asks_for_must_be_said(plan):
    keep_going = NB.text('keep_going')
    assert verdict(Session().morning(plan), plan, Expectation('done', says=(keep_going,))) == [
        f'the robot never said "{keep_going}"']


def test_touching_anything_or_coming_too_close_fails(plan):
    s = Session()
    s.transcript.coach_state(0.5, 'approach', '', 0, 0)
    s.transcript.distance(1.0, 2.05)
    s.transcript.event(1.1, 'arrived', {})
    s.transcript.contact(2.0, 'bed_frame')
    s.now = 3.0
    s.morning(plan)
    problems = verdict(s, plan, Expectation('done', approach_distance=2.2))
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
        judging = scenarios.judging(scenario)
        assert judging.expect.outcome == scenario.expect['outcome']
        assert judging.plan, f'{name}: its programme has exercise sets to judge'
        params = scenarios.node_parameters(scenario)
        assert params['sim']['scenario'] == str(scenario.path)
        assert params['coach']['programme_file'] == scenario.programme
    approach = scenarios.judging(load_scenario('approach')).expect
    assert approach.approach_distance == load_scenario('approach').coach['approach_distance']


def test_an_approach_without_a_distance_is_refused(tmp_path):
    from berntsen_sim.scenario import load_scenario

    from berntsen_bringup import scenarios

    path = tmp_path / 'vague.yaml'
    path.write_text('description: drives somewhere\npersona: cooperative\n'
                    'coach: {approach: true}\nexpect: {outcome: done}\n')
    with pytest.raises(ValueError, match='must say approach_distance'):
        scenarios.judging(load_scenario(str(path)))


def _approach(plan, arrive_at=None, samples=(3.8, 3.0, 2.5)):
    s = Session()
    s.transcript.coach_state(0.5, 'approach', '', 0, 0)
    for i, d in enumerate(samples):
        s.transcript.distance(1.0 + i, d)
    if arrive_at is not None:
        s.transcript.distance(5.0, arrive_at)
        s.transcript.event(5.1, 'arrived', {})
    s.now = 6.0
    return s.morning(plan)


def test_an_approach_must_arrive_near_the_distance(plan):
    expect = Expectation('done', approach_distance=2.2)
    assert verdict(_approach(plan, arrive_at=2.3), plan, expect) == []
    assert verdict(_approach(plan), plan, expect) == [
        'the robot never arrived at the patient (or the simulator sent no distance)']
    assert verdict(_approach(plan, arrive_at=2.7), plan, expect) == [
        'the robot stopped 2.70 m from the patient, more than 0.40 m short of the approach '
        'distance 2.20 m']


def blind_set(s, p, honest=True):
    """Two repetitions seen; two done while the robot is blind (and says so); three more seen
    once it sees again, counted 3, 4, 5; the set ends saying it may have missed some, if
    `honest`."""
    s.begin(p)
    for n in (1, 2):
        s.patient_does()
        s.log('repetition', exercise=p.exercise, set=p.number, number=n)
        s.say(NB.number(n), 0.8)
    s.patient_does()          # the camera died here, unnoticed for a few seconds
    s.log('perception_lost', step='exercise', exercise=p.exercise, set=p.number)
    s.say(NB.text('cannot_see'))
    s.patient_does()
    s.now += 5.0
    s.log('perception_restored', step='exercise', gap=8.0, exercise=p.exercise, set=p.number)
    s.say(NB.text('can_see_again'))
    for n in (3, 4, 5):
        s.patient_does()
        s.log('repetition', exercise=p.exercise, set=p.number, number=n)
        s.say(NB.number(n), 0.8)
    detail = {'may_have_missed': True, 'outages': 1} if honest else {}
    s.log('set_completed', exercise=p.exercise, set=p.number, count=5, target=5, **detail)


def test_repetitions_done_while_the_robot_was_blind_need_not_be_counted_if_it_says_so(plan):
    s = Session()
    s.step('exercise')
    blind_set(s, plan[0])
    s.step('done')
    problems, sets = judge(Expectation('done'), plan[:1], NB, s.figures, 'Kari')
    assert problems == []
    assert sets[0].line() == ('arm_raise set 1: counted 5 of 5; the virtual patient did 5-7, '
                              '2 while the robot saw nothing.')


def test_a_coach_that_hides_its_blindness_fails(plan):
    s = Session()
    s.step('exercise')
    blind_set(s, plan[0], honest=False)
    assert ('arm_raise set 1: the robot was blind during 2 of her repetitions and did not '
            'record that it may have missed some') in verdict(s, plan[:1])


def test_repetitions_she_finishes_after_pause_is_pressed_need_not_be_counted(plan):
    # two counted; Pause pressed; she finishes two more before she has heard it out; then
    # three more counted after Continue
    s = Session()
    s.step('exercise')
    p = plan[0]
    s.begin(p)
    for n in (1, 2):
        s.patient_does()
        s.log('repetition', exercise=p.exercise, set=p.number, number=n)
        s.say(NB.number(n), 0.8)
    s.log('paused', step='exercise', exercise=p.exercise, set=p.number)
    s.say(NB.text('paused'))
    s.patient_does()
    s.patient_does()
    s.now += 10.0
    s.log('resumed', step='exercise', gap=14.0)
    s.say(NB.text('resumed'))
    for n in (3, 4, 5):
        s.patient_does()
        s.log('repetition', exercise=p.exercise, set=p.number, number=n)
        s.say(NB.number(n), 0.8)
    s.log('set_completed', exercise=p.exercise, set=p.number, count=5, target=5)
    s.step('done')
    assert verdict(s, plan[:1]) == []


def test_a_truth_message_that_arrives_late_does_not_fail_an_honest_count(plan):
    # the set's last repetition is counted; its truth is resent a heartbeat (3 s) later
    s = Session()
    s.step('exercise')
    p = plan[2]
    s.begin(p)
    for n in (1, 2, 3):
        s.now += 3.5
        if n < 3:
            s.transcript.truth_repetition(s.now, 'mini_squat', 2.5, 0.9, True)
        s.log('repetition', exercise=p.exercise, set=1, number=n)
        s.say(NB.number(n), 0.8)
    s.log('set_completed', exercise=p.exercise, set=1, count=3, target=3)
    s.now += 3.0
    s.transcript.truth_repetition(s.now, 'mini_squat', 2.5, 0.9, True)
    s.step('done')
    assert verdict(s, plan[2:]) == []
