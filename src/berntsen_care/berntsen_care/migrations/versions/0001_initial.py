"""The care service's first schema: teams, staff, patients, robots, synced sessions, alerts,
programmes and the audit log.

Revision ID: 0001
Revises:
"""
from alembic import op

revision = '0001'
down_revision = None


def upgrade() -> None:
    # Plain SQL: constraints and partial indexes read as PostgreSQL says them.
    op.execute('''
    CREATE TABLE teams (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100)
    );
    CREATE TABLE staff (
        id serial PRIMARY KEY,
        username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{2,64}$'),
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('nurse', 'physiotherapist', 'administrator')),
        team_id integer NOT NULL REFERENCES teams(id),
        language text NOT NULL DEFAULT 'nb' CHECK (language IN ('nb', 'en')),
        created timestamptz NOT NULL DEFAULT now()
    );
    -- The only place a patient's name is kept.
    CREATE TABLE patients (
        id serial PRIMARY KEY,
        pseudonym text NOT NULL UNIQUE CHECK (pseudonym ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        team_id integer NOT NULL REFERENCES teams(id)
    );
    CREATE TABLE robots (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
        secret_sha256 text NOT NULL,
        team_id integer NOT NULL REFERENCES teams(id),
        created timestamptz NOT NULL DEFAULT now(),
        revoked timestamptz
    );
    CREATE TABLE robot_patients (
        robot_id integer NOT NULL REFERENCES robots(id),
        patient_id integer NOT NULL REFERENCES patients(id),
        PRIMARY KEY (robot_id, patient_id)
    );
    CREATE TABLE sessions (
        id bigserial PRIMARY KEY,
        robot_id integer NOT NULL REFERENCES robots(id),
        robot_session_id integer NOT NULL CHECK (robot_session_id >= 1),
        patient_id integer NOT NULL REFERENCES patients(id),
        started double precision NOT NULL,
        ended double precision NOT NULL,
        routine text NOT NULL,
        outcome text,
        programme_sha256 text,
        language text NOT NULL,
        simulated boolean NOT NULL,
        received timestamptz NOT NULL DEFAULT now(),
        UNIQUE (robot_id, robot_session_id)
    );
    CREATE INDEX sessions_by_patient ON sessions (patient_id, started);
    CREATE TABLE sets (
        id bigserial PRIMARY KEY,
        session_id bigint NOT NULL REFERENCES sessions(id),
        exercise text NOT NULL,
        set_index integer NOT NULL CHECK (set_index >= 1),
        target_reps integer NOT NULL CHECK (target_reps >= 0),
        counted_reps integer CHECK (counted_reps >= 0),
        started double precision NOT NULL,
        ended double precision
    );
    CREATE INDEX sets_by_session ON sets (session_id);
    CREATE TABLE repetitions (
        id bigserial PRIMARY KEY,
        set_id bigint NOT NULL REFERENCES sets(id),
        number integer NOT NULL CHECK (number >= 1),
        started double precision NOT NULL,
        ended double precision NOT NULL,
        peak_signal double precision,
        partial boolean NOT NULL
    );
    CREATE INDEX repetitions_by_set ON repetitions (set_id);
    CREATE TABLE events (
        id bigserial PRIMARY KEY,
        session_id bigint NOT NULL REFERENCES sessions(id),
        time double precision NOT NULL,
        kind text NOT NULL,
        detail jsonb NOT NULL
    );
    CREATE INDEX events_by_session ON events (session_id, time);
    CREATE TABLE clinical_measures (
        id bigserial PRIMARY KEY,
        session_id bigint NOT NULL REFERENCES sessions(id),
        time double precision NOT NULL,
        test text NOT NULL,
        value double precision NOT NULL,
        unit text NOT NULL
    );
    CREATE INDEX measures_by_session ON clinical_measures (session_id);
    CREATE TABLE alerts (
        id bigserial PRIMARY KEY,
        robot_id integer NOT NULL REFERENCES robots(id),
        robot_alert_id uuid NOT NULL,
        patient_id integer NOT NULL REFERENCES patients(id),
        time double precision NOT NULL,
        reason text NOT NULL,
        urgent boolean NOT NULL,
        detail text NOT NULL,
        received timestamptz NOT NULL DEFAULT now(),
        acknowledged timestamptz,
        acknowledged_by integer REFERENCES staff(id),
        UNIQUE (robot_id, robot_alert_id)
    );
    CREATE INDEX open_alerts ON alerts (patient_id) WHERE acknowledged IS NULL;
    CREATE TABLE programmes (
        id bigserial PRIMARY KEY,
        patient_id integer NOT NULL REFERENCES patients(id),
        version integer NOT NULL CHECK (version >= 1),
        text text NOT NULL,
        sha256 text NOT NULL,
        saved_by integer NOT NULL REFERENCES staff(id),
        saved timestamptz NOT NULL DEFAULT now(),
        UNIQUE (patient_id, version)
    );
    -- Every read of a patient's data, and every refusal: who, when, what, whose.
    CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        staff_id integer REFERENCES staff(id),
        action text NOT NULL,
        patient_id integer REFERENCES patients(id),
        detail text NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_by_patient ON audit_log (patient_id, at);
    ''')


def downgrade() -> None:
    op.execute('DROP TABLE audit_log, programmes, alerts, clinical_measures, events, repetitions, '
               'sets, sessions, robot_patients, robots, patients, staff, teams')
