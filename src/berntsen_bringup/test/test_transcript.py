from berntsen_bringup.transcript import Transcript


def test_speech_line_once_per_utterance():
    t = Transcript(start_time=100.0)
    line = t.speech(101.5, True, 'God morgen, Kari!')
    assert line == '[   1.5 s] robot says   "God morgen, Kari!"'
    assert t.speech(101.6, True, 'God morgen, Kari!') is None  # status repeated while speaking
    assert t.speech(102.0, False, '') is None
    assert t.speech(103.0, True, 'God morgen, Kari!') is not None  # said again later: a new line
    assert t.figures.said == ['God morgen, Kari!'] * 2


def test_counts_steps_and_truth_are_reported():
    t = Transcript(start_time=0.0)
    assert t.coach_state(1.0, 'greet', '', 0, 0) == ['[   1.0 s] coach        step greet']
    lines = t.coach_state(2.0, 'exercise', 'arm_raise', 0, 5)
    assert lines == ['[   2.0 s] coach        step exercise (arm_raise, 5 repetitions)']
    assert t.truth(2.1, repetitions=0) is None
    assert t.truth(2.5, repetitions=1) == \
        '[   2.5 s] patient      completed repetition 1 (simulator truth)'
    assert t.truth(2.6, repetitions=1) is None
    assert t.repetition(3.0, 'arm_raise', 1) == '[   3.0 s] robot counts 1/5'
    assert t.coach_state(3.1, 'exercise', 'arm_raise', 1, 5) == []
    assert t.count_matches_truth()
    t.truth(4.0, repetitions=2)
    assert not t.count_matches_truth()
    assert t.truth(4.5, posture='standing') == '[   4.5 s] patient      is standing (simulator truth)'



def test_posture_changes_only():
    t = Transcript(start_time=0.0)
    assert 'sitting (90%)' in t.posture(1.0, 'abc', 2, 0.9)
    assert t.posture(1.1, 'abc', 2, 0.95) is None
    assert 'standing' in t.posture(2.0, 'abc', 1, 0.8)
    assert 'lost' in t.body_lost(3.0, 'abc')
    assert t.body_lost(3.1, 'abc') is None


def test_summary_without_truth_says_so():
    t = Transcript(start_time=0.0)
    t.coach_state(1.0, 'exercise', 'arm_raise', 3, 5)
    t.repetition(1.5, 'arm_raise', 3)
    summary = '\n'.join(t.summary(10.0))
    assert 'counted 3 of 5; no ground truth' in summary
    assert not t.count_matches_truth()


def test_caregiver_alerts_stand_out():
    t = Transcript(start_time=0.0)
    line = t.alert(5.0, 'person lying on the floor (step exercise)', urgent=True)
    assert line == ('[   5.0 s] ALERT        URGENT: caregiver called: '
                    'person lying on the floor (step exercise)')
    assert t.figures.alerts == ['person lying on the floor (step exercise)']
