"""Each behaviour of the morning alone, against scripted posture, signal and speech (no ROS,
no real time); then every interrupt from every step of a whole morning."""
import pytest
from py_trees.common import Status

from berntsen_coach.behaviours.clinical_test import ClinicalTest
from berntsen_coach.behaviours.context import Morning, RoutineSettings, Step
from berntsen_coach.behaviours.ending import Goodbye, NoResponse, Summary
from berntsen_coach.behaviours.exercise_set import ExerciseSet, ItemProgress, Rest
from berntsen_coach.behaviours.getting_up import Greet, SitUp, StandUp, WakeUp
from berntsen_coach.coach_routine import CoachRoutine
from berntsen_coach.routine import AlertCaregiver, Counted, Event, Posture, Say
from coach_synthetic import rep_signal, signal_frame
from test_coach_routine import EXERCISES, Session, get_up, programme


class Bench:
    """One behaviour ticked alone: posture samples, frames and a speech server that ends
    each phrase at the next sample; every action kept with its time."""

    def __init__(self, behaviour_class, *args, items=None, **settings):
        self.m = Morning(programme(items), EXERCISES, RoutineSettings(**settings))
        self.behaviour = behaviour_class(self.m, *args)
        self.t = 0.0
        self.said: list[Say] = []
        self.events: list[Event] = []
        self.alerts: list[AlertCaregiver] = []
        self.counted: list[Counted] = []
        self.status = Status.INVALID

    def tick(self):
        self.m.now = self.t
        self.behaviour.tick_once()
        self.status = self.behaviour.status
        for a in self.m.actions:
            {Say: self.said, Event: self.events, AlertCaregiver: self.alerts,
             Counted: self.counted}[type(a)].append(a)
        self.m.actions = []
        return self.status

    def seen(self, posture, seconds=1.5, rate=10.0):
        """She has been seen in `posture` for a while before the behaviour starts."""
        for _ in range(int(round(seconds * rate))):
            self.t += 1.0 / rate
            self.m.posture.update(self.t, posture)

    def hold(self, posture, seconds, rate=10.0, until_done=True):
        for _ in range(int(round(seconds * rate))):
            self.t += 1.0 / rate
            if posture is not None:
                self.m.posture.update(self.t, posture)
            if self.m.speaking:
                self.m.speech_finished()
            if self.tick() is not Status.RUNNING and until_done:
                return self.status
        return self.status

    def signal(self, samples, posture=Posture.SITTING):
        t0 = self.t
        exercise = EXERCISES[self.behaviour.item.exercise]
        for dt, value in samples:
            self.t = t0 + dt
            self.m.posture.update(self.t, posture)
            if self.m.speaking:
                self.m.speech_finished()
            self.m.frame = (self.t, signal_frame(exercise, value))
            self.tick()
            self.m.frame = None
            if self.status is not Status.RUNNING:
                return self.status
        return self.status

    def kinds(self):
        return [s.kind for s in self.said]

    def event_kinds(self):
        return [e.kind for e in self.events]


# ---- getting up ---------------------------------------------------------------------------

def test_greet_says_good_morning_and_is_done_once_it_is_heard():
    b = Bench(Greet)
    assert b.tick() is Status.RUNNING and b.kinds() == ['greeting'] and b.m.step is Step.GREET
    assert b.hold(Posture.LYING, 0.1) is Status.SUCCESS


def test_greet_after_a_failed_approach_says_why_it_stays_there():
    b = Bench(Greet)
    b.m.approach_failed = 'e-stop pressed'
    b.tick()
    assert b.said[0].text.endswith(b.m.phrases.text('from_here'))


def test_wake_up_is_skipped_for_a_person_already_up_and_else_waits_wake_wait():
    up = Bench(WakeUp)
    up.seen(Posture.SITTING)
    assert up.tick() is Status.SUCCESS and up.said == [] and up.m.step is None

    b = Bench(WakeUp, wake_wait=8.0)
    assert b.hold(Posture.LYING, 8.0) is Status.RUNNING and b.kinds() == ['wake']
    assert b.hold(Posture.LYING, 1.0) is Status.SUCCESS   # 8 s after the words were heard


def test_wake_up_ends_early_when_she_sits_up():
    b = Bench(WakeUp)
    b.hold(Posture.LYING, 3.0)
    assert b.hold(Posture.SITTING, 2.0) is Status.SUCCESS and b.t < 5.0


def test_sit_up_re_prompts_and_gives_up_after_patience_with_the_reason():
    b = Bench(SitUp, reprompt_after=10.0, patience=35.0)
    assert b.hold(Posture.LYING, 40.0) is Status.FAILURE
    assert b.kinds() == ['sit_up', 'reprompt', 'reprompt', 'reprompt']
    assert b.event_kinds() == ['step', 'reprompt', 'reprompt', 'reprompt']
    assert 35.0 <= b.t <= 35.3
    assert b.m.no_response_reason == 'no response to "sit_up" within 35 s'


def test_sit_up_is_done_when_she_sits_and_stand_up_when_she_stands():
    b = Bench(SitUp)
    b.hold(Posture.LYING, 2.0)
    assert b.hold(Posture.SITTING, 3.0) is Status.SUCCESS and b.m.step is Step.SIT_UP
    s = Bench(StandUp)
    s.hold(Posture.SITTING, 2.0)
    assert s.hold(Posture.STANDING, 3.0) is Status.SUCCESS and s.kinds() == ['stand_up']
    assert Bench(StandUp).hold(Posture.STANDING, 2.0) is Status.SUCCESS, 'already standing'


# ---- a set, a rest, a test ----------------------------------------------------------------

ARM_RAISES = [{'exercise': 'seated_arm_raise', 'sets': 2, 'repetitions': 3,
               'rest_seconds': 20}]


def a_set(number=1, progress=None, items=ARM_RAISES, **settings):
    m_items = items
    b = Bench(lambda m: ExerciseSet(m, 0, m.programme.items[0], number,
                                    progress or ItemProgress()), items=m_items, **settings)
    return b


def test_a_set_introduces_asks_for_the_ready_position_counts_and_ends_at_the_target():
    b = a_set()
    b.hold(Posture.STANDING, 3.0)
    assert b.kinds() == ['intro', 'set', 'sit_for_exercise']
    assert b.m.phase == 'position'
    b.hold(Posture.SITTING, 2.0)
    assert b.m.phase == 'counting' and 'set_started' in b.event_kinds()
    assert b.signal(rep_signal(3)) is Status.SUCCESS
    assert [c.rep.number for c in b.counted] == [1, 2, 3]
    [done] = [e for e in b.events if e.kind == 'set_completed']
    assert done.detail == {'exercise': 'seated_arm_raise', 'set': 1, 'count': 3, 'target': 3}
    assert (b.m.item_index, b.m.set_index) == (0, 2), 'the next set is shown'


def test_a_later_set_skips_the_introduction_unless_the_item_was_interrupted():
    b = a_set(number=2)
    b.hold(Posture.SITTING, 2.0)
    assert b.kinds()[:1] == ['set']
    progress = ItemProgress()
    progress.resume = True
    b = a_set(number=2, progress=progress)
    b.hold(Posture.SITTING, 2.0)
    assert b.kinds()[:2] == ['intro', 'set']


def test_a_stalled_set_urges_her_on_then_ends_incomplete_and_leaves_the_item():
    progress = ItemProgress()
    b = a_set(progress=progress, reprompt_after=10.0, set_patience=25.0)
    b.hold(Posture.SITTING, 3.0)
    b.signal(rep_signal(1))
    assert b.hold(Posture.SITTING, 30.0) is Status.SUCCESS
    assert 'keep_going' in b.kinds()
    [incomplete] = [e for e in b.events if e.kind == 'set_incomplete']
    assert incomplete.detail['count'] == 1
    assert progress.left_before(2), 'the second set is not done'


def test_an_in_bed_set_is_skipped_by_a_person_already_up():
    items = [{'exercise': 'lying_arm_raise', 'sets': 1, 'repetitions': 3}]
    b = Bench(lambda m: ExerciseSet(m, 0, m.programme.items[0], 1, ItemProgress()),
              items=items)
    b.seen(Posture.STANDING)
    assert b.tick() is Status.SUCCESS
    assert b.event_kinds() == ['in_bed_exercise_skipped'] and b.said == []


def test_a_rest_counts_down_and_ends_when_its_time_is_up():
    b = Bench(lambda m: Rest(m, 25.0, 1, ItemProgress(), last_item=False))
    b.hold(Posture.SITTING, 24.0)
    assert b.status is Status.RUNNING and b.m.step is Step.REST
    assert b.kinds() == ['rest', 'rest_left']
    assert b.hold(Posture.SITTING, 3.0) is Status.SUCCESS
    assert b.kinds() == ['rest', 'rest_left', 'rest_over']
    assert b.events[-1] == Event('rest_started', {'seconds': 25.0})


def test_a_rest_after_an_item_that_was_left_is_skipped_when_nothing_follows():
    progress = ItemProgress()
    progress.left_after = 1
    assert Bench(lambda m: Rest(m, 20.0, 1, progress, last_item=True)).tick() \
        is Status.SUCCESS
    assert Bench(lambda m: Rest(m, 20.0, 2, progress, last_item=False)).tick() \
        is Status.SUCCESS
    assert Bench(lambda m: Rest(m, 20.0, 1, progress, last_item=False)).tick() \
        is Status.RUNNING, 'before the next item she rests'


def test_a_clinical_test_gives_up_after_the_five_times_limit():
    items = [{'test': 'five_times_sit_to_stand'}]
    b = Bench(lambda m: ClinicalTest(m, 0, m.programme.items[0]), items=items,
              five_times_limit=20.0)
    b.seen(Posture.SITTING)
    b.hold(Posture.SITTING, 25.0)
    assert b.status is Status.SUCCESS
    b.hold(Posture.SITTING, 1.0, until_done=False)   # the result is said after "stop"
    assert b.kinds() == ['test_intro', 'ready_go', 'test_stop', 'test_result']
    [measure] = [e for e in b.events if e.kind == 'clinical_measure']
    assert measure.detail['completed'] is False and b.m.measures == {
        'five_times_sit_to_stand': None}


# ---- the end ------------------------------------------------------------------------------

def test_summary_then_goodbye():
    b = Bench(Summary)
    b.m.totals = {'seated_arm_raise': 12}
    assert b.hold(None, 1.0) is Status.SUCCESS
    assert b.said[0].text == b.m.phrases.summary([(12, 'armløft')])
    assert b.events[-1].kind == 'session_completed'
    g = Bench(Goodbye)
    assert g.hold(None, 1.0) is Status.SUCCESS and g.kinds() == ['goodbye']


def test_no_response_alerts_a_caregiver_with_the_reason():
    b = Bench(NoResponse)
    b.m.step, b.m.no_response_reason = Step.SIT_UP, 'no response to "sit_up" within 90 s'
    assert b.tick() is Status.RUNNING and b.m.step is Step.NO_RESPONSE
    assert b.alerts == [AlertCaregiver('no response to "sit_up" within 90 s', urgent=False)]
    assert b.kinds() == ['caregiver_called']
    assert b.events[0] == Event('no_response', {'reason': 'no response to "sit_up" within 90 s',
                                                'step': 'sit_up'})


# ---- every interrupt from every step ------------------------------------------------------

MORNING = [{'exercise': 'seated_arm_raise', 'sets': 2, 'repetitions': 2, 'rest_seconds': 20},
           {'test': 'chair_stand_30s'}]
STEPS = ['approach', 'greet', 'wake', 'sit_up', 'stand_up', 'exercise', 'rest', 'test',
         'summary', 'goodbye', 'done', 'no_response']


def morning_at(step: str) -> Session:
    """A cooperative morning played until `step` (no_response: one who never sits up)."""
    s = Session(items=MORNING, reprompt_after=10.0, patience=30.0)
    s.take(s.routine.start(s.t))
    for _ in range(3000):
        current = s.routine.step.value
        if current == step:
            return s
        if current == 'approach':
            s.t += 1.0
            s.take(s.routine.on_arrived(s.t))
        elif current == 'exercise' and s.routine.phase == 'counting':
            s.signal(rep_signal(2))
        elif current in ('greet', 'wake') or (current == 'sit_up' and step == 'no_response'):
            s.hold(Posture.LYING, 0.1)
        else:
            s.hold(Posture.STANDING if current == 'stand_up' else Posture.SITTING, 0.1)
    raise AssertionError(f'never reached {step}; at {s.routine.step}')


@pytest.mark.parametrize('step', STEPS)
def test_a_fall_wins_at_every_step(step):
    s = morning_at(step)
    actions = s.take(s.routine.on_posture(s.t + 0.1, Posture.LYING, on_floor=True))
    says = [a for a in actions if isinstance(a, Say)]
    assert [(a.kind, a.urgent) for a in says] == [('floor_urgent', True)]
    assert [a.urgent for a in actions if isinstance(a, AlertCaregiver)] == [True]
    assert s.routine.step is Step.HELP and not s.routine.motion_allowed
    assert Event('fall_suspected', {'step': step}) in actions
    s.hold(Posture.LYING, 40.0, on_floor=True)
    assert s.kinds().count('floor_reassure') == 1 and s.routine.step is Step.HELP


@pytest.mark.parametrize('step', STEPS)
def test_a_stop_wins_at_every_step_but_a_final_one(step):
    s = morning_at(step)
    said = len(s.said)
    actions = s.take(s.routine.stop(s.t + 0.1, 'stopped by request'))
    if step in ('done', 'no_response'):
        assert actions == [] and s.routine.step.value == step
        return
    assert Event('session_stopped', {'reason': 'stopped by request'}) in actions
    assert s.routine.step is Step.STOPPED and s.routine.motion_allowed
    s.hold(Posture.SITTING, 30.0)
    assert len(s.said) == said and s.routine.finished, 'nothing more is said'


@pytest.mark.parametrize('step', STEPS)
def test_a_blind_robot_holds_every_step_and_goes_on_where_it_was(step):
    s = morning_at(step)
    if step in ('done', 'no_response'):
        assert s.take(s.routine.on_perception_lost(s.t)) == []
        return
    said = len(s.said)
    counting = s.routine.phase
    s.take(s.routine.on_perception_lost(s.t))
    for _ in range(300):   # 30 s: longer than every patience but the set's
        s.t += 0.1
        s.take(s.routine.tick(s.t))
        if s.unfinished:
            s.unfinished.pop(0)
            s.take(s.routine.on_speech_finished(s.t))
    assert s.routine.step.value == step and s.routine.phase == counting
    s.take(s.routine.on_perception_restored(s.t))
    assert s.kinds()[said:] == ['cannot_see', 'can_see_again']
    assert s.alerts == []


def test_the_programme_chooses_the_shape_of_the_tree():
    def leaves(items, gets_up=True):
        p = programme(items)
        p = type(p)(**{**p.__dict__, 'gets_up': gets_up})
        routine = CoachRoutine(p, EXERCISES, RoutineSettings(approach=False))
        return [n.name for n in routine.tree.iterate() if not n.children]

    in_bed_only = leaves([{'exercise': 'heel_slide', 'sets': 2, 'repetitions': 5,
                           'rest_seconds': 30}], gets_up=False)
    assert 'Sit up' not in in_bed_only and 'Stand up' not in in_bed_only
    assert 'Approach the bed' not in in_bed_only
    assert [n for n in in_bed_only if n.startswith(('heel', 'Rest'))] == [
        'heel_slide: set 1 of 2', 'Rest 30 s', 'heel_slide: set 2 of 2']
    test_in_the_middle = leaves([MORNING[0], {'test': 'chair_stand_30s', 'rest_seconds': 10},
                                 {'exercise': 'heel_raise', 'sets': 1, 'repetitions': 5}])
    body = test_in_the_middle[test_in_the_middle.index('Stand up') + 1:
                              test_in_the_middle.index('Summary')]
    assert body == ['seated_arm_raise: set 1 of 2', 'Rest 20 s', 'seated_arm_raise: set 2 of 2',
                    'Rest 20 s', 'Test: chair_stand_30s', 'Rest 10 s', 'heel_raise: set 1 of 1']


def test_the_readme_s_new_step_is_one_behaviour_and_one_line(monkeypatch):
    import re
    from pathlib import Path

    from berntsen_coach.behaviours import tree
    from berntsen_coach.behaviours.getting_up import WakeUp

    readme = (Path(__file__).resolve().parents[3] / 'README.md').read_text()
    section = readme[readme.index('To add a step'):]
    behaviour, line = re.findall(r'```python\n(.*?)```', section, re.S)[:2]
    namespace = {}
    exec(behaviour, namespace)
    assert line.strip().splitlines()[-1].strip().startswith('steps.append(DrinkWater(m))')
    composed = tree.routine_steps

    def with_water(m):
        steps = composed(m)
        after = next(i for i, s in enumerate(steps) if isinstance(s, WakeUp))
        steps.insert(after + 1, namespace['DrinkWater'](m))
        return steps
    monkeypatch.setattr(tree, 'routine_steps', with_water)

    s = Session(items=MORNING)
    s.take(s.routine.start(s.t))
    s.take(s.routine.on_arrived(1.0))
    s.hold(Posture.LYING, 3.0)           # greeting, wake-up words
    s.hold(Posture.LYING, 10.0)          # wake_wait: then water, not yet "sit up"
    assert s.kinds()[-1] == 'drink_water'
    s.hold(Posture.LYING, 15.0)
    assert 'sit_up' not in s.kinds(), 'she has 20 s to drink'
    s.hold(Posture.LYING, 6.0)
    assert s.kinds()[-1] == 'sit_up' and s.routine.step is Step.SIT_UP


@pytest.mark.parametrize('step', STEPS)
def test_help_pressed_at_every_step_calls_a_caregiver_at_once(step):
    s = morning_at(step)
    actions = s.take(s.routine.help(s.t + 0.1))
    assert [(a.kind, a.urgent) for a in actions if isinstance(a, Say)] == [('help_coming', True)]
    assert [a for a in actions if isinstance(a, AlertCaregiver)] == [
        AlertCaregiver('help_requested', urgent=True)]
    assert Event('help_requested', {'step': step}) in actions
    assert s.routine.step is Step.HELP and not s.routine.motion_allowed
    assert s.routine.help(s.t + 0.2) == [], 'pressed twice: one alert'
    s.hold(Posture.SITTING, 40.0)
    assert s.kinds().count('help_reassure') == 1 and len(s.alerts) == 1 + (
        step == 'no_response')
    assert s.routine.pause(s.t, True) == [], 'no pause while help is called'


@pytest.mark.parametrize('step', [s for s in STEPS if s not in ('done', 'no_response')])
def test_pause_holds_every_step_counts_nothing_and_continue_goes_on_where_it_was(step):
    s = morning_at(step)
    said, counted, phase = len(s.said), len(s.counted), s.routine.phase
    s.take(s.routine.pause(s.t, True))   # said after what is being said
    assert s.routine.paused and s.routine.pause(s.t, True) == [], 'pressed twice: paused once'
    if step == 'exercise':
        s.signal(rep_signal(3))     # she goes on exercising: nothing is counted
    s.hold(Posture.SITTING if step not in ('wake', 'sit_up', 'greet') else Posture.LYING, 120.0)
    assert len(s.counted) == counted and s.alerts == [], 'no count, no nagging, no alert'
    assert not s.routine.motion_allowed and not s.routine.wants_approach, 'the robot stays'
    assert s.routine.step.value == step and s.routine.phase == phase
    s.take(s.routine.pause(s.t, False))
    assert not s.routine.paused and [k for k in s.kinds()[said:] if k not in (
        'intro', 'set', 'greeting', 'summary', 'goodbye', 'count', 'set_done', 'rest')] == [
        'paused', 'resumed'], 'what was under way is finished; nothing new begins'
    [resumed] = [e for e in s.events if e.kind == 'resumed']
    assert resumed.detail['gap'] == pytest.approx(120.0 + (9.0 if step == 'exercise' else 0),
                                                  abs=1.0)


def test_pause_and_help_need_a_session_and_pause_ends_with_it():
    s = Session(items=MORNING)
    assert s.routine.pause(0.0, True) == [] and s.routine.help(0.0) == []
    s = morning_at('done')
    assert s.routine.pause(s.t, True) == [] and not s.routine.paused


def test_the_routine_clock_stands_still_while_anything_holds_it():
    m = Morning(programme(), EXERCISES, RoutineSettings())
    m.now = 10.0
    m.hold('paused')
    m.now = 20.0
    m.hold('blind')               # blind while paused
    m.now = 30.0
    assert m.release('paused') == 20.0 and m.clock == 10.0
    m.now = 35.0
    assert m.release('blind') == 15.0 and m.clock == 10.0
    m.now = 40.0
    assert m.clock == 15.0 and m.outages == 1


def test_a_pause_mid_set_keeps_the_count_and_misses_nothing():
    s = Session(items=[{'exercise': 'seated_arm_raise', 'sets': 1, 'repetitions': 4,
                        'rest_seconds': 0}])
    get_up(s)
    s.hold(Posture.SITTING, 4.0)
    s.signal(rep_signal(2))
    s.take(s.routine.pause(s.t, True))
    s.signal(rep_signal(2))             # during the pause: not counted
    s.hold(Posture.SITTING, 30.0)
    s.take(s.routine.pause(s.t, False))
    s.signal(rep_signal(2))
    s.hold(Posture.SITTING, 3.0)
    assert [e.detail['number'] for e in s.events if e.kind == 'repetition'] == [1, 2, 3, 4]
    [done] = [e.detail for e in s.events if e.kind == 'set_completed']
    assert done['count'] == 4 and 'may_have_missed' not in done, 'a pause is no outage'
    assert not [e for e in s.events if e.kind == 'signal_gap']


def test_a_test_paused_half_way_is_done_again_from_the_start():
    s = Session(items=[{'test': 'chair_stand_30s'}])
    get_up(s)
    s.hold(Posture.SITTING, 3.0)
    assert [e.kind for e in s.events].count('test_started') == 1
    s.hold(Posture.SITTING, 10.0)
    s.take(s.routine.pause(s.t, True))
    s.hold(Posture.SITTING, 60.0)
    assert 'clinical_measure' not in [e.kind for e in s.events], 'the clock of a test is hers'
    s.take(s.routine.pause(s.t, False))
    s.hold(Posture.SITTING, 5.0)
    kinds = [e.kind for e in s.events]
    assert 'test_restarted' in kinds and kinds.count('test_started') == 2
    assert s.kinds().count('test_intro') == 2
