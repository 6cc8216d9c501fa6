"""What the screen writes, per language: short, plain words a person in bed reads at a glance.

The coach's own phrases (what is said) come as captions; these are the screen's headings.
A language the screen does not know falls back to Norwegian (bokmål), the robot's first.
"""
from __future__ import annotations

DEFAULT_LANGUAGE = 'nb'

LABELS: dict[str, dict[str, str]] = {
    'nb': {
        'waiting': 'Roboten er klar',
        'approach': 'Roboten kommer til deg',
        'greet': 'God morgen!',
        'wake': 'God morgen!',
        'sit_up': 'Sett deg opp på sengekanten',
        'stand_up': 'Reis deg opp',
        'exercise': 'Øvelse',
        'rest': 'Hvil litt',
        'test': 'Reis deg fra stolen',
        'summary': 'Bra jobbet i dag!',
        'goodbye': 'Ha en fin dag!',
        'done': 'Ferdig for i dag',
        'no_response': 'En pleier er varslet',
        'help': 'Hjelpen er på vei',
        'stopped': 'Økten er stoppet',
        'paused': 'Pause',
        'paused_hint': 'Trykk «Fortsett» når du er klar',
        'of': 'av',
        'set': 'Sett',
        'seconds': 'sekunder',
        'pause_button': 'Pause',
        'resume_button': 'Fortsett',
        'help_button': 'Hjelp',
        'not_connected': 'Ikke kontakt med roboten',
        'reconnecting': 'Prøver igjen …',
        'demonstration': 'Slik gjør du det',
        'you': 'Deg',
        'total': 'I dag',
    },
    'en': {
        'waiting': 'The robot is ready',
        'approach': 'The robot is coming to you',
        'greet': 'Good morning!',
        'wake': 'Good morning!',
        'sit_up': 'Sit up on the edge of the bed',
        'stand_up': 'Stand up',
        'exercise': 'Exercise',
        'rest': 'Have a rest',
        'test': 'Stand up from the chair',
        'summary': 'Well done today!',
        'goodbye': 'Have a nice day!',
        'done': 'Done for today',
        'no_response': 'A caregiver has been told',
        'help': 'Help is on its way',
        'stopped': 'The session has stopped',
        'paused': 'Paused',
        'paused_hint': 'Press "Continue" when you are ready',
        'of': 'of',
        'set': 'Set',
        'seconds': 'seconds',
        'pause_button': 'Pause',
        'resume_button': 'Continue',
        'help_button': 'Help',
        'not_connected': 'No contact with the robot',
        'reconnecting': 'Trying again …',
        'demonstration': 'How to do it',
        'you': 'You',
        'total': 'Today',
    },
}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS[DEFAULT_LANGUAGE])
