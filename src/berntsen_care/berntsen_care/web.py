"""The care service as a Starlette app: staff pages (Jinja2), the staff JSON API, live alerts
over a WebSocket, and the robots' sync API (docs/care_sync.md).

Staff sessions are signed cookies (SameSite strict, HttpOnly) that end after `idle_timeout`
without a request and after `session_lifetime` in any case; every form and every staff
POST carries the session's CSRF token; logins are rate-limited per user name and per address.
"""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
import time
from pathlib import Path

import jinja2
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket, WebSocketDisconnect

from .accounts import needs_rehash, hash_password, verify_password
from .alert_hub import AlertHub
from .payloads import Invalid
from .programmes import ProgrammeRefused, check_programme
from .settings import MAX_FORM_BODY, MAX_ROBOT_BODY, Settings
from .store import CareStore, Forbidden, NotFound, Staff, Unauthorised, json_ready
from .words import LANGUAGES, reason_text, words

HERE = Path(__file__).resolve().parent
# The report page carries its plots as data: URIs and its own <style>; nothing else inline.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
       "base-uri 'none'")


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused past `limit` bytes without reading the rest."""
    declared = request.headers.get('content-length')
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge()
    return bytes(body)


class CareApp:
    def __init__(self, settings: Settings, store: CareStore | None = None):
        self.settings = settings
        self.store = store or CareStore(settings.database_url)
        self.hub = AlertHub()
        # every value escaped, whatever the template's name
        self.templates = Jinja2Templates(env=jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / 'templates'), autoescape=True))
        self.templates.env.globals['reason_text'] = reason_text
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_user = RateLimitItemPerMinute(settings.login_attempts_per_minute)
        self._per_address = RateLimitItemPerMinute(4 * settings.login_attempts_per_minute)

    # ---- the ASGI app -----------------------------------------------------------------------

    def asgi(self) -> Starlette:
        routes = [
            Route('/', self.alerts_page),
            Route('/login', self.login, methods=['GET', 'POST']),
            Route('/logout', self.logout, methods=['POST']),
            Route('/language', self.set_language, methods=['POST']),
            Route('/patients', self.patients_page),
            Route('/patients/{pseudonym}', self.patient_page),
            Route('/patients/{pseudonym}/report', self.report_page),
            Route('/patients/{pseudonym}/programme', self.programme_page, methods=['GET', 'POST']),
            Route('/alerts/{alert_id:int}/acknowledge', self.acknowledge, methods=['POST']),
            Route('/admin', self.admin_page),
            Route('/admin/robots/{robot_id:int}/revoke', self.revoke_robot, methods=['POST']),
            Route('/api/v1/alerts', self.api_alerts),
            Route('/api/v1/patients', self.api_patients),
            Route('/api/v1/patients/{pseudonym}', self.api_patient),
            WebSocketRoute('/ws/alerts', self.alerts_socket),
            Route('/api/robot/v1/sync-state', self.robot_sync_state),
            Route('/api/robot/v1/sessions', self.robot_sessions, methods=['POST']),
            Route('/api/robot/v1/alerts', self.robot_alerts, methods=['POST']),
            Route('/api/robot/v1/programmes', self.robot_programmes),
            Mount('/static', StaticFiles(directory=str(HERE / 'static')), name='static'),
        ]
        middleware = [Middleware(SessionMiddleware, secret_key=self.settings.secret,
                                 session_cookie='berntsen_care', max_age=int(self.settings.session_lifetime),
                                 same_site='strict', https_only=self.settings.secure_cookies)]
        app = Starlette(routes=routes, middleware=middleware, lifespan=self._lifespan,
                        exception_handlers={HTTPException: self._http_error})
        app.add_middleware(_SecurityHeaders)
        return app

    @contextlib.asynccontextmanager
    async def _lifespan(self, app):
        await self.store.open()
        try:
            yield
        finally:
            await self.store.close()

    async def _http_error(self, request: Request, exc: HTTPException) -> Response:
        if isinstance(exc, _Redirect):
            return RedirectResponse(exc.headers['location'], 303)
        if request.url.path.startswith('/api/'):
            return JSONResponse({'error': exc.detail}, exc.status_code)
        return self._page(request, 'error.html', {'message': exc.detail}, status=exc.status_code)

    # ---- staff sessions ---------------------------------------------------------------------

    async def _staff(self, request) -> Staff | None:
        session = request.session
        now = time.time()
        if 'staff' not in session:
            return None
        if now - session.get('since', 0) > self.settings.session_lifetime or \
                now - session.get('seen', 0) > self.settings.idle_timeout:
            session.clear()
            return None
        staff = await self.store.staff(session['staff'])
        if staff is None:
            session.clear()
            return None
        session['seen'] = now
        return staff

    async def _require(self, request) -> Staff:
        staff = await self._staff(request)
        if staff is None:
            if request.url.path.startswith('/api/'):
                raise HTTPException(401, 'log in first')
            raise _Redirect('/login')
        return staff

    def _language(self, request, staff: Staff | None = None) -> str:
        chosen = request.session.get('language')
        return chosen if chosen in LANGUAGES else (staff.language if staff else 'nb')

    def _csrf(self, request) -> str:
        if 'csrf' not in request.session:
            request.session['csrf'] = secrets.token_urlsafe(32)
        return request.session['csrf']

    def _check_csrf(self, request, given: str | None) -> None:
        expected = request.session.get('csrf')
        if not expected or not given or not hmac.compare_digest(expected, given):
            raise HTTPException(403, words(self._language(request))['bad_request'])

    async def _form(self, request):
        # browsers always say how long a form is; anything longer than a programme is refused
        declared = request.headers.get('content-length', '')
        if not declared.isdigit() or int(declared) > MAX_FORM_BODY:
            raise HTTPException(413, words(self._language(request))['too_large'])
        form = await request.form(max_files=0, max_fields=20, max_part_size=MAX_FORM_BODY)
        self._check_csrf(request, form.get('csrf'))
        return form

    def _page(self, request, template: str, context: dict, staff: Staff | None = None,
              status: int = 200) -> HTMLResponse:
        language = self._language(request, staff)
        return self.templates.TemplateResponse(request, template, {
            'w': words(language), 'language': language, 'staff': staff,
            'csrf': self._csrf(request), **context}, status_code=status)

    # ---- pages ------------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if request.method == 'GET':
            return self._page(request, 'login.html', {'error': ''})
        form = await self._form(request)
        username = str(form.get('username', ''))[:64].strip().lower()
        password = str(form.get('password', ''))[:1024]
        address = request.client.host if request.client else '?'
        w = words(self._language(request))
        if not (await self._limiter.hit(self._per_user, 'user', username) and
                await self._limiter.hit(self._per_address, 'address', address)):
            await self.store.audit(None, 'login_limited', None, username)
            return self._page(request, 'login.html', {'error': w['login_limited']}, status=429)
        found = await self.store.staff_login(username)
        staff, password_hash = found if found else (None, None)
        # Argon2 takes tens of milliseconds of CPU on purpose: off the event loop, where
        # alerts are pushed
        if not await asyncio.to_thread(verify_password, password_hash, password):
            await self.store.audit(None, 'login_failed', None, username)
            return self._page(request, 'login.html', {'error': w['login_failed']}, status=401)
        if needs_rehash(password_hash):
            await self.store.update_password_hash(staff, await asyncio.to_thread(hash_password, password))
        language = request.session.get('language')
        request.session.clear()   # a new session (and CSRF token) for the logged-in user
        now = time.time()
        request.session.update(staff=staff.id, since=now, seen=now,
                               csrf=secrets.token_urlsafe(32))
        if language in LANGUAGES:
            request.session['language'] = language
        await self.store.audit(staff, 'login')
        return RedirectResponse('/', 303)

    async def logout(self, request: Request) -> Response:
        await self._form(request)
        request.session.clear()
        return RedirectResponse('/login', 303)

    async def set_language(self, request: Request) -> Response:
        form = await self._form(request)
        if form.get('language') in LANGUAGES:
            request.session['language'] = form['language']
        back = str(form.get('back', '/'))
        return RedirectResponse(back if back.startswith('/') and not back.startswith('//') else '/', 303)

    async def alerts_page(self, request: Request) -> Response:
        staff = await self._require(request)
        alerts = await self.store.alerts_for(staff)
        return self._page(request, 'alerts.html', {'alerts': alerts}, staff)

    async def patients_page(self, request: Request) -> Response:
        staff = await self._require(request)
        return self._page(request, 'patients.html',
                          {'patients': await self.store.patients(staff)}, staff)

    async def _patient(self, request, staff: Staff, action: str) -> dict:
        try:
            return await self.store.patient_for(staff, request.path_params['pseudonym'], action)
        except Forbidden:
            raise HTTPException(403, words(self._language(request, staff))['forbidden']) from None
        except NotFound:
            raise HTTPException(404, words(self._language(request, staff))['not_found']) from None

    async def patient_page(self, request: Request) -> Response:
        staff = await self._require(request)
        patient = await self._patient(request, staff, 'read_patient')
        return self._page(request, 'patient.html', {
            'patient': patient, 'sessions': await self.store.sessions_of(patient),
            'programme': await self.store.latest_programme(patient)}, staff)

    async def report_page(self, request: Request) -> Response:
        from .history import report_page

        staff = await self._require(request)
        patient = await self._patient(request, staff, 'read_report')
        page = await asyncio.to_thread(report_page, self.settings.database_url, patient['id'],
                                       patient['pseudonym'], self._language(request, staff))
        return HTMLResponse(page)

    async def programme_page(self, request: Request) -> Response:
        staff = await self._require(request)
        patient = await self._patient(request, staff, 'read_programme')
        context = {'patient': patient, 'problems': '', 'saved': None}
        if request.method == 'POST':
            if not staff.edits_programmes:
                raise HTTPException(403, words(self._language(request, staff))['read_only'])
            form = await self._form(request)
            text = str(form.get('text', ''))
            try:
                check_programme(text, patient['pseudonym'])
            except ProgrammeRefused as exc:
                context.update(problems=str(exc), text=text)
                return self._page(request, 'programme.html', context, staff, status=422)
            context['saved'] = await self.store.save_programme(staff, patient, text)
        latest = await self.store.latest_programme(patient)
        context.setdefault('text', latest['text'] if latest else '')
        context['programme'] = latest
        return self._page(request, 'programme.html', context, staff)

    async def acknowledge(self, request: Request) -> Response:
        staff = await self._require(request)
        if request.headers.get('content-type', '').startswith('application/json'):
            self._check_csrf(request, request.headers.get('x-csrf-token'))
            await self._acknowledge(request, staff)
            return JSONResponse({'acknowledged': request.path_params['alert_id']})
        await self._form(request)
        await self._acknowledge(request, staff)
        return RedirectResponse('/', 303)

    async def _acknowledge(self, request, staff):
        try:
            await self.store.acknowledge(staff, request.path_params['alert_id'])
        except Forbidden:
            raise HTTPException(403, words(self._language(request, staff))['forbidden']) from None
        except NotFound:
            raise HTTPException(404, words(self._language(request, staff))['not_found']) from None

    async def _administrator(self, request) -> Staff:
        staff = await self._require(request)
        if staff.role != 'administrator':
            await self.store.audit(staff, 'admin_refused')
            raise HTTPException(403, words(self._language(request, staff))['forbidden'])
        return staff

    async def admin_page(self, request: Request) -> Response:
        staff = await self._administrator(request)
        return self._page(request, 'admin.html', {'robots': await self.store.robots_of(staff)}, staff)

    async def revoke_robot(self, request: Request) -> Response:
        staff = await self._administrator(request)
        await self._form(request)
        try:
            await self.store.revoke_robot(staff, request.path_params['robot_id'])
        except Forbidden:
            raise HTTPException(403, words(self._language(request, staff))['forbidden']) from None
        return RedirectResponse('/admin', 303)

    # ---- the staff JSON API -----------------------------------------------------------------

    async def api_alerts(self, request: Request) -> Response:
        staff = await self._require(request)
        return JSONResponse([json_ready(a) for a in await self.store.alerts_for(staff)])

    async def api_patients(self, request: Request) -> Response:
        staff = await self._require(request)
        return JSONResponse([json_ready(p) for p in await self.store.patients(staff)])

    async def api_patient(self, request: Request) -> Response:
        staff = await self._require(request)
        patient = await self._patient(request, staff, 'read_patient')
        return JSONResponse({'pseudonym': patient['pseudonym'], 'name': patient['name'],
                             'sessions': [json_ready(s) for s in await self.store.sessions_of(patient)]})

    async def alerts_socket(self, websocket: WebSocket) -> None:
        staff = await self._staff(websocket)
        origin = websocket.headers.get('origin', '')
        host = websocket.headers.get('host', '')
        # a page of another site must not open this socket with the nurse's cookie
        if staff is None or origin.split('://', 1)[-1] != host:
            await websocket.close(code=1008)
            return
        await websocket.accept()
        language = self._language(websocket, staff)
        queue = self.hub.subscribe(staff.team_id)
        receiving = asyncio.ensure_future(websocket.receive())
        audits: set[asyncio.Future] = set()
        try:
            while True:
                getting = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getting, receiving}, return_when=asyncio.FIRST_COMPLETED)
                if receiving in done:
                    getting.cancel()
                    if receiving.result().get('type') == 'websocket.disconnect':
                        return
                    receiving = asyncio.ensure_future(websocket.receive())
                    continue
                alert = getting.result()
                if 'id' not in alert:   # a reload request
                    await websocket.send_json(alert)
                    continue
                shown = {k: v for k, v in alert.items() if k != 'patient_db_id'}
                shown['reason_text'] = reason_text(language, alert['reason'])
                # shown first, written down beside: the next alert does not wait for the audit
                await websocket.send_json(json_ready(shown))
                audits.add(asyncio.ensure_future(self.store.audit(
                    staff, 'alert_shown', alert['patient_db_id'], f'alert {alert["id"]}')))
                audits = {task for task in audits if not task.done()}
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiving.cancel()
            self.hub.unsubscribe(staff.team_id, queue)
            await asyncio.gather(*audits)   # every alert shown is in the audit log

    # ---- robots -----------------------------------------------------------------------------

    def _bearer(self, request) -> str:
        scheme, _, token = request.headers.get('authorization', '').partition(' ')
        if scheme.lower() != 'bearer' or not token.strip():
            raise HTTPException(401, 'no robot credential (Authorization: Bearer <token>)')
        return token.strip()

    async def _authenticate(self, token: str):
        try:
            return await self.store.robot_for_token(token)
        except Unauthorised as exc:
            raise HTTPException(401, str(exc)) from None

    async def _robot(self, request):
        return await self._authenticate(self._bearer(request))

    async def _robot_json(self, request):
        import json

        try:
            return json.loads(await read_body(request, MAX_ROBOT_BODY))
        except TooLarge:
            raise HTTPException(413, f'request body larger than {MAX_ROBOT_BODY} bytes: '
                                     'send fewer sessions per request') from None
        except ClientDisconnect:
            raise HTTPException(400, 'the connection was cut before the whole body arrived') from None
        except ValueError as exc:
            raise HTTPException(400, f'not JSON: {exc}') from None

    async def _robot_write(self, request, write, slot=None):
        """Read the body with no database connection held, then (inside `slot`, if given)
        check the credential and write."""
        token = self._bearer(request)
        body = await self._robot_json(request)
        async with slot or contextlib.nullcontext():
            robot = await self._authenticate(token)
            try:
                return robot, await write(robot, body)
            except Invalid as exc:
                raise HTTPException(422, str(exc)) from None
            except Forbidden as exc:
                raise HTTPException(403, str(exc)) from None

    async def robot_sync_state(self, request: Request) -> Response:
        robot = await self._robot(request)
        return JSONResponse(await self.store.sync_state(robot))

    async def robot_sessions(self, request: Request) -> Response:
        # uploads take turns for part of the pool: alerts and staff never wait behind them
        _, summary = await self._robot_write(request, self.store.store_sessions,
                                             self.store.upload_slots)
        return JSONResponse(summary)

    async def robot_alerts(self, request: Request) -> Response:
        _, (summary, new) = await self._robot_write(request, self.store.store_alerts)
        for team_id, alert in new:
            self.hub.publish(team_id, alert)
        return JSONResponse(summary)

    async def robot_programmes(self, request: Request) -> Response:
        robot = await self._robot(request)
        return JSONResponse({'programmes': await self.store.robot_programmes(robot)})


class _Redirect(HTTPException):
    def __init__(self, location: str):
        super().__init__(303, 'log in first', headers={'location': location})


class _SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message['type'] == 'http.response.start':
                headers = message.setdefault('headers', [])
                headers += [(b'content-security-policy', CSP.encode()),
                            (b'x-content-type-options', b'nosniff'),
                            (b'referrer-policy', b'no-referrer'),
                            (b'cache-control', b'no-store')]
            await send(message)

        await self.app(scope, receive, send_with_headers)
