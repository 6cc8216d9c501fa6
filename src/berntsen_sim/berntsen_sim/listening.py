"""What the virtual patient understands of the robot's speech (pure Python, no ROS).

The patient listens like a person who speaks the language: it picks out the words that
carry the meaning ("reis deg", "stand up", "sett to av tre", "ti sekunder igjen") and
ignores the rest, including its own name. `understand(text, language)` turns one spoken
utterance into what a listener takes from it, as a list of `Heard`.

The vocabulary here is written on purpose without looking at the robot's phrase book as a
template, and nothing is imported from berntsen_coach. The simulated patient must react to
what the robot SAYS, not to what the robot MEANT: if the robot's wording changes so that a
person would no longer understand it, the patient stops understanding it too, and the tests
(which feed it everything the robot can say) fail. A patient built from the robot's own
templates would understand any wording, however unclear.

How an utterance is heard:
- a clinical test's instructions, or an exercise introduction (an announcement such as "nå
  skal vi" / "now we will", or a number of repetitions, naming an exercise), is one unit:
  the sentences that describe the movement are not separate instructions;
- otherwise each sentence is heard on its own, its first matching meaning in a fixed order
  (specific before general: "reis deg helt opp" is a cue to go higher, not a request to
  stand up); a sentence whose comma-separated parts mean different things ("Bra, fortsett")
  gives them all;
- a posture request right after a negation ("ikke legg deg", "don't lie down") is not the
  request;
- the same meaning twice in a row is heard once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = (
    'greeting', 'wake', 'sit_up', 'stand_up', 'sit_down', 'lie_down', 'dont_lie_down',
    'intro', 'set_of', 'count', 'higher', 'slower', 'keep_going', 'rest', 'rest_left',
    'set_done', 'last_one', 'halfway', 'praise', 'go', 'stop', 'test_intro', 'stay_down',
    'caregiver_called', 'summary', 'goodbye', 'paused', 'resumed', 'unknown',
)

# The exercises a listener can tell apart by their words (the coach library's names).
EXERCISES = (
    'sit_to_stand', 'arm_raise', 'standing_march', 'heel_raise', 'elbow_flexion',
    'mini_squat', 'seated_knee_extension', 'standing_hip_abduction', 'heel_slide',
    'straight_leg_raise', 'lying_arm_raise',
)


@dataclass(frozen=True)
class Heard:
    """One thing a listener took from an utterance."""

    kind: str            # one of KINDS
    exercise: str = ''   # for 'intro': the exercise understood (one of EXERCISES)
    times: int = 0       # for 'intro': repetitions announced; 0 if none said
    number: int = 0      # for 'count': the number said; for 'set_of': the set's index
    sets: int = 0        # for 'set_of': how many sets
    seconds: float = 0.0  # for 'rest' and 'rest_left'


UNKNOWN = Heard('unknown')

# Requests to take a posture: not heard as such when negated.
_POSTURES = ('sit_up', 'stand_up', 'sit_down', 'lie_down')


# ---- numbers, as spoken ---------------------------------------------------------------------

def _number_words_nb() -> dict[str, int]:
    ones = {'en': 1, 'én': 1, 'ett': 1, 'to': 2, 'tre': 3, 'fire': 4, 'fem': 5, 'seks': 6,
            'sju': 7, 'syv': 7, 'åtte': 8, 'ni': 9}
    teens = {'ti': 10, 'elleve': 11, 'tolv': 12, 'tretten': 13, 'fjorten': 14, 'femten': 15,
             'seksten': 16, 'sytten': 17, 'atten': 18, 'nitten': 19}
    tens = {'tjue': 20, 'tyve': 20, 'tretti': 30, 'tredve': 30, 'førti': 40, 'femti': 50,
            'seksti': 60, 'sytti': 70, 'åtti': 80, 'nitti': 90}
    words = {**ones, **teens, **tens}
    for ten_word, ten in tens.items():
        for one_word, one in ones.items():
            # "tjueen", "tjue en" (hyphens become spaces) and the older "enogtjue"
            for spoken in (ten_word + one_word, f'{ten_word} {one_word}',
                           f'{one_word}og{ten_word}', f'{one_word} og {ten_word}'):
                words[spoken] = ten + one
    return words


def _number_words_en() -> dict[str, int]:
    ones = {'one': 1, 'two': 2, 'three': 3, 'four': 4, 'five': 5, 'six': 6, 'seven': 7,
            'eight': 8, 'nine': 9}
    teens = {'ten': 10, 'eleven': 11, 'twelve': 12, 'thirteen': 13, 'fourteen': 14,
             'fifteen': 15, 'sixteen': 16, 'seventeen': 17, 'eighteen': 18, 'nineteen': 19}
    tens = {'twenty': 20, 'thirty': 30, 'forty': 40, 'fourty': 40, 'fifty': 50, 'sixty': 60,
            'seventy': 70, 'eighty': 80, 'ninety': 90}
    words = {**ones, **teens, **tens}
    for ten_word, ten in tens.items():
        for one_word, one in ones.items():
            words[f'{ten_word} {one_word}'] = ten + one   # "twenty-one" after normalising
    return words


def _number_pattern(words: dict[str, int]) -> str:
    """A regex for a number said in words or written in digits (longest words first)."""
    alternatives = sorted(words, key=len, reverse=True)
    spoken = '|'.join(re.escape(word) for word in alternatives)
    return rf'(?<![\w.,])(?:\d+(?:[.,]\d+)?|{spoken})(?![\w])'


# ---- the vocabulary of one language -------------------------------------------------------

class _Vocabulary:
    """What a listener of one language listens for."""

    def __init__(self, numbers: dict[str, int], rules, exercises, announcement: str,
                 repetitions: str, report: str, test: str, negation: str):
        self.numbers = numbers
        self.number = _number_pattern(numbers)
        # (kind, [patterns]) in the order they are tried; {num} stands for a spoken number
        self.rules = [(kind, [re.compile(p.replace('{num}', self.number)) for p in patterns])
                      for kind, patterns in rules]
        self.exercises = [(name, re.compile(pattern)) for name, pattern in exercises]
        self.announcement = re.compile(announcement)
        self.repetitions = re.compile(repetitions.replace('{num}', self.number))
        self.report = re.compile(report)
        self.test = re.compile(test)
        self.negation = re.compile(negation)
        self.whole_number = re.compile(self.number)

    def value(self, said: str) -> float | None:
        """The value of a number said in words or digits; None if it is not one."""
        said = ' '.join(said.split())
        if said in self.numbers:
            return float(self.numbers[said])
        try:
            return float(said.replace(',', '.'))
        except ValueError:
            return None


# Norwegian Bokmål. Patterns see lower-case text with hyphens as spaces.
_SECONDS_NB = r'(?P<unit>sekund(?:er)?|sek|minutt(?:er)?)\b'
_NB = _Vocabulary(
    numbers=_number_words_nb(),
    rules=[
        ('rest_left', [rf'(?P<n>{{num}})\s+{_SECONDS_NB}\s+(?:igjen|att)\b']),
        ('rest', [r'\b(?:pause|hvil|hvile|hviler|slapp\w*\s+av)\b'
                  rf'.*?(?P<n>{{num}})\s+{_SECONDS_NB}',
                  r'(?P<n>{num})\s+(?P<unit>sekunders|minutters)\s+(?:pause|hvile)']),
        # a report of what was done (a session's summary, a test's result)
        ('summary', [r'\bi\s+dag\s+har\s+du\b|\bdu\s+har\s+(?:gjort|klart|greid)\b'
                     r'|\bdu\s+(?:reiste|klarte|greide|gjorde|løftet)\b|\bdet\s+tok\b'
                     r'|\b(?:øvelsene|treningen|trimmen)\s+(?:en\s+annen\s+(?:gang|dag)'
                     r'|senere|i\s+morgen)']),
        ('stay_down', [r'\bbli\s+liggende\b|\bbli\s+(?:der|hvor)\s+du\s+er\b|\bligg\s+stille\b'
                       r'|\bhjelpen?\s+er\s+på\s+vei\b|\bhjelp\s+kommer\b'
                       r'|\bringer\s+(?:etter\s+)?(?:hjelp|ambulanse)|\bhenter\s+hjelp\b'
                       r'|\bikke\s+(?:prøv\s+å\s+)?(?:reis|reise|stå)\s+(?:deg\s+)?opp\b'
                       r'|\bikke\s+(?:prøv\s+å\s+)?reis(?:e)?\s+deg\b']),
        ('caregiver_called', [r'\bsier\s+fra\s+til\b|\bgir\s+beskjed\s+til\b'
                              r'|\bdem\s+som\s+hjelper\s+deg\b|\bsykepleier\w*|\bpleierne\b'
                              r'|\bhjemmetjenesten\b']),
        ('resumed', [r'\bder\s+vi\s+slapp\b|\bpausen\s+er\s+(?:over|slutt|ferdig)\b'
                     r'|\bi\s+gang\s+igjen\b|\bgjenoppta\w*'
                     r'|\bjeg\s+er\s+tilbake\b|\bvi\s+tar\s+opp\s+igjen\b']),
        ('paused', [r'\bpause\b|\bvi\s+stopper\s+litt\b|\bvi\s+venter\s+litt\b'
                    r'|\bhvil\s+deg\b|\bta\s+en\s+hvil\w*']),
        ('set_of', [r'\b(?:sett|runde|omgang)\s+(?:nummer\s+|nr\s+)?'
                    r'(?P<i>{num})\s+av\s+(?P<n>{num})']),
        ('set_done', [r'\bdet\s+var\s+det\s+settet\b|\bsettet\s+er\s+(?:ferdig|over|slutt)\b'
                      r'|\bferdig\s+med\s+(?:det\s+)?settet\b|\bslutt\s+på\s+settet\b']),
        # "ikke legg deg igjen": heard as the warning, never as the request
        ('dont_lie_down', [r'\b(?:ikke|aldri)\s+(?:\w+\s+){0,2}?(?:legg|legge|ligg|ligge)\b']),
        ('go', [r'\bklar\s*,?\s*ferdig\s*,?\s*gå\b', r'^(?:og\s+)?(?:gå|start|begynn|nå)$']),
        ('stop', [r'(?<!ikke )\bstopp\b|\bstans\b|\btiden\s+er\s+(?:ute|over)\b']),
        ('last_one', [r'\b(?:én|en|ett)\s+(?:til|igjen)\b|\bden\s+siste\b'
                      r'|\bsiste\s+(?:en|gang|repetisjon|runde)\b|^siste$']),
        ('halfway', [r'\bhalvveis\b|\bhalvparten\b|\bhalvt\s+ferdig\b']),
        ('slower', [r'\bta\s+det\s+(?:med\s+ro|rolig|sakte|pent|litt\s+roligere)\b|\bsaktere\b'
                    r'|\broligere\b|\bingen\s+hast\b|\bikke\s+(?:så\s+)?fort\b'
                    r'|\bsenk\s+(?:farten|tempoet)\b|\bikke\s+stress\w*|\b(?:litt|mer)\s+sakte\b']),
        ('higher', [r'\bhøyere\b|\blenger\b|\blengre\b|\bdypere\b|\bmer\b|\bnesten\b'
                    r'|\bhelt\s+(?:opp|ut|over|ned|inn|bak|tilbake|fram|frem)\b']),
        ('keep_going', [r'\bfortsett\w*|\bvidere\b|\bkjør\s+på\b|\bhold\s+det\s+gående\b'
                        r'|\bikke\s+stopp\b|\bikke\s+gi\s+deg\b|\bsett\s+i\s+gang\b']),
        ('lie_down', [r'\blegg\w*\s+(?:deg|dere|oss)\b|\bligg\s+(?:ned|på|i)\b|\bpå\s+ryggen\b']),
        ('stand_up', [r'\breis\s+deg\b|\breise\s+(?:deg|oss|seg)\b|\breiser\s+(?:vi|du)\b'
                      r'|\bstå\s+(?:opp|støtt|oppreist|rett)\b|\bkom\s+deg\s+opp\b'
                      r'|\bopp\s+og\s+stå\b']),
        ('sit_up', [r'\bsengekant\w*|\bsett\w*\s+(?:deg|dere|oss)\s+(?:\w+\s+){0,2}?opp\b'
                    r'|\bsitt\w*\s+opp\b|\bsitte\s+opp\b']),
        ('sit_down', [r'\bsett\w*\s+(?:deg|dere|oss)\b|\bsitt\b|\bsitte\b|\bta\s+plass\b'
                      r'|\b(?:på|i)\s+stolen\b']),
        ('wake', [r'\bvåkn\w*|\bvåken\b|\bvekke\b']),
        ('goodbye', [r'\bha\s+en\s+(?:fin|god|strålende|flott|fortsatt\s+fin)\s+dag\b|\bha\s+det\b'
                     r'|\bhadet\b|\bpå\s+gjensyn\b|\bvi\s+sees\b'
                     r'|\btakk\s+for\s+(?:nå|i\s+dag|idag|denne\s+gangen?|økta|økten)\b']),
        ('greeting', [r'\bgod\s*(?:morgen|dag|ettermiddag|kveld)\b|\bhei\b|\bhallo\b'
                      r'|\bsovet\s+godt\b|\bsov\s+du\s+godt\b']),
        ('praise', [r'\bbra\b|\bflott\w*|\bsånn\s*,?\s*ja\b|\bsupert?\b'
                    r'|\b(?:godt|bra)\s+(?:jobbet|gjort|forsøkt)\b|\bkjempe\w*|\bstrålende\b'
                    r'|\butmerket\b|\bfantastisk\b|\bnydelig\b|\bdyktig\b|\bflink\w*|\bfint\b']),
    ],
    # Tried in this order on the sentence that names the exercise: specific before general.
    exercises=[
        ('lying_arm_raise', r'\bover\s+hodet\b|\bbak\s+hodet\b'),
        ('sit_to_stand', r'\breis\w*\s+(?:oss|deg|seg|dere)\s+(?:\w+\s+){0,2}?fra\s+stolen\b'
                         r'|\bopp\s+fra\s+stolen\b|\breisning\w*|\bsitt\s+til\s+stå\b'),
        ('standing_hip_abduction', r'\b(?:bein|ben)\w*\b.*\btil\s+sid(?:en|ene)\b'
                                   r'|\bsidebein\w*|\bsideben\w*'),
        ('straight_leg_raise', r'\b(?:strak|strake|strakt|rett|rette)\s+(?:bein|ben)\w*'
                               r'|\bbeinløft\w*|\bbenløft\w*'),
        ('heel_slide', r'\bhælskli\w*|\bskli\w*\s+(?:\w+\s+){0,2}?hæl\w*'),
        ('heel_raise', r'\btærne\b|\btåhev\w*|\bhælløft\w*|\bløft\w*\s+hælene\b'
                       r'|\bpå\s+tå\b'),
        ('standing_march', r'\bmarsj\w*|\bgå\s+på\s+stedet\b|\btrampe\w*|\bkneløft\w*'),
        ('elbow_flexion', r'\balbu\w*'),
        ('seated_knee_extension', r'\bstrekk\w*\s+(?:\w+\s+){0,2}?(?:knærne|kneet|knea|kne)\b'
                                  r'|\bknestrekk\w*'),
        ('mini_squat', r'\bknebøy\w*|\bbøy\w*\s+(?:\w+\s+){0,1}?(?:knærne|knea)\b'
                       r'|\bsmå\s+knebøy\b'),
        ('arm_raise', r'\barmløft\w*|\b(?:løft|hev)\w*\s+(?:\w+\s+)?arm(?:ene|en|er)?\b'
                      r'|\barm\w*\s+ut\s+til\s+sid(?:en|ene)\b'),
    ],
    announcement=r'\bnå\s+skal\s+vi\b|\bvi\s+skal\b|\bnå\s+(?:tar|gjør|trener)\s+vi\b'
                 r'|\bla\s+oss\b|\bneste\s+øvelse\b|\bnå\s+blir\s+det\b|\btid\s+for\b'
                 r'|\bvi\s+begynner\s+med\b',
    repetitions=r'(?P<n>{num})\s+gang(?:er)?\b',
    report=r'\bi\s+dag\s+har\s+du\b|\bdu\s+har\s+(?:gjort|klart|greid)\b'
           r'|\bdu\s+(?:reiste|klarte|greide|gjorde|løftet)\b',
    test=r'\btest(?:en)?\b',
    negation=r'\b(?:ikke|aldri)\b',
)

_SECONDS_EN = r'(?P<unit>seconds?|secs?|minutes?)\b'
_EN = _Vocabulary(
    numbers=_number_words_en(),
    rules=[
        ('rest_left', [rf'(?P<n>{{num}})\s+{_SECONDS_EN}\s+(?:left|to\s+go|remaining)\b',
                       rf'\bstill\s+(?P<n>{{num}})\s+{_SECONDS_EN}']),
        ('rest', [rf'\b(?:rest|break|pause|relax)\b.*?(?P<n>{{num}})\s+{_SECONDS_EN}',
                  r'(?P<n>{num})\s+(?P<unit>seconds?|minutes?)\s+(?:of\s+)?'
                  r'(?:rest|break|pause)\b']),
        # a report of what was done (a session's summary, a test's result)
        ('summary', [r"\btoday\s+you\b|\byou(?:\s+have|'ve)\s+done\b"
                     r'|\byou\s+(?:did|stood|managed|completed|raised|lifted)\b'
                     r'|\b(?:that|it)\s+took\b'
                     r'|\b(?:the\s+)?exercises\s+(?:another|some\s+other)\s+(?:time|day)\b'
                     r'|\b(?:the\s+)?exercises\s+(?:later|tomorrow)\b']),
        ('stay_down', [r'\bstay\s+(?:where\s+you\s+are|down|still|on\s+the\s+floor|lying)\b'
                       r'|\blie\s+still\b|\bhelp\s+is\s+(?:on\s+(?:its|the)\s+way|coming)\b'
                       r'|\bcall\w*\s+(?:for\s+)?(?:help|an\s+ambulance)\b'
                       r"|\b(?:don't|do\s+not)\s+(?:try\s+to\s+)?(?:get|stand)\s+up\b"]),
        ('caregiver_called', [r'\blet\s+(?:the\s+)?(?:people|nurses?|staff|carers?|caregivers?)\b'
                              r'.*\bknow\b|\bpeople\s+who\s+help\s+you\b'
                              r'|\b(?:tell|inform|notify)\s+(?:the\s+|your\s+)?'
                              r'(?:nurses?|staff|carers?|caregivers?)\b']),
        ('resumed', [r'\bwhere\s+we\s+left\s+off\b|\b(?:the\s+)?break\s+is\s+over\b|\bresum\w*'
                     r"|\bi(?:'m|\s+am)\s+back\b|\bback\s+to\s+(?:it|work|the\s+exercises?)\b"
                     r"|\blet's\s+(?:get\s+)?(?:started|going)\s+again\b"]),
        ('paused', [r'\bpause\b|\b(?:take|taking|have)\s+a\s+(?:short\s+|little\s+|quick\s+)?'
                    r'(?:break|rest)\b'
                    r"|\b(?:let's|we'll|we\s+will)\s+(?:stop|wait)\s+(?:here\s+)?for\s+"
                    r'(?:now|a\s+(?:moment|while|bit))\b'
                    r'|\bbreak\b']),
        ('set_of', [r'\b(?:set|round)\s+(?:number\s+)?(?P<i>{num})\s+of\s+(?P<n>{num})']),
        ('set_done', [r'\bthat\s+was\s+the\s+set\b'
                      r'|\b(?:the\s+)?set\s+is\s+(?:done|over|finished|complete)\b'
                      r"|\bthat's\s+the\s+set\b|\bend\s+of\s+the\s+set\b"
                      r'|\bset\s+(?:done|complete)\b']),
        # "don't lie down again": heard as the warning, never as the request
        ('dont_lie_down', [r"\b(?:don't|do\s+not|never|no)\s+(?:\w+\s+){0,1}?(?:lie|lay|lying)\b"]),
        ('go', [r'\bready\s*,?\s*(?:steady|set)\s*,?\s*go\b', r'^(?:and\s+)?(?:go|start|begin)$']),
        ('stop', [r"(?<!don't )(?<!do not )\bstop\b|\btime'?s\s+up\b|\bthat's\s+time\b"]),
        ('last_one', [r'\blast\s+one\b|\bone\s+more\b|\bfinal\s+one\b'
                      r'|\bthe\s+last\s+(?:rep|repetition)\b'
                      r'|^last$']),
        ('halfway', [r'\bhalf\s*way\b|\bhalf\s+done\b']),
        ('slower', [r'\btake\s+it\s+(?:slow|slowly|easy|gently)\b|\bslower\b|\bslow\s+down\b'
                    r'|\bno\s+(?:hurry|rush)\b|\bnot\s+so\s+fast\b|\bmore\s+slowly\b'
                    r"|\bdon't\s+rush\b"
                    r'|\btoo\s+fast\b']),
        ('higher', [r'\bhigher\b|\bfurther\b|\bfarther\b|\bdeeper\b|\ball\s+the\s+way\b|\balmost\b'
                    r'|\bmore\b|\bnot\s+quite\b']),
        ('keep_going', [r'\bcarry\s+on\b|\bkeep\s+(?:going|it\s+up)\b|\bcontinu\w*|\bgo\s+on\b'
                        r"|\b(?:don't|do\s+not)\s+stop\b|\bdon't\s+give\s+up\b"]),
        ('lie_down', [r'\b(?:lie|lay)\s+down\b|\blie\s+(?:on|in)\b|\bon\s+your\s+back\b']),
        ('stand_up', [r'\bstand\s+up\b|\bget\s+up\b|\bstand\b|\bon\s+your\s+feet\b']),
        ('sit_up', [r'\bsit\s+(?:\w+\s+){0,2}?up\b|\bsitting\s+up\b|\bedge\s+of\s+the\s+bed\b'
                    r'|\bside\s+of\s+the\s+bed\b']),
        ('sit_down', [r'\bsit\b|\bsit\s+down\b|\b(?:take|have)\s+a\s+seat\b|\bbe\s+seated\b'
                      r'|\b(?:on|in)\s+the\s+chair\b']),
        ('wake', [r'\bwake\b|\bawake\b|\bwaking\b']),
        ('goodbye', [r'\bhave\s+a\s+(?:nice|good|great|lovely|wonderful)\s+day\b|\bgood\s*bye\b'
                     r'|\bbye\b|\bsee\s+you\s+(?:later|soon|tomorrow|next)\b'
                     r'|\bthank\s+you\s+for\s+(?:today|now)\b'
                     r"|\bthat's\s+all\s+for\s+today\b"]),
        ('greeting', [r'\bgood\s+(?:morning|afternoon|evening|day)\b|\bhello\b|\bhi\b'
                      r'|\bslept\s+well\b|\bsleep\s+well\s+last\s+night\b']),
        ('praise', [r'\bgood\b(?!\s+(?:morning|afternoon|evening|day|night|bye))|\bgreat\b'
                    r"|\bthat's\s+it\b|\bwell\s+done\b|\bsuper\b|\bexcellent\b|\bperfect\b"
                    r'|\bbrilliant\b|\bfantastic\b|\bwonderful\b|\bnice\s+(?:work|job|one)\b'
                    r'|\bgood\s+(?:job|work|try)\b|\bsplendid\b']),
    ],
    exercises=[
        ('lying_arm_raise', r'\boverhead\b|\bover\s+(?:your|our|the)\s+heads?\b'
                            r'|\bbehind\s+(?:your|our|the)\s+heads?\b'),
        ('sit_to_stand', r'\b(?:stand|get|rise|standing|getting)\w*\s+up\s+(?:\w+\s+){0,2}?'
                         r'from\s+(?:the|your|a)\s+chair\b'
                         r'|\bchair\s+stands?\b|\bsit\s+to\s+stand\b'),
        ('standing_hip_abduction', r'\blegs?\b.*\bto\s+the\s+sides?\b|\bside\s+leg\b'
                                   r'|\bhip\s+abduction\b'),
        ('straight_leg_raise', r'\bstraight\s+legs?\b|\bleg\s+(?:raises?|lifts?)\b'),
        ('heel_slide', r'\bheel\s+slides?\b|\bslid\w*\s+(?:\w+\s+){0,2}?heels?\b'),
        ('heel_raise', r'\btoes\b|\btiptoes?\b|\bheel\s+raises?\b|\bcalf\s+raises?\b'
                       r'|\b(?:lift|raise)\w*\s+(?:your\s+|our\s+|the\s+)?heels\b'),
        ('standing_march', r'\bmarch\w*|\bknee\s+(?:raises?|lifts?)\b'
                           r'|\bwalk\w*\s+on\s+the\s+spot\b'),
        ('elbow_flexion', r'\belbows?\b|\bcurls?\b|\bbiceps?\b'),
        ('seated_knee_extension', r'\bstraighten\w*\s+(?:\w+\s+){0,2}?knees?\b'
                                  r'|\bknee\s+extensions?\b|\bleg\s+extensions?\b'),
        ('mini_squat', r'\bsquats?\b|\bknee\s+bends?\b|\bbend\w*\s+(?:\w+\s+){0,1}?knees\b'),
        ('arm_raise', r'\barm\s+raises?\b|\b(?:raise|raising|lift|lifting)\s+(?:\w+\s+)?arms\b'
                      r'|\barms\s+out\s+to\s+the\s+sides?\b'),
    ],
    announcement=r"\bnow\s+(?:we(?:'ll|\s+will|\s+are\s+going\s+to|\s+shall)|let's)\b"
                 r"|\bwe(?:'ll|\s+will|\s+are\s+going\s+to)\s+(?:now\s+)?"
                 r'(?:do|try|practi[sc]e|work)\b'
                 r"|\blet's\b|\blet\s+us\b|\bnext\s+(?:exercise|up|we)\b|\btime\s+for\b",
    repetitions=r'(?P<n>{num})\s+times?\b|(?P<once>\bonce\b)|(?P<twice>\btwice\b)',
    report=r"\btoday\s+you\b|\byou(?:\s+have|'ve)\s+done\b"
           r'|\byou\s+(?:did|stood|managed|completed|raised|lifted)\b',
    test=r'\btest\b',
    negation=r"\b(?:not|don't|never|no)\b",
)

_VOCABULARIES = {'nb': _NB, 'en': _EN}
# A clinical test is announced ("nå tar vi en liten test") or explained ("når jeg sier gå").
_TEST_CONTEXT = {
    'nb': re.compile(r'\bnå\b|\bvi\s+tar\b|\bvi\s+skal\b|\bla\s+oss\b|\bliten\b|\bsier\s+gå\b'),
    'en': re.compile(r"\bnow\b|\blet's\b|\bwe\s+will\b|\bshort\b|\blittle\b|\bsay\s+go\b"),
}


# ---- hearing -------------------------------------------------------------------------------

def understand(text: str, language: str) -> list[Heard]:
    """Everything a listener takes from one utterance, in the order said (one utterance may
    hold several, e.g. a re-prompt with a name and the instruction). Unknown language ->
    ValueError naming the known ones. Text not understood -> [Heard('unknown')]. Never raises
    on any str text."""
    if language not in _VOCABULARIES:
        raise ValueError(f'unknown language {language!r}; known: {", ".join(_VOCABULARIES)}')
    if not isinstance(text, str):
        raise TypeError(f'text must be a str, got {type(text).__name__}')
    vocabulary = _VOCABULARIES[language]
    said = _normalise(text)
    if not said:
        return [UNKNOWN]
    if vocabulary.test.search(said) and _TEST_CONTEXT[language].search(said):
        return [Heard('test_intro')]
    intro = _intro(said, vocabulary)
    if intro is not None:
        return [intro]
    heard: list[Heard] = []
    for sentence in _sentences(said):
        for item in _hear_sentence(sentence, vocabulary):
            if not heard or heard[-1] != item:   # the same thing said twice is heard once
                heard.append(item)
    return heard or [UNKNOWN]


def _normalise(text: str) -> str:
    """Lower case, one kind of apostrophe, hyphens as spaces, single spaces."""
    text = text.lower()
    text = re.sub(r'[\u2018\u2019\u02bc`´]', "'", text)
    text = re.sub(r'[\u2013\u2014]', ',', text)          # a dash is a pause in speech
    text = text.replace('\u2026', '.').replace(':', ',')
    text = re.sub(r'(?<=\w)-(?=\w)', ' ', text)           # "twenty-one", "sit-to-stand"
    text = re.sub(r'[^\w\s.,!?;\']', ' ', text)           # quotes, brackets, stray hyphens
    return ' '.join(text.split())


def _sentences(said: str) -> list[str]:
    """Sentences, split at . ! ? ; (not a decimal point)."""
    parts = re.split(r'(?<!\d)[.!?;]+|[.!?;]+(?!\d)', said)
    return [part for part in (_trim(p) for p in parts) if part]


def _clauses(sentence: str) -> list[str]:
    """Comma-separated parts (not a decimal comma)."""
    parts = re.split(r'(?<!\d),|,(?!\d)', sentence)
    return [part for part in (_trim(p) for p in parts) if part]


def _trim(part: str) -> str:
    return part.strip(" ,.!?;'")


def _hear_sentence(sentence: str, vocabulary: _Vocabulary) -> list[Heard]:
    whole = _hear(sentence, vocabulary)
    parts = [item for clause in _clauses(sentence) for item in _hear(clause, vocabulary)]
    # "Bra, fortsett": two meanings in one sentence; "Kari, fem": the count without the name
    if len({item.kind for item in parts}) >= 2 or (parts and not whole):
        return parts
    return whole


def _hear(chunk: str, vocabulary: _Vocabulary) -> list[Heard]:
    """The first meaning found in a sentence or a clause ([] if none)."""
    count = _count(chunk, vocabulary)
    if count is not None:
        return [count]
    for kind, patterns in vocabulary.rules:
        for pattern in patterns:
            match = pattern.search(chunk)
            if match is None:
                continue
            if kind in _POSTURES and _negated(chunk, match.start(), vocabulary):
                continue
            heard = _with_fields(kind, match, vocabulary)
            if heard is None:
                continue
            if kind == 'dont_lie_down':     # "don't lie down again" means: stay sitting up
                return [heard, Heard('sit_up')]
            return [heard]
    return []


def _negated(chunk: str, start: int, vocabulary: _Vocabulary) -> bool:
    """A negation within the three words before a request ("ikke legg deg")."""
    before = chunk[:start].split()[-3:]
    return bool(vocabulary.negation.search(' '.join(before)))


def _with_fields(kind: str, match: re.Match, vocabulary: _Vocabulary) -> Heard | None:
    """The Heard for a matched rule, its numbers read; None if a number makes no sense."""
    if kind in ('rest', 'rest_left'):
        seconds = vocabulary.value(match.group('n'))
        if seconds is None or seconds <= 0:
            return None
        if match.group('unit').startswith(('minutt', 'minute')):
            seconds *= 60
        return Heard(kind, seconds=seconds)
    if kind == 'set_of':
        index, sets = vocabulary.value(match.group('i')), vocabulary.value(match.group('n'))
        if not _is_count(index) or not _is_count(sets):
            return None
        return Heard(kind, number=int(index), sets=int(sets))
    return Heard(kind)


def _is_count(value: float | None) -> bool:
    return value is not None and value == int(value) and 1 <= value <= 99


def _count(chunk: str, vocabulary: _Vocabulary) -> Heard | None:
    """A chunk that is just a number 1..99: the robot counting aloud."""
    if not vocabulary.whole_number.fullmatch(chunk):
        return None
    value = vocabulary.value(chunk)
    return Heard('count', number=int(value)) if _is_count(value) else None


def _intro(said: str, vocabulary: _Vocabulary) -> Heard | None:
    """An exercise introduction: a sentence naming an exercise, announced ("nå skal vi") or
    with a number of repetitions; not a report of exercises already done."""
    if vocabulary.report.search(said):
        return None
    times = _times(said, vocabulary)
    for sentence in _sentences(said):
        found = [name for name, pattern in vocabulary.exercises if pattern.search(sentence)]
        if not found:
            continue
        if times == 0 and not vocabulary.announcement.search(said):
            return None
        return Heard('intro', exercise=found[0], times=times)
    return None


def _times(said: str, vocabulary: _Vocabulary) -> int:
    """The first number of repetitions said ("fem ganger", "once"); 0 if none."""
    for match in vocabulary.repetitions.finditer(said):
        groups = match.groupdict()
        if groups.get('once'):
            return 1
        if groups.get('twice'):
            return 2
        value = vocabulary.value(match.group('n'))
        if _is_count(value):
            return int(value)
    return 0
