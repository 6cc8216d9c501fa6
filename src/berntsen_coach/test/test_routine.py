from pathlib import Path

import pytest

from berntsen_coach.exercises import load_exercises
from berntsen_coach.phrases import Phrases
from berntsen_coach.routine import (Counted, MorningRoutine, MorningSettings, Posture, Say,
                                    StateChanged, Step)
from coach_synthetic import rep_signal

EXERCISES = load_exercises(Path(__file__).resolve().parent.parent / 'config' / 'exercises.yaml')


class Session:
    """Drives a routine with scripted events and a speech server that plays phrases in order."""

    def __init__(self, language='nb', **settings):
        settings.setdefault('patient_name', 'Kari')
        self.phrases = Phrases(language)
        self.routine = MorningRoutine(EXERCISES['arm_raise'], self.phrases,
                                      MorningSettings(**settings))
        self.said: list[str] = []
        self.unfinished: list[str] = []   # sent to the speech server, not yet finished
        self.states: list[StateChanged] = []
        self.counted: list[Counted] = []

    def take(self, actions):
        for action in actions:
            if isinstance(action, Say):
                self.said.append(action.text)
                self.unfinished.append(action.text)
            elif isinstance(action, StateChanged):
                self.states.append(action)
            elif isinstance(action, Counted):
                self.counted.append(action)
        return actions

    def start(self, t):
        return self.take(self.routine.start(t))

    def finish_one(self, t):
        assert self.unfinished, 'nothing is being said'
        self.unfinished.pop(0)
        return self.take(self.routine.on_speech_finished(t))

    def finish_all(self, t):
        while self.unfinished:
            self.finish_one(t)

    def posture(self, t0, t1, posture, rate=10.0):
        n = int(round((t1 - t0) * rate))
        for i in range(n):
            self.take(self.routine.on_posture(t0 + i / rate, posture))

    def signal(self, samples):
        for t, v in samples:
            self.take(self.routine.on_signal(t, v))

    def tick(self, t0, t1, period=0.1):
        n = int(round((t1 - t0) / period))
        for i in range(n + 1):
            self.take(self.routine.tick(t0 + i * period))

    @property
    def steps(self):
        out = []
        for s in self.states:
            if not out or out[-1] != s.step:
                out.append(s.step)
        return out


def run_happy_path(s: Session, reps=5):
    s.start(0.0)
    s.finish_one(3.0)                               # greeting spoken → stand-up prompt
    s.posture(3.0, 5.0, Posture.SITTING)
    s.finish_one(5.0)                               # prompt spoken
    s.posture(5.0, 6.5, Posture.STANDING)           # standing ≥ 1 s → intro
    s.finish_one(12.0)                              # intro spoken → counting is live
    s.signal(rep_signal(reps, noise=3.0, start=12.0))
    s.finish_all(40.0)


def test_happy_path_in_order():
    s = Session()
    run_happy_path(s)
    p = s.phrases
    assert s.said == [p.greeting('Kari'), p.stand_up(), p.exercise_intro('arm_raise', 5),
                      'én', 'to', 'tre', 'fire', 'fem', p.praise(), p.goodbye('Kari')]
    assert s.said[0] == 'God morgen, Kari! Jeg håper du har sovet godt.'
    assert s.steps == ['greet', 'stand_up', 'exercise', 'goodbye', 'done']
    assert [c.rep.number for c in s.counted] == [1, 2, 3, 4, 5]
    assert all(c.target == 5 for c in s.counted)
    live = [(st.step, st.count, st.target) for st in s.states if st.exercise]
    assert live == [('exercise', 0, 5), ('exercise', 1, 5), ('exercise', 2, 5), ('exercise', 3, 5),
                    ('exercise', 4, 5), ('goodbye', 5, 5), ('done', 5, 5)]
    assert all(st.routine == 'morning' for st in s.states)
    assert s.routine.finished and s.routine.step is Step.DONE


def test_english_session():
    s = Session(language='en', patient_name='Ola', repetitions=3)
    run_happy_path(s, reps=3)
    assert s.said[0] == 'Good morning, Ola! I hope you slept well.'
    assert s.said[2].startswith('Now we will raise our arms three times.')
    assert s.said[3:6] == ['one', 'two', 'three']
    assert s.said[-1] == 'Thank you, Ola. Have a nice day!'
    assert s.steps[-1] == 'done'


def test_never_talks_over_itself():
    s = Session()
    s.start(0.0)
    s.take(s.routine.tick(100.0))
    assert len(s.unfinished) == 1                     # greeting still being spoken
    s.finish_one(3.0)
    # Standing up while the prompt is still being spoken: the intro waits for it.
    s.posture(3.0, 4.5, Posture.STANDING)
    assert s.routine.step is Step.EXERCISE
    assert len(s.unfinished) == 1 and s.unfinished[0] == s.phrases.stand_up()
    s.finish_one(5.0)
    assert s.unfinished == [s.phrases.exercise_intro('arm_raise', 5)]


def test_nothing_counted_before_the_intro_has_been_spoken():
    s = Session()
    s.start(0.0)
    s.finish_one(1.0)
    s.finish_one(2.0)
    s.posture(2.0, 3.5, Posture.STANDING)
    exercise_state = s.states[-1]
    assert (exercise_state.step, exercise_state.exercise, exercise_state.target) == ('exercise', '', 0)
    s.signal(rep_signal(2, start=4.0))                # raises during the intro
    assert s.counted == []
    s.finish_one(12.0)
    assert s.states[-1] == StateChanged('morning', 'exercise', 'arm_raise', 0, 5)
    s.signal(rep_signal(2, start=12.0))
    assert [c.rep.number for c in s.counted] == [1, 2]


def test_counts_are_sent_at_once_and_goodbye_waits_for_them():
    s = Session(repetitions=2)
    s.start(0.0)
    s.finish_one(1.0)
    s.finish_one(2.0)
    s.posture(2.0, 3.5, Posture.STANDING)
    s.finish_one(8.0)
    s.signal(rep_signal(2, start=8.0))
    assert s.unfinished == ['én', 'to']               # praise and goodbye held back
    assert s.routine.step is Step.GOODBYE and not s.routine.finished
    s.finish_one(15.0)
    s.finish_one(15.5)
    assert s.unfinished == [s.phrases.praise()]
    s.finish_one(17.0)
    assert s.unfinished == [s.phrases.goodbye('Kari')]
    assert s.routine.step is Step.GOODBYE
    s.finish_one(19.0)
    assert s.routine.step is Step.DONE and s.routine.finished


def test_standing_must_be_stable():
    s = Session()
    s.start(0.0)
    s.finish_one(1.0)
    s.finish_one(2.0)
    s.posture(2.0, 2.8, Posture.STANDING)
    s.posture(2.8, 3.0, Posture.SITTING)               # sat down again
    s.posture(3.0, 3.8, Posture.STANDING)
    assert s.routine.step is Step.STAND_UP
    # Brief UNKNOWN postures (not seen well) neither confirm nor break standing...
    s.posture(3.8, 4.0, Posture.UNKNOWN)
    s.posture(4.0, 4.3, Posture.STANDING)
    assert s.routine.step is Step.EXERCISE
    # ...but a long gap does.
    s = Session()
    s.start(0.0)
    s.finish_one(1.0)
    s.finish_one(2.0)
    s.posture(2.0, 2.8, Posture.STANDING)
    s.posture(2.8, 4.0, Posture.UNKNOWN)
    s.posture(4.0, 4.5, Posture.STANDING)
    assert s.routine.step is Step.STAND_UP


def test_no_response_reprompts_then_gives_up():
    s = Session(reprompt_after=15.0, patience=40.0)
    s.start(0.0)
    s.finish_one(3.0)
    s.finish_one(6.0)                                  # first prompt done at 6 s
    s.tick(6.0, 20.9)
    assert len(s.said) == 2
    s.tick(21.0, 21.0)
    assert s.said[-1] == s.phrases.stand_up_again('Kari')
    s.tick(21.1, 30.0)                                 # still speaking: no second re-prompt
    assert len(s.said) == 3
    s.finish_one(25.0)
    s.tick(25.0, 40.0)
    assert s.said[-1] == s.phrases.stand_up_again('Kari') and len(s.said) == 4
    s.finish_one(42.0)
    s.tick(42.0, 46.0)                                 # 40 s after the first prompt
    assert s.said[-1] == s.phrases.no_response('Kari')
    assert s.routine.step is Step.NO_RESPONSE and not s.routine.finished
    s.finish_one(49.0)
    assert s.routine.finished
    assert s.steps == ['greet', 'stand_up', 'no_response']
    s.posture(50.0, 52.0, Posture.STANDING)            # too late: nothing happens
    s.tick(52.0, 100.0)
    assert len(s.said) == 5


def test_no_reprompt_while_standing_up():
    s = Session(reprompt_after=2.0, patience=10.0)
    s.start(0.0)
    s.finish_one(1.0)
    s.finish_one(2.0)
    s.take(s.routine.on_posture(3.9, Posture.STANDING))   # getting up, not yet stable
    s.tick(4.0, 4.3)
    assert len(s.said) == 2


def test_speech_results_without_speech_are_ignored_and_bad_input_raises():
    s = Session()
    assert s.routine.on_speech_finished(0.0) == []
    with pytest.raises(ValueError):
        s.routine.tick(float('nan'))
    with pytest.raises(TypeError):
        s.routine.on_posture(1.0, 1)
    s.start(0.0)
    with pytest.raises(RuntimeError):
        s.routine.start(1.0)


@pytest.mark.parametrize('kw', [
    dict(repetitions=0), dict(repetitions=51), dict(patient_name=' '),
    dict(reprompt_after=0.0), dict(patience=5.0, reprompt_after=10.0),
])
def test_invalid_settings(kw):
    kw.setdefault('patient_name', 'Kari')
    with pytest.raises(ValueError):
        MorningSettings(**kw)


def test_standing_once_then_unseen_does_not_block_the_reprompt():
    s = Session(reprompt_after=2.0, patience=10.0)
    s.start(0.0)
    s.finish_one(1.0)
    s.finish_one(2.0)
    s.take(s.routine.on_posture(2.5, Posture.STANDING))   # then the body is lost
    s.tick(2.5, 4.5)
    assert s.said[-1] == s.phrases.stand_up_again('Kari')
