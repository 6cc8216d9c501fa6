"""The report's words in the care team's language: headings, outcomes, tests, exercises.

No ROS imports. Exercises are called what the robot calls them to the patient (their
`spoken` names in exercises.yaml, e.g. "Armløft"); a name the library does not know is
shown as it is stored.
"""
from __future__ import annotations

from typing import Mapping

from .exercises import Exercise

REPORT_LANGUAGES = ('nb', 'en')

WORDS: dict[str, dict[str, str]] = {
    'nb': {
        'title': 'Treningsfremgang: pasient {patient}',
        'summary': 'Pasient {patient}: {n} økt(er)',
        'span': ', {first} til {last}',
        'completed_of': 'Fullført: {done} av {n}',
        'repetitions_heading': 'Repetisjoner per øvelse (talt/mål):',
        'measures_heading': 'Kliniske tester:',
        'sessions_heading': 'Økter:',
        'none': 'ingen registrert',
        'trend': 'utvikling',
        'one_measurement': 'én måling',
        'unchanged': 'uendret',
        'better': 'bedre',
        'worse': 'dårligere',
        'not_reached': 'ikke nådd',
        'open': 'åpen',
        'simulated': 'simulert',
        'no_sessions': 'Ingen økter registrert.',
        'id': 'id', 'patient': 'pasient', 'date': 'dato', 'duration': 'varighet',
        'outcome': 'utfall', 'exercises': 'øvelser', 'measures': 'kliniske tester',
        'sessions': 'Økter', 'reps_plot': 'Repetisjoner per øvelse',
        'reps_axis': 'repetisjoner talt', 'target': 'mål',
        'note': 'Laget {date} fra Berntsens øktlogg. Repetisjoner er de roboten talte; '
                'halve repetisjoner er ikke talt med.',
        'reps_alt': 'Talte repetisjoner per øvelse over økter; stiplede linjer er mål',
        'over_time': '{title} over tid',
        'no_exercises': 'Ingen øvelser registrert.',
        'no_measures': 'Ingen kliniske tester registrert.',
        'trend_label': 'Utvikling',
        'min': 'min',
    },
    'en': {
        'title': 'Exercise progress: patient {patient}',
        'summary': 'Patient {patient}: {n} session(s)',
        'span': ', {first} to {last}',
        'completed_of': 'Completed: {done} of {n}',
        'repetitions_heading': 'Repetitions per exercise (counted/target):',
        'measures_heading': 'Clinical measures:',
        'sessions_heading': 'Sessions:',
        'none': 'none recorded',
        'trend': 'trend',
        'one_measurement': 'one measurement',
        'unchanged': 'unchanged',
        'better': 'better',
        'worse': 'worse',
        'not_reached': 'not reached',
        'open': 'open',
        'simulated': 'simulated',
        'no_sessions': 'No sessions recorded.',
        'id': 'id', 'patient': 'patient', 'date': 'date', 'duration': 'duration',
        'outcome': 'outcome', 'exercises': 'exercises', 'measures': 'clinical measures',
        'sessions': 'Sessions', 'reps_plot': 'Repetitions per exercise',
        'reps_axis': 'repetitions counted', 'target': 'target',
        'note': 'Generated {date} from the Berntsen session log. Repetitions are those the '
                'robot counted; partial repetitions are not counted.',
        'reps_alt': 'Repetitions counted per exercise over sessions; dashed lines are targets',
        'over_time': '{title} over time',
        'no_exercises': 'No exercises recorded.',
        'no_measures': 'No clinical measures recorded.',
        'trend_label': 'Trend',
        'min': 'min',
    },
}

# How a session ended (session_log.OUTCOMES), as the care team says it.
OUTCOMES = {
    'nb': {'completed': 'fullført', 'stopped_early': 'avsluttet av pasienten',
           'no_response': 'svarte ikke; pleier varslet', 'fall_alert': 'mulig fall; pleier varslet',
           'help_alert': 'ba om hjelp; pleier varslet', 'aborted': 'stoppet utenfra',
           'error': 'feil i programvaren', 'interrupted': 'avbrutt (roboten stoppet)'},
    'en': {'completed': 'completed', 'stopped_early': 'she chose to stop',
           'no_response': 'no response; caregiver alerted',
           'fall_alert': 'possible fall; caregiver alerted',
           'help_alert': 'asked for help; caregiver alerted', 'aborted': 'stopped from outside',
           'error': 'software error', 'interrupted': 'interrupted (the robot stopped)'},
}
# The part that was down when the software stopped a session (session_stopped's fault).
FAULTS = {
    'nb': {'pose or camera': 'kamera eller posemodell nede', 'speech': 'talen nede'},
    'en': {'pose or camera': 'camera or pose model down', 'speech': 'speech down'},
}
TESTS = {
    'nb': {'chair_stand_30s': '30 sekunders reise-seg-test',
           'five_times_sit_to_stand': 'Fem ganger reise seg'},
    'en': {'chair_stand_30s': '30-second chair stand',
           'five_times_sit_to_stand': 'Five-times sit-to-stand'},
}


class ReportLanguage:
    def __init__(self, language: str, exercises: Mapping[str, Exercise] = {}):
        if language not in REPORT_LANGUAGES:
            raise ValueError(f'report language {language!r} is not one of '
                             f'{", ".join(REPORT_LANGUAGES)}')
        self.code, self.exercises = language, exercises

    def __getitem__(self, key: str) -> str:
        return WORDS[self.code][key]

    def exercise(self, name: str) -> str:
        exercise = self.exercises.get(name)
        return exercise.display_name(self.code) if exercise is not None else name

    def test(self, name: str) -> str:
        return TESTS[self.code].get(name, name)

    def outcome(self, outcome: str | None, fault: str = '') -> str:
        if outcome is None:
            return self['open']
        text = OUTCOMES[self.code].get(outcome, outcome)
        if fault:
            text += f' ({FAULTS[self.code].get(fault, fault)})'
        return text
