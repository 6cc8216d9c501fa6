"""What the patient's screen shows, from what the coach publishes (no ROS imports).

The screen node feeds a `ScreenModel` the coach's state, session events, what the speech
server is saying, caregiver alerts and the attended person's skeleton; `snapshot()` is the
whole page as JSON-able data (sent to each page on connect and on every change), so a page
that (re)connects shows the current state at once. Text the page shows comes with it, in
the patient's language (the session's, from its `session_started` event).

Privacy: captions are what the robot says, which may include the patient's name; the model
keeps only the last few in memory and the node never logs them.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Mapping

from berntsen_coach.exercises import Exercise

from .demonstration import demonstration
from .labels import DEFAULT_LANGUAGE, labels

# coach/state is re-sent twice a second while the coach runs: older than this, it is gone
STALE_AFTER = 3.0
CAPTION_HISTORY = 3
# the pose node's 33 landmarks; a skeleton point is shown when seen at least this well
MIN_VISIBILITY = 0.5
# what the screen draws of a skeleton: segments between these landmark indices
BONES = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
         (23, 25), (25, 27), (24, 26), (26, 28), (0, 11), (0, 12))
FINAL_STEPS = ('done', 'no_response', 'stopped')
COUNTING_STEPS = ('exercise', 'test')


@dataclass
class CoachStateView:
    step: str = ''
    exercise: str = ''
    count: int = 0
    target: int = 0
    set_number: int = 0
    sets: int = 0


class ScreenModel:
    def __init__(self, exercises: Mapping[str, Exercise], *, show_skeleton: bool = True):
        self.exercises = exercises
        self.show_skeleton = show_skeleton
        self.coach = CoachStateView()
        self.coach_heard_at: float | None = None
        self._demos: dict[str, dict | None] = {}   # solved once per exercise, not per message
        self.last_set: CoachStateView | None = None   # the set under way or just done
        self._new_session()

    def _new_session(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language
        self.paused = False
        self.help_called = False
        self.rest: tuple[float, float] | None = None   # (seconds, started at)
        self.totals: dict[str, int] | None = None
        self.caption = ''
        self.speaking = False
        self.captions: deque[str] = deque(maxlen=CAPTION_HISTORY)

    # ---- inputs -------------------------------------------------------------------------

    def on_coach_state(self, now: float, view: CoachStateView) -> None:
        if view.step != 'rest':
            self.rest = None
        if view.step in COUNTING_STEPS and view.exercise:
            self.last_set = view
        elif view.step != 'rest':
            self.last_set = None
        self.coach, self.coach_heard_at = view, now

    def on_event(self, now: float, kind: str, detail: Mapping) -> None:
        if kind == 'session_started':
            language = detail.get('language')
            self._new_session(language if isinstance(language, str) and language
                              else DEFAULT_LANGUAGE)
        elif kind == 'repetition' and self.last_set is not None \
                and isinstance(detail.get('number'), int):
            # a count and the end of its set can reach the coach's state a tick apart: the
            # event brings the count at once
            self.last_set.count = max(self.last_set.count, detail['number'])
        elif kind == 'paused':
            self.paused = True
        elif kind == 'resumed':
            self.paused = False
        elif kind == 'rest_started':
            seconds = detail.get('seconds')
            if isinstance(seconds, (int, float)) and seconds > 0:
                self.rest = (float(seconds), now)
        elif kind == 'session_completed':
            repetitions = detail.get('repetitions')
            if isinstance(repetitions, Mapping):
                self.totals = {str(k): int(v) for k, v in repetitions.items()
                               if isinstance(v, (int, float))}

    def on_speech(self, speaking: bool, text: str) -> None:
        """The speech server's status: what it is saying now (the caption stays after)."""
        if speaking and text and text != self.caption:
            self.caption = text
            self.captions.append(text)
        self.speaking = bool(speaking and text)

    def on_alert(self, reason: str, urgent: bool) -> None:
        if reason == 'help_requested' or urgent:
            self.help_called = True

    # ---- outputs ------------------------------------------------------------------------

    def connected(self, now: float) -> bool:
        return self.coach_heard_at is not None and now - self.coach_heard_at <= STALE_AFTER

    def _exercise_name(self, name: str) -> str:
        exercise = self.exercises.get(name)
        return exercise.display_name(self.language) if exercise is not None \
            else name.replace('_', ' ')

    def _demo(self, exercise: Exercise) -> dict | None:
        if exercise.name not in self._demos:
            self._demos[exercise.name] = demonstration(exercise)
        return self._demos[exercise.name]

    def heading(self) -> str:
        words, step = labels(self.language), self.coach.step
        if self.help_called:
            return words['help']
        if self.paused and step not in FINAL_STEPS:
            return words['paused']
        if step == 'exercise' and self.coach.exercise:
            return self._exercise_name(self.coach.exercise)
        return words.get(step, words['waiting'])

    def rest_remaining(self, now: float) -> float | None:
        if self.rest is None or self.coach.step != 'rest':
            return None
        seconds, started = self.rest
        return max(0.0, seconds - (now - started))

    def summary(self) -> list[list] | None:
        if self.totals is None:
            return None
        return [[self._exercise_name(name), reps] for name, reps in self.totals.items()]

    def snapshot(self, now: float) -> dict:
        words, c = labels(self.language), self.coach
        counting = c.step in COUNTING_STEPS and c.exercise != ''
        exercise = self.exercises.get(c.exercise) if counting else None
        shown = self.last_set if c.step in (*COUNTING_STEPS, 'rest') else None
        return {
            'type': 'state',
            'language': self.language,
            'labels': words,
            'connected': self.connected(now),
            'step': c.step,
            'heading': self.heading(),
            'paused': self.paused and c.step not in FINAL_STEPS,
            'help_called': self.help_called,
            'session_live': bool(c.step) and c.step not in FINAL_STEPS,
            'counting': counting,
            'count': shown.count if shown else None,
            'target': shown.target if shown else None,
            'count_text': '' if shown is None else f"{shown.count} {words['of']} {shown.target}"
            if shown.target else str(shown.count),
            'set_text': f"{words['set']} {shown.set_number} {words['of']} {shown.sets}"
            if shown and shown.sets and shown.set_number else '',
            'rest_remaining': self.rest_remaining(now),
            'caption': self.caption,
            'speaking': self.speaking,
            'captions': list(self.captions),
            'summary': self.summary() if c.step in ('summary', 'goodbye', 'done') else None,
            'demo': self._demo(exercise) if exercise is not None else None,
            'show_skeleton': self.show_skeleton,
        }


def skeleton_points(landmarks) -> list:
    """[x, y] (image 0..1) per landmark seen well enough, else None: what the page draws."""
    return [[round(float(x), 4), round(float(y), 4)] if visibility >= MIN_VISIBILITY else None
            for x, y, visibility in landmarks]
