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
        'greeting': 'God morgen, {name}! Jeg håper du har sovet godt.',
        'stand_up': 'Nå skal vi stå opp. Reis deg rolig opp når du er klar.',
        'stand_up_again': '{name}, er du klar? Reis deg rolig opp, så begynner vi.',
        'intro': {
            'arm_raise': 'Nå skal vi løfte armene {times}. Løft armene ut til siden og opp '
                         'over skulderhøyde, og senk dem rolig igjen.',
        },
        'praise': 'Kjempebra! Det var flott gjort.',
        'goodbye': 'Takk for nå, {name}. Ha en fin dag!',
        'no_response': 'Det er greit, {name}. Vi prøver igjen litt senere.',
    },
    'en': {
        'number': _number_en,
        'times': lambda n: 'once' if n == 1 else f'{_number_en(n)} times',
        'greeting': 'Good morning, {name}! I hope you slept well.',
        'stand_up': "Let's get up now. Stand up slowly when you are ready.",
        'stand_up_again': '{name}, are you ready? Stand up slowly, and we will begin.',
        'intro': {
            'arm_raise': 'Now we will raise our arms {times}. Raise your arms out to the sides, '
                         'above shoulder height, and lower them slowly again.',
        },
        'praise': 'Excellent! Well done.',
        'goodbye': 'Thank you, {name}. Have a nice day!',
        'no_response': "That's all right, {name}. We will try again a little later.",
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

    def stand_up_again(self, name: str) -> str:
        return self._text['stand_up_again'].format(name=name)

    def has_intro(self, exercise: str) -> bool:
        return exercise in self._text['intro']

    def exercise_intro(self, exercise: str, target: int) -> str:
        if exercise not in self._text['intro']:
            raise ValueError(f'no {self.language!r} introduction for exercise {exercise!r}')
        self.number(target)  # validates the range
        return self._text['intro'][exercise].format(times=self._text['times'](target))

    def praise(self) -> str:
        return self._text['praise']

    def goodbye(self, name: str) -> str:
        return self._text['goodbye'].format(name=name)

    def no_response(self, name: str) -> str:
        return self._text['no_response'].format(name=name)
