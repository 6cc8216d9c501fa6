"""A programme edited in the web app, checked with the robot's own rules and messages."""
from __future__ import annotations

from functools import lru_cache

from berntsen_coach.programme import ProgrammeError, programme_from_text

MAX_PROGRAMME = 32 * 1024   # characters


class ProgrammeRefused(ValueError):
    pass


@lru_cache(maxsize=1)
def _exercises():
    from berntsen_coach.exercises import load_exercises
    from berntsen_coach.paths import package_config

    return load_exercises(package_config() / 'exercises.yaml')


def check_programme(text: str, pseudonym: str) -> None:
    """Raise ProgrammeRefused with every problem (`programme:LINE: field: problem`), as
    `berntsen check` prints them. The name is a stand-in: the service never sends one."""
    if len(text) > MAX_PROGRAMME:
        raise ProgrammeRefused(f'programme: longer than {MAX_PROGRAMME} characters')
    if '\x00' in text:
        raise ProgrammeRefused('programme: contains a NUL character')
    try:
        programme_from_text(text, _exercises(), source='programme',
                            patient={'name': 'patient', 'id': pseudonym})
    except ProgrammeError as exc:
        raise ProgrammeRefused(str(exc)) from None
