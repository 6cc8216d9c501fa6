import pytest

from berntsen_coach.phrases import DEFAULT_LANGUAGE, LANGUAGES, Phrases


def test_default_is_norwegian_bokmaal():
    assert DEFAULT_LANGUAGE == 'nb'
    assert set(LANGUAGES) == {'nb', 'en'}
    assert Phrases().language == 'nb'


def test_counts_one_to_ten():
    assert [Phrases('nb').number(n) for n in range(1, 11)] == [
        'én', 'to', 'tre', 'fire', 'fem', 'seks', 'sju', 'åtte', 'ni', 'ti']
    assert [Phrases('en').number(n) for n in range(1, 11)] == [
        'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']


def test_counts_beyond_ten_up_to_fifty():
    nb, en = Phrases('nb'), Phrases('en')
    assert [nb.number(n) for n in (11, 17, 20, 21, 27, 34, 50)] == [
        'elleve', 'sytten', 'tjue', 'tjueen', 'tjuesju', 'trettifire', 'femti']
    assert [en.number(n) for n in (11, 20, 21, 34, 50)] == [
        'eleven', 'twenty', 'twenty-one', 'thirty-four', 'fifty']


@pytest.mark.parametrize('bad', [0, -1, 100])
def test_count_out_of_range(bad):
    with pytest.raises(ValueError):
        Phrases().number(bad)


def test_count_needs_an_int():
    with pytest.raises(TypeError):
        Phrases().number(2.0)


def test_norwegian_phrases():
    p = Phrases('nb')
    assert p.greeting('Kari').startswith('God morgen, Kari!')
    assert 'stå opp' in p.stand_up()
    assert 'Kari' in p.stand_up_again('Kari')
    assert p.exercise_intro('arm_raise', 5).startswith('Nå skal vi løfte armene fem ganger.')
    assert p.exercise_intro('arm_raise', 1).startswith('Nå skal vi løfte armene én gang.')
    assert 'Kari' in p.goodbye('Kari') and 'Kari' in p.no_response('Kari')
    assert p.praise()


def test_english_phrases():
    p = Phrases('en')
    assert p.greeting('Ola').startswith('Good morning, Ola!')
    assert p.exercise_intro('arm_raise', 5).startswith('Now we will raise our arms five times.')
    assert p.exercise_intro('arm_raise', 1).startswith('Now we will raise our arms once.')
    assert 'Ola' in p.goodbye('Ola')


def test_every_language_has_every_phrase_and_they_differ():
    nb, en = Phrases('nb'), Phrases('en')
    for method, args in (('greeting', ('X',)), ('stand_up', ()), ('stand_up_again', ('X',)),
                         ('praise', ()), ('goodbye', ('X',)), ('no_response', ('X',))):
        assert getattr(nb, method)(*args) != getattr(en, method)(*args)


def test_unknown_language_and_exercise():
    with pytest.raises(ValueError, match='unknown language'):
        Phrases('sv')
    assert not Phrases().has_intro('squat')
    with pytest.raises(ValueError, match='squat'):
        Phrases().exercise_intro('squat', 5)
