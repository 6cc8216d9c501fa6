"""Unit tests of the virtual patient's listening (pure Python, no ROS).

The listener has its own vocabulary; only these tests use the coach's phrase book and
exercise file, to prove the patient understands everything the robot can say. If a phrase
is reworded so that a person would no longer understand it, a test here fails.
"""
import ast
import random
from pathlib import Path

import pytest
import yaml

from berntsen_coach import phrases as phrase_book
from berntsen_coach.phrases import Phrases
from berntsen_sim import listening
from berntsen_sim.listening import EXERCISES, KINDS, Heard, understand

LANGUAGES = ('nb', 'en')
EXERCISE_FILE = (Path(__file__).resolve().parents[2]
                 / 'berntsen_coach' / 'config' / 'exercises.yaml')
# the listener cannot tell a seated from a standing arm raise by the words
SAME_WORDS = {'seated_arm_raise': 'arm_raise'}

# What a listener takes from each phrase of the book (filled in with FIELDS).
EXPECTED = {
    'greeting': ['greeting'],
    'wake': ['greeting', 'wake'],
    'stand_up': ['stand_up'],
    'stand_up_again': ['stand_up'],
    'sit_up': ['sit_up'],
    'sit_up_again': ['sit_up'],
    'lay_down_again': ['dont_lie_down', 'sit_up'],
    'sit_for_exercise': ['sit_down'],
    'lie_for_exercise': ['lie_down'],
    'stand_for_exercise': ['stand_up'],
    'set_of': ['set_of'],
    'halfway': ['halfway'],
    'last_one': ['last_one'],
    'keep_going': ['keep_going'],
    'cannot_see': ['paused'],          # the robot is blind for a moment: she waits
    'can_see_again': ['resumed'],
    'from_here': ['unknown'],          # the robot stays where it is: nothing for her to do
    'rest': ['rest'],
    'rest_left': ['rest_left'],
    'rest_over': ['keep_going'],
    'set_done': ['set_done', 'praise'],
    'floor_urgent': ['stay_down'],
    'floor_reassure': ['stay_down'],
    'help_coming': ['stay_down'],      # she pressed Help: wait where she is for the caregiver
    'help_reassure': ['stay_down'],
    'paused': ['paused'],              # not "continue": that would start her again at once
    'resumed': ['resumed'],
    'caregiver_called': ['caregiver_called'],
    'ready_go': ['go'],
    'test_stop': ['stop', 'praise'],
    # a test's result is a report of what was done, like the summary
    'result_chair_stand_30s': ['summary'],
    'result_five_times_sit_to_stand': ['summary'],
    'result_not_completed': ['praise'],        # "Det var godt forsøkt." / "a good try"
    'summary': ['summary', 'praise'],
    'summary_nothing': ['summary'],
    'goodbye': ['goodbye'],
}
# pieces of sentences, never said on their own
FRAGMENTS = {'zero_times', 'and'}


def fields(phrases):
    noun = 'reisninger' if phrases.language == 'nb' else 'chair stands'
    return dict(name='Kari', seconds='30', index=phrases.number(2), sets=phrases.number(3),
                times=phrases.times(5), parts=f'16 {noun}')


def kinds(text, language):
    return [heard.kind for heard in understand(text, language)]


def load_exercise_file():
    return yaml.safe_load(EXERCISE_FILE.read_text(encoding='utf-8'))['exercises']


# ---- the API ------------------------------------------------------------------------------

def test_kinds_and_heard():
    assert len(set(KINDS)) == len(KINDS)
    assert {'greeting', 'wake', 'sit_up', 'stand_up', 'sit_down', 'lie_down', 'dont_lie_down',
            'intro', 'set_of', 'count', 'higher', 'slower', 'keep_going', 'rest', 'rest_left',
            'set_done', 'last_one', 'halfway', 'praise', 'go', 'stop', 'test_intro',
            'stay_down', 'caregiver_called', 'summary', 'goodbye', 'paused', 'resumed',
            'unknown'} == set(KINDS)
    heard = Heard('count', number=3)
    assert (heard.exercise, heard.times, heard.sets, heard.seconds) == ('', 0, 0, 0.0)
    with pytest.raises(AttributeError):
        heard.number = 4   # frozen


def test_listener_is_independent_of_the_robot():
    """No import of the coach (its phrase book), nor of ROS or the simulator engine."""
    tree = ast.parse(Path(listening.__file__).read_text(encoding='utf-8'))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or '' for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported
                if name.split('.')[0] in ('berntsen_coach', 'rclpy', 'mujoco')}


def test_unknown_language_names_the_known_ones():
    with pytest.raises(ValueError, match=r"'de'.*nb.*en"):
        understand('Guten Morgen', 'de')
    with pytest.raises(ValueError):
        understand('God morgen', 'NB')


# ---- everything the robot says ------------------------------------------------------------

def test_every_phrase_of_the_book_is_covered():
    """A new phrase in the book needs an expectation here (and words the listener knows)."""
    for language in LANGUAGES:
        keys = {key for key, value in phrase_book._TEXT[language].items()
                if isinstance(value, str)}
        assert keys - FRAGMENTS == set(EXPECTED), language


@pytest.mark.parametrize('language', LANGUAGES)
@pytest.mark.parametrize('key', sorted(EXPECTED))
def test_every_phrase_is_understood(language, key):
    phrases = Phrases(language)
    text = phrases.text(key, **fields(phrases))
    assert kinds(text, language) == EXPECTED[key], text


@pytest.mark.parametrize('language', LANGUAGES)
def test_greeting_and_goodbye_with_any_name(language):
    phrases = Phrases(language)
    for name in ('Kari', 'Ola Nordmann', 'Åse', 'Bent'):
        assert kinds(phrases.greeting(name), language) == ['greeting']
        assert kinds(phrases.goodbye(name), language) == ['goodbye']
        assert kinds(phrases.text('lay_down_again', name=name), language) == [
            'dont_lie_down', 'sit_up']
        assert kinds(phrases.text('floor_urgent', name=name), language) == ['stay_down']
        from_afar = phrases.greeting(name) + ' ' + phrases.text('from_here')
        assert kinds(from_afar, language) == ['greeting'], 'a greeting from where the robot stands'


@pytest.mark.parametrize('language', LANGUAGES)
@pytest.mark.parametrize('seconds', [30, 45, 60, 7.5, 90, 120])
def test_rest_seconds(language, seconds):
    phrases = Phrases(language)
    # the coach formats the seconds with :g
    assert understand(phrases.text('rest', seconds=f'{seconds:g}'), language) == [
        Heard('rest', seconds=seconds)]
    assert understand(phrases.text('rest_left', seconds=f'{seconds:g}'), language) == [
        Heard('rest_left', seconds=seconds)]


@pytest.mark.parametrize('language', LANGUAGES)
def test_set_of(language):
    phrases = Phrases(language)
    for sets in range(1, 7):
        for index in range(1, sets + 1):
            assert understand(phrases.set_of(index, sets), language) == [
                Heard('set_of', number=index, sets=sets)]


@pytest.mark.parametrize('language', LANGUAGES)
def test_counts_one_to_ninety_nine(language):
    phrases = Phrases(language)
    for n in range(1, 100):
        assert understand(phrases.number(n), language) == [Heard('count', number=n)], n


@pytest.mark.parametrize('language', LANGUAGES)
def test_praises(language):
    for praise in Phrases(language).praises:
        assert kinds(praise, language) == ['praise'], praise


@pytest.mark.parametrize('language', LANGUAGES)
@pytest.mark.parametrize('test', ['chair_stand_30s', 'five_times_sit_to_stand'])
def test_clinical_test_instructions(language, test):
    """One unit: its "sit", "stand up" and "go" describe the test, they are not orders."""
    assert understand(Phrases(language).test_intro(test), language) == [Heard('test_intro')]


@pytest.mark.parametrize('language', LANGUAGES)
def test_clinical_test_results(language):
    phrases = Phrases(language)
    for stands in range(0, 31):
        assert kinds(phrases.chair_stand_result(stands), language) == ['summary']
    for seconds in (8.0, 12.34, 29.95):
        assert kinds(phrases.five_times_result(seconds), language) == ['summary']


@pytest.mark.parametrize('language', LANGUAGES)
def test_summary_of_every_exercise(language):
    phrases = Phrases(language)
    spoken = [exercise['spoken'][language] for exercise in load_exercise_file().values()]
    for noun in spoken:
        assert kinds(phrases.summary([(12, noun)]), language) == ['summary', 'praise'], noun
    everything = [(count, noun) for count, noun in enumerate(spoken, start=3)]
    assert kinds(phrases.summary(everything), language) == ['summary', 'praise']
    assert kinds(phrases.summary([]), language) == ['summary']


@pytest.mark.parametrize('language', LANGUAGES)
def test_every_exercise_intro(language):
    phrases = Phrases(language)
    exercises = load_exercise_file()
    assert {SAME_WORDS.get(name, name) for name in exercises} == set(EXERCISES)
    for name, exercise in exercises.items():
        expected = SAME_WORDS.get(name, name)
        for n in range(1, 13):
            text = exercise['intro'][language].format(times=phrases.times(n))
            assert understand(text, language) == [
                Heard('intro', exercise=expected, times=n)], text


@pytest.mark.parametrize('language', LANGUAGES)
def test_every_cue(language):
    """Short of the goal or a partial repetition: go further; too fast: slow down."""
    expected = {'below_goal': 'higher', 'partial': 'higher', 'too_fast': 'slower'}
    seen = set()
    for name, exercise in load_exercise_file().items():
        for cue, text in exercise.get('cues', {}).items():
            assert understand(text[language], language) == [Heard(expected[cue])], \
                (name, cue, text[language])
            seen.add(cue)
    assert seen == set(expected)


# ---- how a listener hears ------------------------------------------------------------------

@pytest.mark.parametrize('language, text', [
    ('nb', 'Ikke legg deg igjen.'), ('nb', 'Kari, ikke legg deg ned igjen!'),
    ('en', "Don't lie down again."), ('en', 'Please do not lie down, Kari.'),
    ('en', 'Don\u2019t lie down again.'),
])
def test_negation_is_not_the_request(language, text):
    assert kinds(text, language) == ['dont_lie_down', 'sit_up']


@pytest.mark.parametrize('language, text, expected', [
    ('nb', 'Legg deg ned.', ['lie_down']),
    ('en', 'Lie down.', ['lie_down']),
    ('nb', 'Ikke reis deg, Kari.', ['stay_down']),
    ('en', "Don't get up.", ['stay_down']),
    ('nb', 'Du trenger ikke sette deg.', ['unknown']),
    ('en', "Don't stop!", ['keep_going']),
    ('nb', 'Ikke stopp!', ['keep_going']),
])
def test_negation_of_other_requests(language, text, expected):
    assert kinds(text, language) == expected


@pytest.mark.parametrize('language, text', [
    ('nb', 'Det regner i dag.'), ('en', 'The weather is lovely today.'),
    ('nb', ''), ('en', '   '), ('nb', '?!...'), ('en', 'Kari'),
    ('nb', 'ingen ganger'), ('en', 'one hundred'), ('nb', '0'), ('en', 'zero'),
    ('en', 'God morgen!'),      # Norwegian heard by an English listener
])
def test_not_understood(language, text):
    assert understand(text, language) == [Heard('unknown')]


def test_robust_to_case_punctuation_and_spaces():
    assert kinds('  REIS   DEG rolig opp!!! ', 'nb') == ['stand_up']
    assert kinds('reis deg rolig opp', 'nb') == ['stand_up']
    assert kinds('sett deg rolig opp på sengekanten', 'nb') == ['sit_up']
    assert understand('PAUSE I 30 SEKUNDER', 'nb') == [Heard('rest', seconds=30)]
    assert understand('sett  TO   av tre!', 'nb') == [Heard('set_of', number=2, sets=3)]
    assert understand('Set two of three', 'en') == [Heard('set_of', number=2, sets=3)]
    assert understand('SET 2 OF 3.', 'en') == [Heard('set_of', number=2, sets=3)]
    assert understand('Twenty One!', 'en') == [Heard('count', number=21)]
    assert understand('twenty one', 'en') == [Heard('count', number=21)]
    assert understand('TJUEEN.', 'nb') == [Heard('count', number=21)]
    assert understand('Kari, fem!', 'nb') == [Heard('count', number=5)]
    assert understand('syv', 'nb') == [Heard('count', number=7)]
    assert understand('ett', 'nb') == [Heard('count', number=1)]
    assert kinds('klar ferdig gå', 'nb') == ['go']
    assert kinds('ready steady go', 'en') == ['go']
    assert kinds('\u201cWell done!\u201d', 'en') == ['praise']
    assert kinds('Sånn ja', 'nb') == ['praise']


def test_numbers_in_words_and_digits():
    assert understand('Pause i tretti sekunder.', 'nb') == [Heard('rest', seconds=30)]
    assert understand('Pause i 7,5 sekunder.', 'nb') == [Heard('rest', seconds=7.5)]
    assert understand('Rest for one minute.', 'en') == [Heard('rest', seconds=60)]
    assert understand('Ti sekunder igjen.', 'nb') == [Heard('rest_left', seconds=10)]
    assert understand('Only five seconds to go!', 'en') == [Heard('rest_left', seconds=5)]
    assert understand('Now we will raise our arms 8 times.', 'en') == [
        Heard('intro', exercise='arm_raise', times=8)]
    assert understand('Now we will raise our arms twice.', 'en') == [
        Heard('intro', exercise='arm_raise', times=2)]
    assert understand('Nå skal vi løfte armene syv ganger.', 'nb') == [
        Heard('intro', exercise='arm_raise', times=7)]


def test_intro_without_a_number_of_repetitions():
    assert understand('Nå skal vi marsjere på stedet.', 'nb') == [
        Heard('intro', exercise='standing_march', times=0)]
    assert understand("Let's do some heel slides.", 'en') == [
        Heard('intro', exercise='heel_slide', times=0)]


def test_exercise_words_alone_are_not_an_intro():
    """Named in a cue or a report, an exercise is not being introduced."""
    assert kinds('Løft armene litt høyere.', 'nb') == ['higher']
    assert kinds('Take your arms all the way over your head.', 'en') == ['higher']
    assert kinds('Today you did 10 arm raises.', 'en') == ['summary']


def test_several_things_in_one_utterance_in_order():
    assert kinds('Bra, fortsett når du er klar.', 'nb') == ['praise', 'keep_going']
    assert kinds('Good! Last one!', 'en') == ['praise', 'last_one']
    assert kinds('Kari, er du klar? Reis deg rolig opp.', 'nb') == ['stand_up']
    assert kinds('Fem, bra!', 'nb') == ['count', 'praise']


def test_specific_before_general():
    """A cue to go further is not a request to stand up; one more is not "more"."""
    assert kinds('Reis deg helt opp.', 'nb') == ['higher']
    assert kinds('Stand all the way up.', 'en') == ['higher']
    assert kinds('One more!', 'en') == ['last_one']
    assert kinds('Én til!', 'nb') == ['last_one']
    assert kinds('Sett deg ned på stolen.', 'nb') == ['sit_down']
    assert kinds('Sett deg opp.', 'nb') == ['sit_up']
    assert kinds('Stand up slowly.', 'en') == ['stand_up']   # "slowly" is how, not a cue
    assert kinds('Have a good day!', 'en') == ['goodbye']


@pytest.mark.parametrize('language, text', [
    ('nb', 'Vi tar en pause.'), ('nb', 'Nå tar vi en liten pause, Kari.'), ('nb', 'Pause.'),
    ('en', "We'll take a break."), ('en', "Let's take a short break."), ('en', 'Pause.'),
])
def test_paused(language, text):
    assert kinds(text, language) == ['paused']


@pytest.mark.parametrize('language, text', [
    ('nb', 'Nå fortsetter vi der vi slapp.'), ('nb', 'Pausen er over.'),
    ('nb', 'Da er vi i gang igjen.'),
    ('en', "Let's pick up where we left off."), ('en', 'The break is over.'),
    ('en', "Let's resume."),
])
def test_resumed(language, text):
    assert kinds(text, language) == ['resumed']


def test_a_pause_with_a_length_is_a_rest():
    assert understand('Vi tar en pause på 20 sekunder.', 'nb') == [Heard('rest', seconds=20)]
    assert understand("We'll take a 20 second break.", 'en') == [Heard('rest', seconds=20)]


def test_never_raises_on_any_text():
    rng = random.Random(7)
    alphabet = 'abcdefghijklmnopqrstuvwxyzæøåé ÉÅ0123456789.,!?;:-\'"()\u2019\u2014\n\t'
    words = ['reis', 'deg', 'sett', 'av', 'to', 'pause', 'sekunder', 'igjen', 'ikke', 'legg',
             'set', 'of', 'two', 'rest', 'seconds', 'left', "don't", 'lie', 'times', 'ganger',
             'nå', 'skal', 'vi', 'now', 'we', 'will', 'armene', 'arms', '99', '1,5', '.', ',']
    for _ in range(500):
        random_chars = ''.join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        random_words = ' '.join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        for text in (random_chars, random_words):
            for language in LANGUAGES:
                heard = understand(text, language)
                assert heard and all(item.kind in KINDS for item in heard)
                assert all(item.exercise in ('',) + EXERCISES for item in heard)


def test_see_you_is_a_goodbye_only_as_one():
    assert kinds('See you tomorrow!', 'en') == ['goodbye']
    assert 'goodbye' not in kinds('I cannot see you right now.', 'en')
