"""The screen's web side: a Starlette app that serves the page and a WebSocket (no rclpy).

GET /            the page (web/index.html; its script and style from /static; nothing from
                 the internet)
WS  /ws          server -> page: {"type": "state", ...} (ScreenModel.snapshot) on connect
                 and on every change; {"type": "skeleton", "points": [...]} while she
                 exercises (when shown); {"type": "reply", "action", "ok", "message"} after
                 a button.
                 page -> server: {"type": "pause", "paused": true|false}, {"type": "help"}.
GET /healthz     200 "ok" (for a kiosk launcher waiting for the server)

`ScreenHub` is the bridge to the ROS side: `publish()` may be called from any thread;
button presses go to `on_action(action, data)`, which returns an awaitable (ok, message).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Awaitable, Callable

from starlette.applications import Starlette
from starlette.responses import FileResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

WEB_DIR = Path(__file__).resolve().parent / 'web'
MAX_MESSAGE = 1024            # bytes: a button press is a few dozen
ACTIONS = ('pause', 'help')

log = logging.getLogger('berntsen_screen.web')
Action = Callable[[str, dict], Awaitable[tuple[bool, str]]]


class ScreenHub:
    def __init__(self, on_action: Action):
        self.on_action = on_action
        self.loop: asyncio.AbstractEventLoop | None = None
        self._clients: set[WebSocket] = set()
        self._latest_state: str | None = None

    @property
    def clients(self) -> int:
        return len(self._clients)

    def publish(self, message: dict) -> None:
        """Send to every page; the latest state is also kept for pages that connect later.
        Thread-safe: the ROS side calls this from its executor."""
        text = json.dumps(message, ensure_ascii=False)
        if message.get('type') == 'state':
            self._latest_state = text
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: loop.create_task(self._broadcast(text)))

    async def _broadcast(self, text: str) -> None:
        for client in list(self._clients):
            try:
                await client.send_text(text)
            except Exception:   # a page that went away mid-send: it reconnects on its own
                self._clients.discard(client)

    async def serve(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self._clients.add(websocket)
        try:
            if self._latest_state is not None:
                await websocket.send_text(self._latest_state)
            while True:
                await self._handle(websocket, await websocket.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            self._clients.discard(websocket)

    async def _handle(self, websocket: WebSocket, text: str) -> None:
        try:
            if len(text) > MAX_MESSAGE:
                raise ValueError('message too long')
            data = json.loads(text)
            if not isinstance(data, dict) or data.get('type') not in ACTIONS:
                raise ValueError(f'expected a JSON object with type one of {ACTIONS}')
        except ValueError as exc:
            log.warning('screen: ignored a malformed message from a page: %s', exc)
            await websocket.send_text(json.dumps({'type': 'reply', 'action': '', 'ok': False,
                                                  'message': f'not understood: {exc}'}))
            return
        action = data['type']
        ok, message = await self.on_action(action, data)
        await websocket.send_text(json.dumps({'type': 'reply', 'action': action, 'ok': ok,
                                              'message': message}, ensure_ascii=False))


def make_app(hub: ScreenHub) -> Starlette:
    async def index(request):
        return FileResponse(WEB_DIR / 'index.html', headers={'Cache-Control': 'no-store'})

    async def healthz(request):
        return PlainTextResponse('ok')

    @contextlib.asynccontextmanager
    async def lifespan(app):
        hub.loop = asyncio.get_running_loop()
        yield
        hub.loop = None

    return Starlette(routes=[
        Route('/', index),
        Route('/healthz', healthz),
        WebSocketRoute('/ws', hub.serve),
        Mount('/static', StaticFiles(directory=WEB_DIR), name='static'),
    ], lifespan=lifespan)
