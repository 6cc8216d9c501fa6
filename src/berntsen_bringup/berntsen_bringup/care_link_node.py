"""Care link node: the robot's side of the care service's sync API (care_sync.py).

Each `caregiver/alert` goes into an outbox on disk at once and is sent at once; every
`sync_period` the node sends what is still pending and the closed sessions the service
lacks, and (with `programme_file`) replaces the coach's programme with the newest valid one
the physiotherapist saved. All network work runs on one worker thread, one job at a time,
so the executor never waits for the network. On shutdown it syncs once more (twice, half a
second apart: the coach may close its session as the graph stops), within the runner's grace. `/diagnostics` says whether the last contact
worked: WARN while the service cannot be reached, ERROR when a person must act (revoked
token, patient not assigned, a record too large to send).

Privacy: no log line or diagnostic carries the patient's name (care_sync never returns it).
"""
from __future__ import annotations

import queue
import signal
import sqlite3
import sys
import threading
import time
import uuid
from pathlib import Path

import rclpy
from berntsen_coach.coach_topics import ALERT_QOS
from berntsen_coach.exercises import load_exercises
from berntsen_coach.node_params import declare_read_only, described, ranged
from berntsen_coach.paths import package_config, resolve_programme
from berntsen_coach.session_log import SessionLogError, default_db_path
from berntsen_interfaces.msg import CaregiverAlert
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from .care_sync import (AlertOutbox, CareClient, CareLinkError, flush_alerts, pull_programme,
                        read_token, sync_once)

DIAGNOSTICS_PERIOD = 1.0      # s
REQUEST_TIMEOUT = 10.0        # s for one request to the service
SEND_ALERTS, SYNC, FINAL_SYNC = 'send alerts', 'sync', 'final sync'
# On shutdown one last sync, within the runner's grace after SIGINT (3 s): a simulated
# morning's session closes just before the graph stops, and its run folder is not synced again.
FINAL_SYNC_TIME = 2.0   # s


class CareLinkNode(Node):
    def __init__(self):
        super().__init__('care_link')
        self.params = p = declare_read_only(self, {
            'care_url': described('', 'The care service, e.g. https://care.example; empty: '
                                      'no syncing'),
            'token_file': described('', "File holding this robot's token (from `berntsen care "
                                        "add-robot`), readable by its owner only"),
            'sessions_db': described('', "The coach's session log (default: "
                                         '$XDG_DATA_HOME/berntsen/sessions.sqlite3)'),
            'programme_file': described('', "The coach's programme, kept up to date from the "
                                            'service; empty: no programme pull'),
            'outbox': described('', 'Alerts not yet accepted by the service (default: '
                                    'care_outbox.sqlite3 beside sessions_db)'),
            'sync_period': ranged('s')('Time between two syncs', 30.0, 5.0, 3600.0),
        })
        self._worker: threading.Thread | None = None
        self._final_pass_done = False
        # also when idle: the runner restarts a node that stays silent on /diagnostics
        self._diagnostics = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_timer(DIAGNOSTICS_PERIOD, self._publish_diagnostics)
        if not p['care_url']:
            self.get_logger().info('no care_url: not syncing with a care service')
            return
        if not p['token_file']:
            raise ValueError('parameter token_file is empty: say where the robot\'s token is')
        self.db_path = Path(p['sessions_db']).expanduser() if p['sessions_db'] \
            else default_db_path()
        self.programme_path = resolve_programme(p['programme_file']) if p['programme_file'] \
            else None
        self.exercises = load_exercises(package_config() / 'exercises.yaml') \
            if self.programme_path else None
        self.client = CareClient(p['care_url'], read_token(p['token_file']), REQUEST_TIMEOUT)
        if p['care_url'].startswith('http://'):
            self.get_logger().warning(f"{p['care_url']} is not https: the token and health "
                                      'data travel unencrypted')
        self.outbox = AlertOutbox(Path(p['outbox']).expanduser() if p['outbox']
                                  else self.db_path.parent / 'care_outbox.sqlite3')
        self._lock = threading.Lock()   # the status and _unsaved, shared with the worker
        self._status = (DiagnosticStatus.WARN, 'no contact with the care service yet')
        self._contact_at: float | None = None          # time.monotonic() of the last success
        self._last_session_id: int | None = None
        self._programme_refused = ''                   # its message, logged once
        self._failing = False
        self._synced = (DiagnosticStatus.OK, 'alerts sent, not synced yet')   # the last sync's
        self._unsaved: list[dict] = []                 # alerts the outbox could not keep
        self._jobs: queue.Queue[str] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name='care-link', daemon=True)
        self._worker.start()
        self._jobs.put(SYNC)
        self.create_subscription(CaregiverAlert, 'caregiver/alert', self._on_alert, ALERT_QOS)
        self.create_timer(p['sync_period'], lambda: self._jobs.put(SYNC))
        self.get_logger().info(f"syncing with {self.client.base_url} every "
                               f"{p['sync_period']:g} s; alerts kept in {self.outbox.path}")

    def _on_alert(self, msg: CaregiverAlert):
        # The wall clock, not the stamp: in simulation the stamp is sim time (seconds since
        # the sim started), and the care team reads the time of day of an alert.
        alert = {'patient_id': msg.patient_id, 'time': time.time(),
                 'reason': msg.reason, 'urgent': msg.urgent, 'detail': msg.detail}
        message = f'{msg.header.stamp.sec}.{msg.header.stamp.nanosec:09d} {msg.patient_id} {msg.reason}'
        try:
            if self.outbox.add(alert, message) is None:
                return   # the latched history a restarted care_link hears again
        except sqlite3.Error as exc:
            # Not on disk (disk full?): still send it from memory rather than drop it.
            self.get_logger().error(f'cannot keep alert {msg.reason} in the outbox: {exc}')
            with self._lock:
                self._unsaved.append({**alert, 'id': str(uuid.uuid4())})
        self._jobs.put(SEND_ALERTS)

    # ---- the worker thread: all network work, one job at a time -------------------------

    def _work(self):
        while True:
            jobs = {self._jobs.get()}
            while not self._jobs.empty():   # a burst of alerts and ticks is one pass
                jobs.add(self._jobs.get_nowait())
            try:
                self._send_unsaved()
                if jobs & {SYNC, FINAL_SYNC}:
                    self._sync()
                else:
                    flush_alerts(self.client, self.outbox)
                    self._contact(*self._synced)
            except (CareLinkError, SessionLogError, OSError, sqlite3.Error) as exc:
                self._failed(str(exc), getattr(exc, 'permanent', False))
            except Exception as exc:   # the worker must outlive any fault: alerts depend on it
                self._failed(f'care link fault: {type(exc).__name__}: {exc}', permanent=False)
            if FINAL_SYNC in jobs:
                if not self._final_pass_done:   # the coach may close its session as it stops too
                    self._final_pass_done = True
                    time.sleep(FINAL_SYNC_TIME / 4)
                    self._jobs.put(FINAL_SYNC)
                    continue
                return

    def _send_unsaved(self):
        with self._lock:
            unsaved, self._unsaved = self._unsaved, []
        try:
            if unsaved:
                self.client.send_alerts(unsaved)
        except BaseException:
            with self._lock:
                self._unsaved[:0] = unsaved
            raise

    def _sync(self):
        session_problem = None
        try:
            summary = sync_once(self.client, self.db_path, self.outbox)
            self._last_session_id = summary.last_session_id
            if summary.alerts_sent or summary.sessions_stored:
                self.get_logger().info(f'sent {summary.alerts_sent} alert(s) and '
                                       f'{summary.sessions_stored} session(s) to the care service')
        except SessionLogError as exc:   # a local fault: the programme can still come
            session_problem = exc
        level, message = DiagnosticStatus.OK, f'in sync, last session {self._last_session_id}'
        if self.programme_path is not None:
            update = pull_programme(self.client, self.programme_path, self.exercises)
            if update.outcome == 'updated':
                self.get_logger().info(f'programme version {update.version} from the care '
                                       f'service: {update.message}')
            if update.outcome == 'refused':
                level, message = DiagnosticStatus.WARN, \
                    f'programme refused: {update.message.splitlines()[0]}'
                if update.message != self._programme_refused:   # once, not every sync
                    self.get_logger().error('programme from the care service refused, keeping '
                                            f'the last valid one:\n{update.message}')
            self._programme_refused = update.message if update.outcome == 'refused' else ''
        if session_problem is not None:
            raise session_problem
        self._synced = (level, message)
        self._contact(level, message)

    def _contact(self, level: int, message: str):
        with self._lock:
            recovered = self._failing
            self._failing, self._contact_at = False, time.monotonic()
            self._status = (level, message)
        if recovered:
            self.get_logger().info(f'care link working again: {message}')

    def _failed(self, message: str, permanent: bool):
        with self._lock:
            changed = self._status[1] != message
            self._failing = True
            self._status = (DiagnosticStatus.ERROR if permanent else DiagnosticStatus.WARN,
                            message)
        if changed:   # a service that stays away is logged once, not every sync
            log = self.get_logger().error if permanent else self.get_logger().warning
            log(message)

    # ---- the executor ------------------------------------------------------------------

    def _publish_diagnostics(self):
        if self._worker is None:
            status = DiagnosticStatus(level=DiagnosticStatus.OK, message='no care_url: not syncing',
                                      name=f'{self.get_name()}: care service link')
            self._diagnostics.publish(DiagnosticArray(status=[status]))
            return
        with self._lock:
            (level, message), contact_at = self._status, self._contact_at
        status = DiagnosticStatus(level=level, name=f'{self.get_name()}: care service link',
                                  message=message)
        values = {
            'care_url': self.client.base_url,
            'seconds_since_contact': 'never' if contact_at is None
            else f'{time.monotonic() - contact_at:.0f}',
            'alerts_pending': len(self.outbox.pending()) + len(self._unsaved),
            'last_session_id': '' if self._last_session_id is None else self._last_session_id,
        }
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self._diagnostics.publish(msg)

    def destroy_node(self):
        if self._worker is not None:
            self._jobs.put(FINAL_SYNC)
            self._worker.join(timeout=FINAL_SYNC_TIME)
            if not self._worker.is_alive():   # else it is cut short with the process
                self.client.close()
                self.outbox.close()
        super().destroy_node()


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = CareLinkNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError, CareLinkError, OSError) as exc:
        if node is not None:
            raise
        rclpy.logging.get_logger('care_link_node').fatal(f'cannot start: {exc}')
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
