"""Robots syncing with the care service: N robots send a week of sessions each at once.

Usage: .venv/bin/python bench/care_sync.py [--robots 200] [--days 7]
(from /work/main; starts its own PostgreSQL cluster and `berntsen care serve` as a process
of its own, in temporary folders, and removes them at the end).

Before timing, each robot's own SQLite log is written with the coach's SessionLog: one
closed session a day, each with 4 sets of 10 repetitions (2 partial), 30 events and a
clinical measure. Then all robots start together (a thread each) and run the robot's own
`care_sync.sync_once` (CareClient with the care_link node's 10 s request timeout). Part-way,
robot i sends an urgent alert i/N * ALERT_SPREAD_S after the start, from a thread of its
own, so that it meets the service under the full load (the care_link node would send it
after its own sync job). A nurse, logged in over HTTP, watches the live-alerts WebSocket.

Measured: each robot's sync time; alert delivery latency (robot starts sending -> nurse's
socket receives); CPU time of the service process, PostgreSQL and the robots (this process,
which shares the machine with the service) during the sync; the service's peak memory.
Checked: every record stored exactly once, every alert pushed once, and a second sync of
every robot stores nothing. Exit status 1 otherwise, with the end of the service's log.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from benchenv import percentile  # sets up sources; PYTHONPATH for the service process too
from berntsen_bringup import care_sync  # noqa: E402
from berntsen_care import admin  # noqa: E402
from berntsen_care.pg_cluster import PostgresCluster  # noqa: E402
from berntsen_care.schema import upgrade  # noqa: E402
from berntsen_coach.session_log import SessionLog  # noqa: E402

TEAM, NURSE = 'Bench team', 'bench-nurse'
SETS, REPS, PARTIAL = 4, 10, 2          # per session; PARTIAL of the last set's REPS do not count
EVENTS = 2 + SETS * (2 + REPS // 2)     # session start/end; per set start, end, every other rep
ALERT_SPREAD_S = 1.0                    # alerts are raised over the sync's first second
TABLES = ('sessions', 'sets', 'repetitions', 'events', 'clinical_measures')


class Robot:
    def __init__(self, number: int, folder: Path, url: str):
        self.name, self.pseudonym = f'bench-robot-{number:04d}', f'p-bench-{number:04d}'
        admin.add_patient(url, self.pseudonym, f'Bench Patient {number}', TEAM)
        self.token = admin.add_robot(url, self.name, TEAM)
        admin.assign(url, self.name, self.pseudonym)
        self.db = folder / f'{self.name}.sqlite3'
        self.outbox = care_sync.AlertOutbox(folder / f'{self.name}-outbox.sqlite3')


def write_week(robot: Robot, days: int) -> None:
    """The robot's own log, as the coach writes it: one closed session a day."""
    first = time.time() - days * 86400
    with SessionLog(robot.db) as log:
        for day in range(days):
            t = first + day * 86400
            session = log.start_session(robot.pseudonym, 'morning', None, 'nb', t, simulated=True)
            log.add_event(session, t, 'session_started', {'routine': 'morning'})
            for index in range(1, SETS + 1):
                t += 30
                set_id = log.start_set(session, 'sit_to_stand', index, REPS, t)
                log.add_event(session, t, 'set_started', {'exercise': 'sit_to_stand', 'set': index})
                counted = 0
                for number in range(1, REPS + 1):
                    partial = index == SETS and number > REPS - PARTIAL   # tired at the end
                    log.add_repetition(set_id, number, t, t + 2.5, 150.0 + number, partial)
                    counted += not partial
                    if number % 2 == 0:
                        log.add_event(session, t + 2.5, 'repetition',
                                      {'number': number, 'partial': partial})
                    t += 3
                log.end_set(set_id, counted, t)
                log.add_event(session, t, 'set_ended', {'counted': counted, 'target': REPS})
            log.add_clinical_measure(session, t + 10, 'chair_stand_30s', 11, 'repetitions')
            log.add_event(session, t + 40, 'session_ended', {'outcome': 'completed'})
            log.end_session(session, t + 40, 'completed')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start_service(url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, 'BERNTSEN_CARE_SECRET': secrets.token_urlsafe(36)}   # 48 characters
    with open(log_path, 'wb') as log:
        service = subprocess.Popen([sys.executable, '-m', 'berntsen_bringup.cli', 'care', 'serve',
                                    '--database', url, '--port', str(port)],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and service.poll() is None:
        try:
            if httpx.get(f'http://127.0.0.1:{port}/login').status_code == 200:
                return service
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f'the care service did not answer:\n{log_path.read_text()}')


def nurse_cookie(base: str, password: str) -> str:
    """Log in as the browser does: the page's CSRF token, then the session cookie."""
    with httpx.Client(base_url=base) as http:
        page = http.get('/login').text
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        answer = http.post('/login', data={'username': NURSE, 'password': password, 'csrf': csrf})
        if answer.status_code != 303:
            raise RuntimeError(f'nurse login answered {answer.status_code}')
        return answer.cookies['berntsen_care']


def watch_alerts(nurse, received: dict, others: list) -> None:
    """{pseudonym: [monotonic receive times]}; anything else (a 'reload': alerts dropped)."""
    try:
        for message in nurse:
            now = time.monotonic()
            alert = json.loads(message)
            (received.setdefault(alert['pseudonym'], []).append(now) if 'pseudonym' in alert
             else others.append(alert))
    except ConnectionClosed:
        pass


def cpu_seconds(pids) -> float:
    """utime + stime of these processes so far (/proc/<pid>/stat); ones gone count 0."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf('SC_CLK_TCK')


def postgres_pids(cluster: PostgresCluster) -> list[int]:
    """The postmaster and its children now. Listed again at the end: the service's pool
    opens backends as the load grows, and keeps them for the run."""
    postmaster = int((cluster.data / 'postmaster.pid').read_text().split()[0])
    children = Path(f'/proc/{postmaster}/task/{postmaster}/children').read_text().split()
    return [postmaster, *map(int, children)]


def sync_all(robots, base: str, errors: list, sent: dict | None = None):
    """Every robot's sync_once at once; (wall s, this process's CPU s, [(robot, s, summary)]).
    With `sent`, each robot also sends an alert part-way, noting in `sent` when it began."""
    clients = {r.name: care_sync.CareClient(base, r.token) for r in robots}

    def send_alert(robot: Robot) -> None:
        # Straight to the service, not through the outbox: sync_once flushes the outbox too,
        # and two senders of one alert would blur when it was sent.
        alert = {'id': str(uuid.uuid4()), 'patient_id': robot.pseudonym, 'time': time.time(),
                 'reason': 'help_requested', 'urgent': True, 'detail': 'bench alert'}
        sent[robot.pseudonym] = time.monotonic()
        try:
            clients[robot.name].send_alerts([alert])
        except care_sync.CareLinkError as exc:
            errors.append(f'{robot.name} alert: {exc}')

    timers = [threading.Timer(i / len(robots) * ALERT_SPREAD_S, send_alert, (r,))
              for i, r in enumerate(robots)] if sent is not None else []
    start = []
    barrier = threading.Barrier(len(robots), action=lambda: (
        start.extend((time.monotonic(), time.process_time())), [t.start() for t in timers]))

    def one(robot: Robot):
        barrier.wait()   # all robots start together
        began = time.monotonic()
        try:
            summary = care_sync.sync_once(clients[robot.name], robot.db, robot.outbox)
        except care_sync.CareLinkError as exc:
            errors.append(f'{robot.name} sync: {exc}')
            summary = None
        return robot, time.monotonic() - began, summary

    with ThreadPoolExecutor(max_workers=len(robots)) as pool:
        results = list(pool.map(one, robots))
    for timer in timers:
        timer.join()
    wall, cpu = time.monotonic() - start[0], time.process_time() - start[1]
    for client in clients.values():
        client.close()
    return wall, cpu, results


def stored_counts(url: str) -> tuple[dict, int]:
    """Rows of each table, and how many robots have an alert stored."""
    with psycopg.connect(url) as conn:
        counts = {t: conn.execute(f'SELECT count(*) FROM {t}').fetchone()[0]
                  for t in TABLES + ('alerts',)}
        return counts, conn.execute('SELECT count(DISTINCT robot_id) FROM alerts').fetchone()[0]


def check(counts, alerting_robots, n, days, sent, received, others, second) -> list[str]:
    """What is wrong: records missing or doubled, alerts lost or pushed twice, a second
    sync that still finds something to send."""
    sessions = n * days
    expected = {'sessions': sessions, 'sets': SETS * sessions,
                'repetitions': SETS * REPS * sessions, 'events': EVENTS * sessions,
                'clinical_measures': sessions, 'alerts': n}
    problems = [f'{t}: {counts[t]} stored, {expected[t]} expected'
                for t in expected if counts[t] != expected[t]]
    if alerting_robots != n:
        problems.append(f'alerts came from {alerting_robots} robots, not {n}')
    problems += [f'{p}: alert received {len(times)} times'
                 for p, times in received.items() if len(times) != 1]
    lost = [p for p in sent if p not in received]
    if lost:
        problems.append(f'{len(lost)} alerts never reached the nurse ({", ".join(lost[:3])}, ...)')
    # {'type': 'reload'}: the service emptied the nurse's full queue, dropping what it held
    problems += [f'pushed instead of alerts: {m}' for m in others]
    return problems + [f'{r.name}: the second sync stored {s.sessions_stored}, duplicates '
                       f'{s.duplicates}, alerts {s.alerts_sent}' for r, _, s in second
                       if s and (s.sessions_stored or s.duplicates or s.alerts_sent)]


def ms(values, share) -> str:
    return f'{1000 * percentile(values, share):.0f}'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--robots', type=int, default=200)
    parser.add_argument('--days', type=int, default=7)
    args = parser.parse_args()
    n = args.robots

    folder = Path(tempfile.mkdtemp(prefix='care-bench-'))   # robot logs, service log: 0700
    # its own folder, not one inside a 0700 folder: as root the server runs as `postgres`,
    # which must reach it (PostgresCluster makes it 0711)
    cluster = PostgresCluster(tempfile.mkdtemp(prefix='care-bench-pg-'))
    service, ok = None, False
    try:
        cluster.init()
        cluster.start()
        cluster.create_database('care')
        url = cluster.url('care')
        upgrade(url)
        password = secrets.token_urlsafe(16)
        admin.add_team(url, TEAM)
        admin.add_staff(url, NURSE, password, 'nurse', TEAM, 'en')
        robots = [Robot(i, folder, url) for i in range(1, n + 1)]
        with ThreadPoolExecutor(8) as pool:   # SQLite commits wait on fsync, not on the GIL
            list(pool.map(lambda r: write_week(r, args.days), robots))

        port = free_port()
        base = f'http://127.0.0.1:{port}'
        service = start_service(url, port, folder / 'service.log')
        cookie = nurse_cookie(base, password)
        nurse = connect(f'ws://127.0.0.1:{port}/ws/alerts', origin=base,   # the service checks it
                        additional_headers={'Cookie': f'berntsen_care={cookie}'})
        received, others, sent, errors = {}, [], {}, []
        watcher = threading.Thread(target=watch_alerts, args=(nurse, received, others))
        watcher.start()

        processes = {'service': lambda: [service.pid], 'PostgreSQL': lambda: postgres_pids(cluster)}
        cpu = {what: cpu_seconds(pids()) for what, pids in processes.items()}
        wall, robots_cpu, results = sync_all(robots, base, errors, sent)
        cpu = {what: cpu_seconds(processes[what]()) - s for what, s in cpu.items()}
        cpu['robots (this process)'] = robots_cpu
        deadline = time.monotonic() + 30   # pushes still on their way
        while len(received) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        nurse.close()
        watcher.join()
        counts, alerting_robots = stored_counts(url)   # before the second sync can fill gaps
        second_wall, _, second = sync_all(robots, base, errors)
        peak = re.search(r'VmHWM:\s+(\d+) kB', Path(f'/proc/{service.pid}/status').read_text())

        problems = errors + check(counts, alerting_robots, n, args.days, sent, received,
                                  others, second)
        records = sum(counts[t] for t in TABLES)
        sync_s = [s for _, s, summary in results if summary]
        latency = [received[p][0] - t for p, t in sent.items() if p in received]
        print(f'robots: {n}, {args.days} days each; sessions stored: {counts["sessions"]}; '
              f'records stored: {records} (sessions+sets+repetitions+events+measures)')
        print(f'first sync, all robots at once: {wall:.2f} s wall, {records / wall:.0f} records/s')
        print(f'per-robot sync time: p50 {ms(sync_s, 0.5)} ms, p95 {ms(sync_s, 0.95)} ms, '
              f'max {ms(sync_s, 1)} ms ({len(sync_s)} of {n} robots succeeded)')
        print(f'alert delivery (robot sends -> nurse socket receives): p50 {ms(latency, 0.5)} ms, '
              f'p95 {ms(latency, 0.95)} ms, max {ms(latency, 1)} ms; '
              f'alerts received {len(received)}/{n}')
        print('CPU during the first sync: ' + ', '.join(
            f'{what} {s:.1f} s ({100 * s / wall:.0f} % of a core)' for what, s in cpu.items()))
        print(f'service process: {cpu_seconds([service.pid]):.1f} CPU s since it started, '
              f'max RSS {int(peak.group(1)) / 1024:.0f} MB')
        print(f'second sync (nothing new): {second_wall:.2f} s wall')
        for problem in problems[:40]:
            print(f'FAILED: {problem}', file=sys.stderr)
        if len(problems) > 40:
            print(f'FAILED: ... and {len(problems) - 40} more', file=sys.stderr)
        ok = not problems
        return 0 if ok else 1
    finally:
        if service is not None:
            service.send_signal(signal.SIGINT)
            try:
                service.wait(timeout=10)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait()
            if not ok:
                lines = (folder / 'service.log').read_text().splitlines()
                print('service log (end):', *lines[-60:], sep='\n', file=sys.stderr)
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(cluster.folder, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
