from berntsen_bringup.transcript import TruthRepetition, Transcript


def test_speech_line_once_per_utterance():
    t = Transcript(start_time=100.0)
    line = t.speech(101.5, True, 'God morgen, Kari!')
    assert line == '[   1.5 s] robot says   "God morgen, Kari!"'
    assert t.speech(101.6, True, 'God morgen, Kari!') is None  # status repeated while speaking
    assert t.speech(102.0, False, '') is None
    assert t.speech(103.0, True, 'God morgen, Kari!') is not None  # said again later: a new line
    assert t.figures.said == [(101.5, 'God morgen, Kari!'), (103.0, 'God morgen, Kari!')]


def test_counts_steps_log_and_truth_are_reported_and_kept():
    t = Transcript(start_time=0.0)
    assert t.coach_state(1.0, 'greet', '', 0, 0) == ['[   1.0 s] coach        step greet']
    lines = t.coach_state(2.0, 'exercise', 'arm_raise', 0, 5)
    assert lines == ['[   2.0 s] coach        step exercise (arm_raise, 5 repetitions)']
    assert t.truth_repetition(4.5, 'arm_raise', 2.0, 0.93, True) == \
        '[   4.5 s] patient      did a repetition (1 in all) (simulator truth)'
    assert t.truth_repetition(7.0, 'arm_raise', 2.0, 0.4, False) == \
        '[   7.0 s] patient      did a movement short of the range (40%) (simulator truth)'
    assert t.figures.truth_reps[0] == TruthRepetition(2.5, 4.5, 'arm_raise', 0.93, True)
    assert t.event(4.6, 'repetition', {'exercise': 'arm_raise', 'set': 1, 'number': 1}) == \
        '[   4.6 s] robot counts 1/5'
    assert t.event(4.7, 'cue', {'text': 'Higher'}) is None
    assert [kind for _, kind, _ in t.figures.events] == ['repetition', 'cue']
    assert t.truth(5.0, 'standing') == '[   5.0 s] patient      is standing (simulator truth)'
    assert t.truth(5.1, 'standing') is None
    assert t.figures.truth_postures == [(5.0, 'standing')]
    assert t.visitor(6.0, True) == \
        '[   6.0 s] visitor      walks through the room (simulator truth)'


def test_the_final_step_is_the_logs_last():
    t = Transcript(start_time=0.0)
    assert t.figures.final_step == ''
    t.event(1.0, 'step', {'step': 'greet'})
    t.event(2.0, 'set_started', {'exercise': 'arm_raise', 'set': 1})
    assert t.figures.final_step == 'greet'


def test_posture_changes_only():
    t = Transcript(start_time=0.0)
    assert 'sitting (90%)' in t.posture(1.0, 'abc', 2, 0.9)
    assert t.posture(1.1, 'abc', 2, 0.95) is None
    assert 'standing' in t.posture(2.0, 'abc', 1, 0.8)
    assert 'lost' in t.body_lost(3.0, 'abc')
    assert t.body_lost(3.1, 'abc') is None


def test_caregiver_alerts_stand_out():
    t = Transcript(start_time=0.0)
    line = t.alert(5.0, 'person lying on the floor (step exercise)', urgent=True)
    assert line == ('[   5.0 s] ALERT        URGENT: caregiver called: '
                    'person lying on the floor (step exercise)')
    assert t.figures.alerts == ['person lying on the floor (step exercise)']


def test_approach_distance_clearance_and_contacts_are_summarised():
    t = Transcript(start_time=0.0)
    t.coach_state(0.5, 'approach', '', 0, 0)
    assert t.distance(1.0, 3.80) == \
        '[   1.0 s] robot drives 3.80 m from the patient (simulator truth)'
    assert t.distance(1.1, 3.70) is None            # less than a quarter metre since the last line
    assert t.distance(2.0, 3.50) is not None
    t.distance(3.0, 2.21)
    t.clearance(0.9)
    t.clearance(0.6)
    assert t.contact(3.5, '') is None
    assert 'touches chair_seat' in t.contact(4.0, 'chair_seat')
    assert t.event(4.4, 'arrived', {}) == '[   4.4 s] robot        arrived at 2.21 m from the patient ' \
        '(simulator truth)'
    t.coach_state(4.5, 'greet', '', 0, 0)
    t.distance(5.0, 2.19)      # the robot still halting: counts
    t.distance(6.0, 1.8)       # the patient came closer: not the robot's doing
    summary = '\n'.join(t.summary(5.0))
    assert t.figures.arrived_at_distance == 2.21
    assert 'Robot: came to 2.19 m of the patient while driving, smallest clearance to ' \
           'anything 0.60 m; touched chair_seat.' in summary
    t = Transcript(start_time=0.0)
    t.clearance(1.0)
    assert 'Robot: did not drive up to the patient, smallest clearance to anything 1.00 m; ' \
           'touched nothing.' in t.summary(1.0)


def test_fall_time_and_alert_times_are_kept():
    t = Transcript(start_time=10.0)
    t.truth(20.0, 'standing')
    t.truth(23.0, 'lying_on_floor')
    t.alert(24.2, 'person lying on the floor', urgent=True)
    assert t.figures.floor_since == 23.0
    assert t.figures.alert_times == [(24.2, 'person lying on the floor', True)]
    assert 'Caregiver alert at 14.2 s (urgent): person lying on the floor.' in t.summary(30.0)


def test_what_the_runner_did_is_in_the_transcript_and_its_summary():
    transcript = Transcript(100.0)
    line = transcript.runner(112.0, 'node "pose" started again (1 of 3 in 60 s)')
    assert line == '[  12.0 s] RUNNER       node "pose" started again (1 of 3 in 60 s)'
    assert transcript.summary(130.0)[-1] == 'Runner at 12.0 s: node "pose" started again (1 of 3 in 60 s).'
