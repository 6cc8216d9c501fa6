"""What the coach says, in Norwegian Bokmål (default) and English (no ROS imports).

Short, calm sentences that read well through a speech synthesiser. `Phrases(language)`
raises ValueError for a language it does not have; callers decide whether to fall back.
"""
from __future__ import annotations

DEFAULT_LANGUAGE = 'nb'

_NB_ONES = ('', 'én', 'to', 'tre', 'fire', 'fem', 'seks', 'sju', 'åtte', 'ni', 'ti',
            'elleve', 'tolv', 'tretten', 'fjorten', 'femten', 'seksten', 'sytten', 'atten',
            'nitten')
_NB_TENS = ('', '', 'tjue', 'tretti', 'førti', 'femti', 'seksti', 'sytti', 'åtti', 'nitti')
_EN_ONES = ('', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
            'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen',
            'eighteen', 'nineteen')
_EN_TENS = ('', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty',
            'ninety')


def _number_nb(n: int) -> str:
    if n < 20:
        return _NB_ONES[n]
    tens, ones = divmod(n, 10)
    # Inside a compound the accent goes: "tjueen", not "tjueén".
    return _NB_TENS[tens] + ('en' if ones == 1 else _NB_ONES[ones])


def _number_en(n: int) -> str:
    if n < 20:
        return _EN_ONES[n]
    tens, ones = divmod(n, 10)
    return _EN_TENS[tens] + (f'-{_EN_ONES[ones]}' if ones else '')


_TEXT = {
    'nb': {
        'number': _number_nb,
        'times': lambda n: 'én gang' if n == 1 else f'{_number_nb(n)} ganger',
        'seconds': lambda x: f'{x:.1f}'.replace('.', ','),
        'greeting': 'God morgen, {name}! Jeg håper du har sovet godt.',
        'stand_up': 'Nå skal vi stå opp. Reis deg rolig opp når du er klar.',
        'stand_up_again': '{name}, er du klar? Reis deg rolig opp, så begynner vi.',
        'goodbye': 'Takk for nå, {name}. Ha en fin dag!',
        'wake': 'God morgen, {name}! Det er tid for å våkne. Er du våken?',
        'sit_up': 'Sett deg rolig opp på sengekanten, med føttene i gulvet.',
        'sit_up_again': '{name}, kan du sette deg opp på sengekanten? Ta den tiden du trenger.',
        'lay_down_again': 'Ikke legg deg igjen, {name}. Vi setter oss opp på sengekanten '
                          'sammen.',
        'sit_for_exercise': 'Sett deg godt til rette på stolen.',
        'lie_for_exercise': 'Legg deg godt til rette på ryggen i senga.',
        'stand_for_exercise': 'Reis deg opp og stå støtt. Hold deg gjerne i stolryggen.',
        'set_of': 'Sett {index} av {sets}.',
        'praises': ('Bra!', 'Flott!', 'Sånn, ja!', 'Veldig bra!', 'Godt jobbet!', 'Supert!'),
        'halfway': 'Halvveis!',
        'last_one': 'Én igjen!',
        'keep_going': 'Fortsett når du er klar.',
        'cannot_see': 'Jeg ser deg ikke akkurat nå, så vi venter litt.',
        'from_here': 'Jeg kommer ikke nærmere akkurat nå, så vi tar det herfra.',
        'can_see_again': 'Nå ser jeg deg igjen. Vi tar opp igjen der vi slapp.',
        'rest': 'Pause i {seconds} sekunder.',
        'rest_left': '{seconds} sekunder igjen.',
        'rest_over': 'Da fortsetter vi.',
        'set_done': 'Det var det settet. Godt jobbet!',
        'floor_urgent': '{name}, bli liggende der du er. Jeg ringer etter hjelp nå.',
        'floor_reassure': 'Hjelpen er på vei, {name}. Bli liggende rolig.',
        'help_coming': '{name}, jeg har sagt fra, og hjelpen er på vei.',
        'help_reassure': 'Hjelpen er på vei, {name}. Jeg blir her hos deg.',
        'paused': 'Vi tar en pause. Si fra på skjermen når du er klar igjen.',
        'resumed': 'Vi tar opp igjen der vi slapp.',
        'caregiver_called': 'Jeg sier fra til dem som hjelper deg, {name}. Vi prøver igjen '
                            'senere.',
        'test_intro': {
            'chair_stand_30s': 'Nå tar vi en liten test. Sitt med armene i kors over brystet. '
                               'Når jeg sier gå, reiser du deg helt opp og setter deg ned igjen '
                               'så mange ganger du klarer på tretti sekunder.',
            'five_times_sit_to_stand': 'Nå tar vi en liten test. Sitt med armene i kors over '
                                       'brystet. Når jeg sier gå, reiser du deg helt opp og '
                                       'setter deg ned igjen fem ganger, så fort du trygt kan.',
        },
        'ready_go': 'Klar, ferdig, gå!',
        'test_stop': 'Stopp! Bra jobbet.',
        'result_chair_stand_30s': 'Du reiste deg {times} på tretti sekunder.',
        'zero_times': 'ingen ganger',
        'result_five_times_sit_to_stand': 'Det tok {seconds} sekunder.',
        'result_not_completed': 'Det var godt forsøkt. Vi prøver igjen en annen dag.',
        'summary': 'I dag har du gjort {parts}. Det er kjempebra!',
        'summary_nothing': 'Vi får ta øvelsene en annen gang.',
        'and': 'og',
    },
    'en': {
        'number': _number_en,
        'times': lambda n: 'once' if n == 1 else f'{_number_en(n)} times',
        'seconds': lambda x: f'{x:.1f}',
        'greeting': 'Good morning, {name}! I hope you slept well.',
        'stand_up': "Let's get up now. Stand up slowly when you are ready.",
        'stand_up_again': '{name}, are you ready? Stand up slowly, and we will begin.',
        'goodbye': 'Thank you, {name}. Have a nice day!',
        'wake': 'Good morning, {name}! It is time to wake up. Are you awake?',
        'sit_up': 'Sit up slowly on the edge of the bed, with your feet on the floor.',
        'sit_up_again': '{name}, can you sit up on the edge of the bed? Take the time you need.',
        'lay_down_again': "Don't lie down again, {name}. Let's sit up on the edge of the bed "
                          'together.',
        'sit_for_exercise': 'Sit down comfortably on the chair.',
        'lie_for_exercise': 'Lie down comfortably on your back in the bed.',
        'stand_for_exercise': 'Stand up and find your balance. Hold on to the back of the chair '
                              'if you like.',
        'set_of': 'Set {index} of {sets}.',
        'praises': ('Good!', 'Great!', "That's it!", 'Very good!', 'Well done!', 'Super!'),
        'halfway': 'Halfway there!',
        'last_one': 'Last one!',
        'keep_going': 'Carry on when you are ready.',
        'cannot_see': 'I cannot see you right now, so we will wait for a moment.',
        'from_here': "I cannot come any closer just now, so we will do it from here.",
        'can_see_again': "I can see you again. Let's carry on where we left off.",
        'rest': 'Rest for {seconds} seconds.',
        'rest_left': '{seconds} seconds left.',
        'rest_over': "Let's carry on.",
        'set_done': 'That was the set. Well done!',
        'floor_urgent': '{name}, stay where you are. I am calling for help now.',
        'floor_reassure': 'Help is on the way, {name}. Stay still and rest.',
        'help_coming': '{name}, I have called for help. Someone is on the way.',
        'help_reassure': 'Help is on the way, {name}. I am staying here with you.',
        'paused': 'We will take a break. Tell me on the screen when you are ready again.',
        'resumed': "Let's pick up where we left off.",
        'caregiver_called': 'I will let the people who help you know, {name}. We will try '
                            'again later.',
        'test_intro': {
            'chair_stand_30s': "Now a short test. Sit with your arms crossed over your chest. "
                               "When I say go, stand all the way up and sit down again as many "
                               "times as you can in thirty seconds.",
            'five_times_sit_to_stand': 'Now a short test. Sit with your arms crossed over your '
                                       'chest. When I say go, stand all the way up and sit down '
                                       'again five times, as quickly as you safely can.',
        },
        'ready_go': 'Ready, set, go!',
        'test_stop': 'Stop! Well done.',
        'result_chair_stand_30s': 'You stood up {times} in thirty seconds.',
        'zero_times': 'zero times',
        'result_five_times_sit_to_stand': 'That took {seconds} seconds.',
        'result_not_completed': 'That was a good try. We will try again another day.',
        'summary': 'Today you did {parts}. That is excellent!',
        'summary_nothing': 'We will do the exercises another time.',
        'and': 'and',
    },
}

LANGUAGES = tuple(_TEXT)


class Phrases:
    """The phrase book for one language."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        if language not in _TEXT:
            raise ValueError(f'unknown language {language!r}; known: {", ".join(LANGUAGES)}')
        self.language = language
        self._text = _TEXT[language]

    def number(self, n: int) -> str:
        """A count as spoken: 1 → "én" / "one". Supports 1..99."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f'count must be an int, got {n!r}')
        if not 1 <= n <= 99:
            raise ValueError(f'can count 1..99, got {n}')
        return self._text['number'](n)

    def greeting(self, name: str) -> str:
        return self._text['greeting'].format(name=name)

    def stand_up(self) -> str:
        return self._text['stand_up']

    def goodbye(self, name: str) -> str:
        return self._text['goodbye'].format(name=name)

    # ---- the full morning routine and programmes (coach_routine.py) -----------------------

    def text(self, key: str, **fields) -> str:
        """A phrase by key (see _TEXT), with its {fields} filled in."""
        template = self._text.get(key)
        if not isinstance(template, str):
            raise ValueError(f'no {self.language!r} phrase {key!r}')
        return template.format(**fields)

    def times(self, n: int) -> str:
        """"fem ganger" / "five times"."""
        self.number(n)
        return self._text['times'](n)

    def format_intro(self, template: str, target: int) -> str:
        """An exercise's intro text from exercises.yaml, {times} filled in."""
        return template.format(times=self.times(target))

    def set_of(self, index: int, sets: int) -> str:
        return self.text('set_of', index=self.number(index), sets=self.number(sets))

    @property
    def praises(self) -> tuple[str, ...]:
        return self._text['praises']

    def test_intro(self, test: str) -> str:
        if test not in self._text['test_intro']:
            raise ValueError(f'no {self.language!r} instructions for clinical test {test!r}')
        return self._text['test_intro'][test]

    def chair_stand_result(self, stands: int) -> str:
        return self.text('result_chair_stand_30s',
                         times=self.times(stands) if stands else self._text['zero_times'])

    def five_times_result(self, seconds: float) -> str:
        return self.text('result_five_times_sit_to_stand',
                         seconds=self._text['seconds'](seconds))

    def summary(self, parts: list[tuple[int, str]]) -> str:
        """"I dag har du gjort 16 reisninger og 10 armløft." from (count, spoken noun)."""
        items = [f'{count} {noun}' for count, noun in parts if count > 0]
        if not items:
            return self.text('summary_nothing')
        joined = items[0] if len(items) == 1 else \
            ', '.join(items[:-1]) + f" {self._text['and']} " + items[-1]
        return self.text('summary', parts=joined)
