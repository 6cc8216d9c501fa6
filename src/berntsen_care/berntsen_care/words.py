"""What the care team's pages say, in Norwegian (bokmål, the default) and English."""
from __future__ import annotations

LANGUAGES = ('nb', 'en')

WORDS = {
    'nb': {
        'service': 'Berntsen omsorgstjeneste', 'login': 'Logg inn', 'logout': 'Logg ut',
        'username': 'Brukernavn', 'password': 'Passord',
        'login_failed': 'Feil brukernavn eller passord.',
        'login_limited': 'For mange forsøk. Vent et minutt og prøv igjen.',
        'session_ended': 'Økten er utløpt. Logg inn igjen.',
        'alerts': 'Varsler', 'patients': 'Pasienter', 'no_alerts': 'Ingen åpne varsler.',
        'acknowledge': 'Kvitter', 'acknowledged': 'Kvittert', 'urgent': 'Haster',
        'live': 'Varsler kommer fortløpende.', 'offline': 'Ikke tilkoblet: prøver igjen …',
        'patient': 'Pasient', 'pseudonym': 'Pseudonym', 'last_session': 'Siste økt',
        'open_alerts': 'Åpne varsler', 'sessions': 'Økter', 'no_sessions': 'Ingen økter ennå.',
        'date': 'Dato', 'outcome': 'Utfall', 'repetitions': 'Repetisjoner', 'robot': 'Robot',
        'simulated': 'simulert', 'report': 'Fremgangsrapport', 'programme': 'Treningsprogram',
        'edit_programme': 'Endre programmet', 'save': 'Lagre', 'version': 'versjon',
        'saved': 'Lagret som versjon {version}. Roboten henter det ved neste synkronisering.',
        'no_programme': 'Ingen program lagret her ennå.',
        'programme_help': 'Programmet uten pasientblokken (språk, gets_up og items), som i '
                          'programfilene. Navnet står bare i pasienttabellen.',
        'read_only': 'Bare fysioterapeuter og administratorer kan endre programmet.',
        'forbidden': 'Du har ikke tilgang til dette.', 'not_found': 'Finnes ikke.',
        'reason': 'Årsak', 'time': 'Tid', 'language': 'Språk', 'too_large': 'For stort.',
        'bad_request': 'Skjemaet var utløpt eller ugyldig. Prøv igjen.',
        'robots': 'Roboter', 'revoke': 'Trekk tilbake tilgangen', 'revoked': 'Tilgang trukket tilbake',
        'created': 'Lagt til', 'last_sync': 'Siste synkronisering',
    },
    'en': {
        'service': 'Berntsen care service', 'login': 'Log in', 'logout': 'Log out',
        'username': 'User name', 'password': 'Password',
        'login_failed': 'Wrong user name or password.',
        'login_limited': 'Too many attempts. Wait a minute and try again.',
        'session_ended': 'Your session has ended. Please log in again.',
        'alerts': 'Alerts', 'patients': 'Patients', 'no_alerts': 'No open alerts.',
        'acknowledge': 'Acknowledge', 'acknowledged': 'Acknowledged', 'urgent': 'Urgent',
        'live': 'Alerts arrive as they happen.', 'offline': 'Not connected: retrying …',
        'patient': 'Patient', 'pseudonym': 'Pseudonym', 'last_session': 'Last session',
        'open_alerts': 'Open alerts', 'sessions': 'Sessions', 'no_sessions': 'No sessions yet.',
        'date': 'Date', 'outcome': 'Outcome', 'repetitions': 'Repetitions', 'robot': 'Robot',
        'simulated': 'simulated', 'report': 'Progress report', 'programme': 'Programme',
        'edit_programme': 'Change the programme', 'save': 'Save', 'version': 'version',
        'saved': 'Saved as version {version}. The robot picks it up at its next sync.',
        'no_programme': 'No programme saved here yet.',
        'programme_help': 'The programme without its patient block (language, gets_up and '
                          'items), as in the programme files. The name is kept only in the '
                          'patient table.',
        'read_only': 'Only physiotherapists and administrators change a programme.',
        'forbidden': 'You do not have access to this.', 'not_found': 'Not found.',
        'reason': 'Reason', 'time': 'Time', 'language': 'Language', 'too_large': 'Too large.',
        'bad_request': 'The form had expired or was not valid. Please try again.',
        'robots': 'Robots', 'revoke': 'Revoke its credential', 'revoked': 'Credential revoked',
        'created': 'Added', 'last_sync': 'Last sync',
    },
}

REASONS = {
    'nb': {'help_requested': 'ba om hjelp', 'fall_suspected': 'mulig fall',
           'on_floor': 'ligger på gulvet', 'no_response': 'svarer ikke'},
    'en': {'help_requested': 'asked for help', 'fall_suspected': 'possible fall',
           'on_floor': 'on the floor', 'no_response': 'not answering'},
}


def words(language: str) -> dict[str, str]:
    return WORDS[language if language in WORDS else 'nb']


def reason_text(language: str, reason: str) -> str:
    return REASONS.get(language, REASONS['nb']).get(reason, reason.replace('_', ' '))
