import pytest

from berntsen_coach.feedback import PraiseRotation, SpeechPlanner, Utterance


def u(text, kind='say', **kw):
    return Utterance(text, kind, **kw)


def test_one_utterance_at_a_time_in_order():
    planner = SpeechPlanner()
    assert planner.say(u('a')) == [u('a')]
    assert planner.say(u('b')) == [] and planner.say(u('c')) == []
    assert planner.finished() == (u('a'), [u('b')])
    assert planner.finished() == (u('b'), [u('c')])
    assert planner.finished() == (u('c'), [])
    assert not planner.speaking and planner.finished() == (None, [])


def test_a_newer_count_replaces_a_waiting_count_and_its_stale_feedback():
    planner = SpeechPlanner()
    planner.say(u('one', 'count'))
    planner.say(u('two', 'count'))
    planner.say(u('Good!', 'praise', stale_after_count=True))
    planner.say(u('Set 2.', 'set'))
    planner.say(u('three', 'count'))
    assert planner.queued == 2
    assert planner.finished()[1] == [u('Set 2.', 'set')]
    assert planner.finished()[1] == [u('three', 'count')]


def test_urgent_empties_the_queue_and_goes_at_once():
    planner = SpeechPlanner()
    planner.say(u('a'))
    planner.say(u('b'))
    help_ = u('Stay where you are', 'floor_urgent', urgent=True)
    assert planner.say(help_) == [help_]
    assert planner.finished() == (u('a'), [])         # the pre-empted one still reports
    assert planner.finished() == (help_, [])
    with pytest.raises(TypeError):
        planner.say('text')


def test_praise_rotation_is_varied_and_deterministic():
    words = ['a', 'b', 'c', 'd']
    first = [PraiseRotation(words, seed=3).next() for _ in range(1)]
    rotation = PraiseRotation(words, seed=3)
    sequence = [rotation.next() for _ in range(12)]
    again = PraiseRotation(words, seed=3)
    assert sequence == [again.next() for _ in range(12)]
    assert sequence[0] == first[0]
    assert all(a != b for a, b in zip(sequence, sequence[1:]))
    assert sorted(sequence[:4]) == words                  # every phrase once per round
    assert [PraiseRotation(['only']).next() for _ in range(2)] == ['only', 'only']
    with pytest.raises(ValueError):
        PraiseRotation([])
