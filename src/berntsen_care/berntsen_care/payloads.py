"""Checks of what robots send (docs/care_sync.md): each field's type and range, or `Invalid`
naming the field. Nothing unchecked reaches the database."""
from __future__ import annotations

import math
import re
import uuid

PATIENT_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
NAME_LIKE = re.compile(r'^[a-z0-9_]{1,64}$')      # exercise, test, routine, kind, reason, outcome
MAX_TEXT = 2000


class Invalid(ValueError):
    """A malformed record; the message names the field."""


def _field(obj: dict, key: str, where: str):
    if key not in obj:
        raise Invalid(f'{where}.{key}: missing')
    return obj[key]


def _integer(obj, key, where, low=0, optional=False):
    value = obj.get(key) if optional else _field(obj, key, where)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 2**31 - 1:
        raise Invalid(f'{where}.{key}: expected a whole number >= {low}, got {value!r}')
    return value


def _number(obj, key, where, optional=False):
    value = obj.get(key) if optional else _field(obj, key, where)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Invalid(f'{where}.{key}: expected a finite number, got {value!r}')
    return float(value)


def _text(obj, key, where, pattern: re.Pattern | None = None, optional=False, limit=MAX_TEXT):
    value = obj.get(key) if optional else _field(obj, key, where)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit or '\x00' in value:
        raise Invalid(f'{where}.{key}: expected text of at most {limit} characters')
    if pattern is not None and not pattern.match(value):
        raise Invalid(f'{where}.{key}: {value[:80]!r} is not of the form {pattern.pattern}')
    return value


def _boolean(obj, key, where):
    value = _field(obj, key, where)
    if value not in (True, False, 0, 1) or isinstance(value, float):
        raise Invalid(f'{where}.{key}: expected true or false, got {value!r}')
    return bool(value)


def _list(obj, key, where):
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise Invalid(f'{where}.{key}: expected a list')
    return value


def _mapping(value, where):
    if not isinstance(value, dict):
        raise Invalid(f'{where}: expected an object')
    return value


def session_payload(obj: object, where: str) -> dict:
    s = _mapping(obj, where)
    session = {
        'id': _integer(s, 'id', where, low=1),
        'patient_id': _text(s, 'patient_id', where, PATIENT_ID),
        'started': _number(s, 'started', where),
        'ended': _number(s, 'ended', where),
        'routine': _text(s, 'routine', where, NAME_LIKE),
        'outcome': _text(s, 'outcome', where, NAME_LIKE, optional=True),
        'programme_sha256': _text(s, 'programme_sha256', where, re.compile(r'^[0-9a-f]{64}$'),
                                  optional=True),
        'language': _text(s, 'language', where, re.compile(r'^[a-z]{2,3}$')),
        'simulated': _boolean(s, 'simulated', where),
        'sets': [], 'events': [], 'clinical_measures': [],
    }
    if session['ended'] < session['started']:
        raise Invalid(f'{where}: ended before it started')
    for i, st in enumerate(_list(s, 'sets', where)):
        w = f'{where}.sets[{i}]'
        st = _mapping(st, w)
        session['sets'].append({
            'exercise': _text(st, 'exercise', w, NAME_LIKE),
            'set_index': _integer(st, 'set_index', w, low=1),
            'target_reps': _integer(st, 'target_reps', w),
            'counted_reps': _integer(st, 'counted_reps', w, optional=True),
            'started': _number(st, 'started', w),
            'ended': _number(st, 'ended', w, optional=True),
            'repetitions': [_repetition(r, f'{w}.repetitions[{j}]')
                            for j, r in enumerate(_list(st, 'repetitions', w))],
        })
    for i, e in enumerate(_list(s, 'events', where)):
        w = f'{where}.events[{i}]'
        e = _mapping(e, w)
        detail = _mapping(e.get('detail', {}), f'{w}.detail')
        session['events'].append({'time': _number(e, 'time', w), 'kind': _text(e, 'kind', w, NAME_LIKE),
                                  'detail': detail})
    for i, m in enumerate(_list(s, 'clinical_measures', where)):
        w = f'{where}.clinical_measures[{i}]'
        m = _mapping(m, w)
        session['clinical_measures'].append({
            'time': _number(m, 'time', w), 'test': _text(m, 'test', w, NAME_LIKE),
            'value': _number(m, 'value', w), 'unit': _text(m, 'unit', w, limit=40)})
    return session


def _repetition(obj, where) -> dict:
    r = _mapping(obj, where)
    return {'number': _integer(r, 'number', where, low=1), 'started': _number(r, 'started', where),
            'ended': _number(r, 'ended', where),
            'peak_signal': _number(r, 'peak_signal', where, optional=True),
            'partial': _boolean(r, 'partial', where)}


def alert_payload(obj: object, where: str) -> dict:
    a = _mapping(obj, where)
    alert_id = _text(a, 'id', where, limit=36)
    try:
        uuid.UUID(alert_id)
    except ValueError:
        raise Invalid(f'{where}.id: expected a UUID made on the robot') from None
    return {'id': alert_id, 'patient_id': _text(a, 'patient_id', where, PATIENT_ID),
            'time': _number(a, 'time', where), 'reason': _text(a, 'reason', where, NAME_LIKE),
            'urgent': _boolean(a, 'urgent', where), 'detail': _text(a, 'detail', where)}
