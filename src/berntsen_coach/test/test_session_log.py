"""The session log: schema, durability across a killed writer, privacy, clear errors."""
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap

import pytest

from berntsen_coach import session_store
from berntsen_coach.session_log import (SCHEMA_VERSION, SessionLog, SessionLogError,
                                        default_db_path)

T0 = 1_780_000_000.0  # 2026-05-28, epoch seconds
PATIENT = 'p-7f3a'
NAME = 'Kari Nordmann'


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / 'log' / 'sessions.sqlite3'


@pytest.fixture
def log(db_path):
    with SessionLog(db_path) as opened:
        yield opened


def record_session(log, day=0, counted=(5, 4), chair_stands=10, outcome='completed'):
    """A session of two arm-raise sets with reps, one partial rep, an event and a measure."""
    t = T0 + day * 86400
    session = log.start_session(PATIENT, 'morning', None, 'nb', t)
    for index, count in enumerate(counted, start=1):
        set_id = log.start_set(session, 'arm_raise', index, 5, t + 100 * index)
        for n in range(1, count + 1):
            log.add_repetition(set_id, n, t + 100 * index + 3 * n, t + 100 * index + 3 * n + 2,
                               peak_signal=150.0 + n)
        log.add_repetition(set_id, count + 1, t + 100 * index + 40, t + 100 * index + 41,
                           peak_signal=80.0, partial=True)
        log.end_set(set_id, count, t + 100 * index + 50)
    log.add_event(session, t + 1, 'step', {'step': 'greet'})
    log.add_clinical_measure(session, t + 400, 'chair_stand_30s', chair_stands)
    log.end_session(session, t + 600, outcome)
    return session


def test_schema_journal_and_version(log, db_path):
    conn = sqlite3.connect(db_path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {'schema_version', 'patients', 'sessions', 'sets', 'repetitions', 'events',
            'clinical_measures'} <= tables
    assert conn.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
    assert conn.execute('SELECT version FROM schema_version').fetchone()[0] == SCHEMA_VERSION
    assert log.schema_version() == SCHEMA_VERSION
    conn.close()


def test_round_trip_of_a_session(log):
    session = record_session(log)
    [summary] = log.list_sessions()
    assert (summary.id, summary.patient_id, summary.routine, summary.outcome, summary.language,
            summary.exercises) == (session, PATIENT, 'morning', 'completed', 'nb', ('arm_raise',))
    assert summary.ended - summary.started == 600
    [progress] = log.patient_progress(PATIENT)
    [arm] = progress.exercises
    assert (arm.sets, arm.counted_reps, arm.target_reps, arm.partial_reps) == (2, 9, 10, 2)
    [measure] = progress.measures
    assert (measure.test, measure.value, measure.unit) == ('chair_stand_30s', 10, 'repetitions')
    assert log.events(session) == [(T0 + 1, 'step', {'step': 'greet'})]
    reps = log.repetitions(1)
    assert [r[0] for r in reps] == [1, 2, 3, 4, 5, 6] and reps[-1][4] is True
    assert reps[0][3] == 151.0


def test_reopening_keeps_everything_and_sessions_of_several_patients(db_path):
    with SessionLog(db_path) as log:
        record_session(log, day=0)
        other = log.start_session('p-0001', 'morning', None, 'en', T0 + 50)
    with SessionLog(db_path) as log:
        assert log.patients() == ['p-0001', PATIENT]
        assert [s.patient_id for s in log.list_sessions()] == [PATIENT, 'p-0001']
        assert [s.id for s in log.list_sessions('p-0001')] == [other]
        # An open session (its process may have died) stays open and can be ended later.
        assert log.list_sessions('p-0001')[0].outcome is None
        log.end_session(other, T0 + 60, 'aborted')


def test_programme_file_name_and_hash_stored_not_its_content(log, tmp_path):
    programme = tmp_path / 'programme.yaml'
    programme.write_text(f'patient: {NAME}\nlanguage: nb\nexercises: []\n')
    log.start_session(PATIENT, 'morning', programme, 'nb', T0)
    [summary] = log.list_sessions()
    assert summary.programme_file == 'programme.yaml'
    import hashlib
    assert summary.programme_sha256 == hashlib.sha256(programme.read_bytes()).hexdigest()


def test_no_name_reaches_the_database_file(db_path, tmp_path):
    """The name lives only in the programme; greetings and file names are redacted."""
    programme = tmp_path / 'kari_nordmann.yaml'
    programme.write_text(f'patient: {NAME}\n')
    with SessionLog(db_path) as log:
        session = log.start_session(PATIENT, 'morning', programme, 'nb', T0,
                                    private_names=[NAME])
        log.add_event(session, T0 + 1, 'say', {'text': f'God morgen, {NAME}!',
                                               'parts': ['Hei Kari', {'KARI': 'nordmann'}]})
        log.add_event(session, T0 + 2, 'greeted Kari', {})
        # A word that merely starts like the name is kept.
        log.add_event(session, T0 + 3, 'say', {'text': 'Karina is not the patient'})
        log.end_session(session, T0 + 10, 'completed')
        assert log.events(session)[0][2] == {'text': 'God morgen, [name]!',
                                             'parts': ['Hei [name]', {'[name]': '[name]'}]}
        assert log.list_sessions()[0].programme_file == '[name]_[name].yaml'
        assert_name_absent(db_path)  # database and write-ahead log while open
    assert_name_absent(db_path)      # after the checkpoint on close


def assert_name_absent(db_path):
    data = b''.join(p.read_bytes() for p in db_path.parent.iterdir())
    assert b'Karina' in data  # the scan does see the stored text
    data = data.replace(b'Karina', b'')
    for word in ('Kari', 'Nordmann'):
        for variant in (word, word.lower(), word.upper()):
            for encoding in ('utf-8', 'utf-16-le', 'utf-16-be'):
                assert variant.encode(encoding) not in data, (variant, encoding)


def test_patient_id_must_be_pseudonymous(log):
    with pytest.raises(SessionLogError, match='patient_id'):
        log.start_session(NAME, 'morning', None, 'nb', T0)
    with pytest.raises(SessionLogError, match='pseudonymous'):
        log.start_session('kari-1', 'morning', None, 'nb', T0, private_names=[NAME])


def test_file_and_folder_are_private(db_path):
    with SessionLog(db_path) as log:
        record_session(log)
        files = list(db_path.parent.iterdir())
        assert {p.name for p in files} >= {'sessions.sqlite3', 'sessions.sqlite3-wal',
                                           'sessions.sqlite3-shm'}
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700


def test_existing_loose_permissions_are_tightened(db_path):
    SessionLog(db_path).close()
    os.chmod(db_path, 0o644)
    SessionLog(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


@pytest.mark.parametrize('call, message', [
    (lambda log, s, st: log.start_set(999, 'arm_raise', 1, 5, T0), 'unknown session id 999'),
    (lambda log, s, st: log.add_event(999, T0, 'x', {}), 'unknown session id 999'),
    (lambda log, s, st: log.add_repetition(999, 1, T0, T0 + 1), 'unknown set id 999'),
    (lambda log, s, st: log.end_set(st, -1, T0 + 9), 'counted_reps must be >= 0'),
    (lambda log, s, st: log.start_set(s, 'arm_raise', 2, -5, T0), 'target_reps must be >= 0'),
    (lambda log, s, st: log.start_set(s, 'arm_raise', 1, 5, T0), 'already has set 1'),
    (lambda log, s, st: log.add_repetition(st, 1, T0 + 5, T0 + 4), 'cannot end'),
    (lambda log, s, st: log.add_repetition(st, 0, T0, T0 + 1), 'number must be >= 1'),
    (lambda log, s, st: log.add_repetition(st, 1, T0, float('nan')), 'finite'),
    (lambda log, s, st: log.end_session(s, T0 + 9, 'great'), "outcome 'great'"),
    (lambda log, s, st: log.end_session(s, T0 - 9, 'completed'), 'cannot end'),
    (lambda log, s, st: log.add_event(s, T0, 'x', {'f': object()}), 'JSON'),
    (lambda log, s, st: log.add_event(s, T0, 'x', {'f': float('inf')}), 'JSON'),
    (lambda log, s, st: log.add_clinical_measure(s, T0, 'chair_stand_30s', 3, 's'), 'measured in'),
    (lambda log, s, st: log.add_clinical_measure(s, T0, 'grip', 30), 'needs a unit'),
    (lambda log, s, st: log.add_clinical_measure(s, T0, 'chair_stand_30s', -1), '>= 0'),
    (lambda log, s, st: log.start_session(PATIENT, 'morning', '/nonexistent/p.yaml', 'nb', T0),
     'cannot read programme'),
    (lambda log, s, st: log.list_sessions('p-nobody'), "unknown patient 'p-nobody'"),
    (lambda log, s, st: log.patient_progress('p-nobody'), "unknown patient 'p-nobody'"),
])
def test_bad_input_is_refused_with_a_clear_message(log, call, message):
    session = log.start_session(PATIENT, 'morning', None, 'nb', T0)
    set_id = log.start_set(session, 'arm_raise', 1, 5, T0)
    log.add_repetition(set_id, 1, T0 + 1, T0 + 2)
    with pytest.raises(SessionLogError, match=message):
        call(log, session, set_id)
    # Nothing half-written: the one good repetition is all there is.
    assert len(log.repetitions(set_id)) == 1


def test_wrong_types_raise_type_error(log):
    session = log.start_session(PATIENT, 'morning', None, 'nb', T0)
    with pytest.raises(TypeError, match='started'):
        log.start_set(session, 'arm_raise', 1, 5, '2026-05-28')
    with pytest.raises(TypeError, match='counted_reps'):
        set_id = log.start_set(session, 'arm_raise', 1, 5, T0)
        log.end_set(set_id, 4.5, T0 + 1)


def test_counted_repetition_number_once_per_set_partials_may_repeat(log):
    session = log.start_session(PATIENT, 'morning', None, 'nb', T0)
    set_id = log.start_set(session, 'arm_raise', 1, 5, T0)
    log.add_repetition(set_id, 1, T0, T0 + 1, partial=True)
    log.add_repetition(set_id, 1, T0 + 2, T0 + 3, partial=True)
    log.add_repetition(set_id, 1, T0 + 4, T0 + 5)
    with pytest.raises(SessionLogError, match='already has counted repetition 1'):
        log.add_repetition(set_id, 1, T0 + 6, T0 + 7)


def test_nothing_can_be_added_to_an_ended_session_or_set(log):
    session = log.start_session(PATIENT, 'morning', None, 'nb', T0)
    set_id = log.start_set(session, 'arm_raise', 1, 5, T0)
    log.end_set(set_id, 0, T0 + 1)
    with pytest.raises(SessionLogError, match=f'set {set_id} has already ended'):
        log.add_repetition(set_id, 1, T0 + 2, T0 + 3)
    log.end_session(session, T0 + 5, 'no_response')
    with pytest.raises(SessionLogError, match=f'session {session} has already ended'):
        log.add_event(session, T0 + 6, 'late', {})


def test_missing_file_with_create_false(tmp_path):
    with pytest.raises(SessionLogError, match='no session log at'):
        SessionLog(tmp_path / 'missing.sqlite3', create=False)
    assert not (tmp_path / 'missing.sqlite3').exists()


def test_not_a_database(tmp_path):
    path = tmp_path / 'notes.sqlite3'
    path.write_text('these are my notes, not a database\n' * 10)
    with pytest.raises(SessionLogError, match='not an SQLite database'):
        SessionLog(path)
    assert path.read_text().startswith('these are my notes')


def test_damaged_database(db_path):
    with SessionLog(db_path) as log:
        for day in range(10):
            record_session(log, day=day)
        log._conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    data = bytearray(db_path.read_bytes())
    page_size = int.from_bytes(data[16:18], 'big')
    for page in range(1, len(data) // page_size):  # keep the header page, scramble the rest
        data[page * page_size + 8: page * page_size + 200] = b'\xa5' * 192
    db_path.write_bytes(bytes(data))
    with pytest.raises(SessionLogError, match=f'session log {db_path} is damaged') as error:
        SessionLog(db_path)
    assert '\n' not in str(error.value) and len(str(error.value)) < 300


def test_database_of_another_program(tmp_path):
    path = tmp_path / 'other.sqlite3'
    conn = sqlite3.connect(path)
    conn.execute('CREATE TABLE photos (id INTEGER)')
    conn.commit()
    conn.close()
    with pytest.raises(SessionLogError, match='another program.*photos'):
        SessionLog(path)


def test_folder_that_cannot_hold_the_file(tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    with pytest.raises(SessionLogError, match='cannot create session log'):
        SessionLog(blocker / 'sub' / 'sessions.sqlite3')


@pytest.mark.skipif(os.geteuid() == 0, reason='root may write into read-only folders')
def test_read_only_folder(tmp_path):
    folder = tmp_path / 'ro'
    folder.mkdir(mode=0o500)
    try:
        with pytest.raises(SessionLogError, match='cannot create session log.*ermission'):
            SessionLog(folder / 'sessions.sqlite3')
    finally:
        folder.chmod(0o700)


def test_newer_schema_is_refused(db_path):
    SessionLog(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute('UPDATE schema_version SET version = ?', (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(SessionLogError, match='newer than this program knows'):
        SessionLog(db_path)


def test_forward_migration_runs_once_in_order(db_path, monkeypatch):
    with SessionLog(db_path) as log:
        record_session(log)
    calls = []

    def add_column(conn):
        calls.append('v1->v2')
        conn.execute('ALTER TABLE sessions ADD COLUMN note TEXT')

    monkeypatch.setattr(session_store, 'SCHEMA_VERSION', SCHEMA_VERSION + 1)
    monkeypatch.setitem(session_store.MIGRATIONS, SCHEMA_VERSION, add_column)
    with SessionLog(db_path) as log:
        assert log.schema_version() == SCHEMA_VERSION + 1
        assert len(log.list_sessions()) == 1
    SessionLog(db_path).close()
    assert calls == ['v1->v2']
    conn = sqlite3.connect(db_path)
    assert 'note' in [row[1] for row in conn.execute('PRAGMA table_info(sessions)')]
    conn.close()


def test_failed_migration_leaves_the_old_schema(db_path, monkeypatch):
    SessionLog(db_path).close()

    def broken(conn):
        conn.execute('ALTER TABLE sessions ADD COLUMN note TEXT')
        raise RuntimeError('migration bug')

    monkeypatch.setattr(session_store, 'SCHEMA_VERSION', SCHEMA_VERSION + 1)
    monkeypatch.setitem(session_store.MIGRATIONS, SCHEMA_VERSION, broken)
    with pytest.raises(RuntimeError, match='migration bug'):
        SessionLog(db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute('SELECT version FROM schema_version').fetchone()[0] == SCHEMA_VERSION
    assert 'note' not in [row[1] for row in conn.execute('PRAGMA table_info(sessions)')]
    conn.close()


def test_default_path_respects_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv('XDG_DATA_HOME', str(tmp_path))
    assert default_db_path() == tmp_path / 'berntsen' / 'sessions.sqlite3'
    monkeypatch.setenv('XDG_DATA_HOME', 'relative/ignored')
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    assert default_db_path() == tmp_path / 'home' / '.local/share/berntsen/sessions.sqlite3'


WRITER = textwrap.dedent('''
    import sys, time
    from berntsen_coach.session_log import SessionLog
    log = SessionLog(sys.argv[1])
    t = time.time()
    session = log.start_session('p-crash', 'morning', None, 'nb', t)
    print('session', session, flush=True)
    set_index = 0
    while True:
        set_index += 1
        set_id = log.start_set(session, 'arm_raise', set_index, 10, time.time())
        for number in range(1, 11):
            log.add_repetition(set_id, number, time.time(), time.time(), peak_signal=150.0)
            print('rep', set_id, number, flush=True)
        log.add_event(session, time.time(), 'set_done', {'set': set_index})
        log.end_set(set_id, 10, time.time())
        print('set', set_id, flush=True)
''')


def test_killed_writer_loses_nothing_committed(db_path):
    child = subprocess.Popen([sys.executable, '-c', WRITER, str(db_path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reported = []
    try:
        for line in child.stdout:
            reported.append(line.split())
            if len(reported) >= 45:  # a few sets in, and mid-set
                break
        assert len(reported) >= 45, child.stderr.read()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    child.stdout.close()
    child.stderr.close()

    conn = sqlite3.connect(db_path)
    assert conn.execute('PRAGMA integrity_check').fetchall() == [('ok',)]
    conn.close()
    with SessionLog(db_path) as log:
        [summary] = log.list_sessions('p-crash')
        assert summary.outcome is None and summary.id == int(reported[0][1])
        reps_reported = {(int(r[1]), int(r[2])) for r in reported if r[0] == 'rep'}
        sets_reported = {int(r[1]) for r in reported if r[0] == 'set'}
        assert len(sets_reported) >= 3
        stored = set()
        for set_id in range(1, max(s for s, _ in reps_reported) + 2):
            stored |= {(set_id, rep[0]) for rep in log.repetitions(set_id)}
        assert reps_reported <= stored
        [progress] = log.patient_progress('p-crash')
        assert progress.exercises[0].counted_reps >= 10 * len(sets_reported)
        assert len(log.events(summary.id)) >= len(sets_reported)
        # The log opened after the crash can carry on and close the session.
        log.end_session(summary.id, summary.started + 60, 'error')


def test_a_session_left_open_by_a_crash_is_closed_as_interrupted_with_what_it_recorded(log):
    session = log.start_session(PATIENT, 'morning', None, 'nb', T0)
    set_id = log.start_set(session, 'arm_raise', 1, 5, T0 + 100)
    for n in (1, 2, 3):
        log.add_repetition(set_id, n, T0 + 100 + 3 * n, T0 + 102 + 3 * n)
    log.add_repetition(set_id, 4, T0 + 115, T0 + 116, partial=True)
    log.add_event(session, T0 + 120, 'reprompt', {})
    other = log.start_session('p-other', 'morning', None, 'nb', T0)   # not this patient's
    # the coach died here; the next start closes what it left open
    assert log.close_interrupted(PATIENT) == [session]
    summary = {s.id: s for s in log.list_sessions()}
    assert summary[session].outcome == 'interrupted' and summary[session].ended == T0 + 120
    assert summary[other].outcome is None, "another patient's open session is left alone"
    progress = log.patient_progress(PATIENT)[0]
    assert progress.exercises[0].counted_reps == 3, 'the repetitions recorded count'
    assert log.close_interrupted(PATIENT) == [], 'nothing is closed twice'


def test_simulated_sessions_are_marked(log):
    real = log.start_session(PATIENT, 'morning', None, 'nb', T0)
    simulated = log.start_session(PATIENT, 'morning', None, 'nb', T0 + 10, simulated=True)
    marks = {s.id: s.simulated for s in log.list_sessions()}
    assert marks == {real: False, simulated: True}


def test_a_version_1_log_gains_the_simulated_column_and_keeps_its_sessions(db_path):
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    session_store._create_schema_v1(conn)
    conn.execute('CREATE TABLE schema_version (version INTEGER NOT NULL)')
    conn.execute('INSERT INTO schema_version VALUES (1)')
    conn.execute("INSERT INTO patients VALUES ('p-7f3a')")
    conn.execute("INSERT INTO sessions (patient_id, started, routine, language) "
                 "VALUES ('p-7f3a', ?, 'morning', 'nb')", (T0,))
    conn.commit()
    conn.close()
    with SessionLog(db_path) as log:
        assert log.schema_version() == 2
        [old] = log.list_sessions()
        assert not old.simulated and old.started == T0
