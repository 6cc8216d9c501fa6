"""What the coach says next, and when: a speech queue that never talks over itself.

No ROS imports. One utterance is in flight at a time: the next is released only once the
previous one is reported finished (the node calls `finished()` once per released
utterance, in order, when the `Speak` result arrives — spoken, failed or rejected alike).

When speech lags behind the exercise, counts are merged rather than piled up: at most one
count waits, and a newer count replaces it together with any praise or cue queued for the
older repetition (`stale_after_count`). The patient may hear "two … four" but never a count
that is several repetitions behind what they are doing.

An urgent utterance (a person on the floor) empties the queue and is released at once,
even while something is being said; the node sends it with `urgent=True` so the speech
server pre-empts the current phrase. The pre-empted phrase is still reported finished.

`PraiseRotation` varies praise: a seeded shuffle of the phrase list, reshuffled each round,
never the same phrase twice in a row; deterministic for a given seed (testable).
"""
from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Utterance:
    text: str
    kind: str                          # greeting, count, praise, cue, rest, ...
    urgent: bool = False
    stale_after_count: bool = False    # drop it if a newer count is queued behind it


class SpeechPlanner:
    def __init__(self):
        self._in_flight: deque[Utterance] = deque()
        self._queue: deque[Utterance] = deque()

    @property
    def speaking(self) -> bool:
        """Something said or waiting to be said."""
        return bool(self._in_flight or self._queue)

    @property
    def queued(self) -> int:
        return len(self._queue)

    def say(self, utterance: Utterance) -> list[Utterance]:
        """Queue an utterance; returns what to send to the speech server now (0 or more)."""
        if not isinstance(utterance, Utterance):
            raise TypeError(f'expected an Utterance, got {utterance!r}')
        if utterance.urgent:
            self._queue.clear()
            self._in_flight.append(utterance)
            return [utterance]
        if utterance.kind == 'count':
            self._queue = deque(u for u in self._queue
                                if u.kind != 'count' and not u.stale_after_count)
        self._queue.append(utterance)
        return self._release()

    def finished(self) -> tuple[Utterance | None, list[Utterance]]:
        """The oldest utterance in flight has finished: returns it and what to send now."""
        if not self._in_flight:
            return None, []
        done = self._in_flight.popleft()
        return done, self._release()

    def clear(self) -> None:
        """Forget what has not been sent yet (the session was stopped)."""
        self._queue.clear()

    def _release(self) -> list[Utterance]:
        if self._in_flight or not self._queue:
            return []
        utterance = self._queue.popleft()
        self._in_flight.append(utterance)
        return [utterance]


class PraiseRotation:
    def __init__(self, phrases: Sequence[str], seed: int = 0):
        if not phrases:
            raise ValueError('need at least one praise phrase')
        self._phrases = list(phrases)
        self._rng = random.Random(seed)
        self._round: list[str] = []
        self._last: str | None = None

    def next(self) -> str:
        if not self._round:
            self._round = list(self._phrases)
            self._rng.shuffle(self._round)
            if len(self._round) > 1 and self._round[0] == self._last:
                self._round.append(self._round.pop(0))
        self._last = self._round.pop(0)
        return self._last
