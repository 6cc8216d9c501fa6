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
    assert 'Kari' in p.text('stand_up_again', name='Kari')
    assert 'Kari' in p.goodbye('Kari')


def test_english_phrases():
    p = Phrases('en')
    assert p.greeting('Ola').startswith('Good morning, Ola!')
    assert 'Ola' in p.goodbye('Ola')


def test_every_language_has_every_phrase_and_they_differ():
    nb, en = Phrases('nb'), Phrases('en')
    for method, args in (('greeting', ('X',)), ('stand_up', ()), ('goodbye', ('X',))):
        assert getattr(nb, method)(*args) != getattr(en, method)(*args)


def test_unknown_language_and_exercise():
    with pytest.raises(ValueError, match='unknown language'):
        Phrases('sv')


def test_programme_phrases():
    nb, en = Phrases('nb'), Phrases('en')
    assert nb.text('rest', seconds=30) == 'Pause i 30 sekunder.'
    assert en.text('rest', seconds=30) == 'Rest for 30 seconds.'
    assert nb.set_of(1, 2) == 'Sett én av to.' and en.set_of(2, 3) == 'Set two of three.'
    assert nb.text('last_one') == 'Én igjen!' and en.text('halfway') == 'Halfway there!'
    assert len(set(nb.praises)) >= 5 and len(set(en.praises)) >= 5
    assert nb.summary([(16, 'reisninger'), (10, 'armløft'), (0, 'tåhev')]) == \
        'I dag har du gjort 16 reisninger og 10 armløft. Det er kjempebra!'
    assert en.summary([(5, 'arm raises'), (8, 'chair stands'), (4, 'heel raises')]).startswith(
        'Today you did 5 arm raises, 8 chair stands and 4 heel raises.')
    assert nb.summary([]) == nb.text('summary_nothing')
    assert nb.chair_stand_result(12) == 'Du reiste deg tolv ganger på tretti sekunder.'
    assert nb.five_times_result(12.34) == 'Det tok 12,3 sekunder.'
    assert en.five_times_result(12.34) == 'That took 12.3 seconds.'
    assert 'bli liggende' in nb.text('floor_urgent', name='Kari')
    with pytest.raises(ValueError):
        nb.text('no_such_phrase')
    with pytest.raises(ValueError):
        nb.test_intro('timed_up_and_go')


def test_every_text_key_exists_in_every_language():
    from berntsen_coach.phrases import _TEXT
    assert set(_TEXT['nb']) == set(_TEXT['en'])
    assert set(_TEXT['nb']['test_intro']) == set(_TEXT['en']['test_intro'])


def test_no_stands_is_said_in_words():
    assert Phrases('nb').chair_stand_result(0) == 'Du reiste deg ingen ganger på tretti sekunder.'
    assert Phrases('en').chair_stand_result(0) == 'You stood up zero times in thirty seconds.'
