"""The coach's services: start and stop a session, pause it, call for help.

`start_session` (berntsen_interfaces/StartSession), `stop_session` (std_srvs/Trigger),
`pause_session` (std_srvs/SetBool: true pauses, false carries on; the screen's Pause
button) and `request_help` (std_srvs/Trigger; the screen's Help button: an urgent caregiver
alert, as for a fall). Each answers with success false and a reason when it cannot.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from berntsen_interfaces.srv import StartSession
from std_srvs.srv import SetBool, Trigger

from .session_log import SessionLogError

if TYPE_CHECKING:
    from .coach_node import CoachNode

NO_SESSION = 'no session is running'


class SessionServices:
    def __init__(self, coach: CoachNode):
        self.coach = coach
        coach.create_service(StartSession, 'start_session', self._on_start)
        coach.create_service(Trigger, 'stop_session', self._on_stop)
        coach.create_service(SetBool, 'pause_session', self._on_pause)
        coach.create_service(Trigger, 'request_help', self._on_help)

    def _live_routine(self):
        routine = self.coach.routine
        return routine if routine is not None and routine.started and not routine.finished \
            else None

    def _on_start(self, request, response):
        try:
            response.session_id = self.coach.start_session(
                request.programme_file or self.coach.params['programme_file'])
            response.success = True
        except (ValueError, SessionLogError, OSError) as exc:
            response.success, response.message = False, str(exc)
            self.coach.get_logger().warning(f'start_session refused: {exc}')
        return response

    def _on_stop(self, request, response):
        routine = self._live_routine()
        if routine is None:
            response.success, response.message = False, NO_SESSION
            return response
        self.coach.apply(routine.stop(self.coach.now(), 'stopped by request'))
        self.coach.speech.cancel_all()   # stopped means silent, now
        response.success, response.message = True, 'session stopped'
        return response

    def _on_pause(self, request, response):
        routine = self._live_routine()
        if routine is None:
            response.success, response.message = False, NO_SESSION
            return response
        self.coach.apply(routine.pause(self.coach.now(), request.data))
        response.success = routine.paused == request.data
        response.message = ('paused' if routine.paused else 'going on') \
            if response.success else f'cannot pause in step {routine.step.value}'
        return response

    def _on_help(self, request, response):
        routine = self.coach.routine
        if routine is None or not routine.started:
            response.success, response.message = False, NO_SESSION
            return response
        self.coach.apply(routine.help(self.coach.now()))
        response.success = routine.step.value == 'help'
        response.message = 'a caregiver is called' if response.success \
            else f'no help in step {routine.step.value}'
        return response
