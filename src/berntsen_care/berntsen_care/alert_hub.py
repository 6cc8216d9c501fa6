"""New alerts to the pages open at the moment, per team (one service process)."""
from __future__ import annotations

import asyncio
from collections import defaultdict


class AlertHub:
    def __init__(self):
        self._queues: dict[int, set[asyncio.Queue]] = defaultdict(set)

    def subscribe(self, team_id: int) -> asyncio.Queue:
        # bounded: a page that stops reading does not grow memory; it is told to reload instead
        queue: asyncio.Queue = asyncio.Queue(maxsize=200)
        self._queues[team_id].add(queue)
        return queue

    def unsubscribe(self, team_id: int, queue: asyncio.Queue) -> None:
        self._queues[team_id].discard(queue)

    def publish(self, team_id: int, alert: dict) -> None:
        for queue in list(self._queues[team_id]):
            try:
                queue.put_nowait(alert)
            except asyncio.QueueFull:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait({'type': 'reload'})

    def listeners(self, team_id: int) -> int:
        return len(self._queues[team_id])
