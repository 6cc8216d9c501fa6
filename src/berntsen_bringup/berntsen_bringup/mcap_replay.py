"""`berntsen replay SESSION.mcap`: re-count a recorded session's sets with today's counter.

Reads the recording (recorder_node.py) with the `mcap` package and rclpy's deserializer; no
graph, faster than real time. Each set runs from the coach's `set_started` event to the
event that ended it (`set_completed`, `set_incomplete`, `set_interrupted`); its frames are the
attended person's `skeleton2d_smoothed` (the first id of `/humans/bodies/tracked`, as the
coach takes it) received in that span, fed to a new ExerciseTracker with the programme's
goal for the exercise, counting up to the set's target (from `coach/state`) as the coach
does: a set ends at its target. The recording's count is the last repetition the coach
logged in the set. Sets the coach paused or lost sight in are marked: the coach waited there, the
re-count cannot.

A regression test for counting changes on recordings of real sessions that hold no images.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from berntsen_coach.counting import ExerciseTracker
from berntsen_coach.exercises import BodyFrame, Exercise
from mcap.exceptions import McapError
from mcap.reader import make_reader
from rclpy.serialization import deserialize_message

from .recording import message_class

SET_ENDS = ('set_completed', 'set_incomplete', 'set_interrupted')
INTERRUPTIONS = ('paused', 'perception_lost', 'signal_gap', 'left_ready_position')
SKELETON = 'skeleton2d_smoothed'


class ReplayError(ValueError):
    """The recording cannot be replayed; the message says why."""


@dataclass
class RecordedSet:
    exercise: str
    number: int
    started: float                      # s, the recording's log time
    ended: float | None = None
    recorded: int = 0                   # the coach's count in the recording
    target: int = 0                     # repetitions asked for (0: not known)
    interrupted: bool = False
    frames: list = field(default_factory=list)   # (stamp s, BodyFrame | None)
    recounted: int | None = None


def read_messages(path: str | Path):
    """(topic, message, log time s) of a recording, in log-time order."""
    classes: dict[str, object] = {}
    try:
        with open(path, 'rb') as f:
            for schema, channel, message in make_reader(f).iter_messages(log_time_order=True):
                if schema is None or schema.encoding != 'ros2msg':
                    continue
                cls = classes.get(schema.name)
                if cls is None:
                    cls = classes[schema.name] = message_class(schema.name)
                yield channel.topic, deserialize_message(message.data, cls), message.log_time * 1e-9
    except OSError as exc:
        raise ReplayError(f'cannot read {path}: {exc.strerror or exc}') from exc
    except (McapError, ValueError, EOFError) as exc:
        raise ReplayError(f'{path} is not a readable MCAP recording: {exc}') from exc


def _frame(msg) -> BodyFrame | None:
    try:
        return BodyFrame.from_arrays([(lm.x, lm.y, lm.z, lm.visibility) for lm in msg.landmarks],
                                     [(lm.x, lm.y, lm.z, lm.visibility)
                                      for lm in msg.world_landmarks],
                                     msg.image_width, msg.image_height)
    except ValueError:
        return None


def recorded_sets(path: str | Path) -> tuple[list[RecordedSet], str | None]:
    """The recording's sets with their frames, and the programme named at its start."""
    sets: list[RecordedSet] = []
    current: RecordedSet | None = None
    attended, programme = '', None
    for topic, msg, t in read_messages(path):
        if topic == '/humans/bodies/tracked':
            attended = msg.ids[0] if msg.ids else ''
        elif topic == '/coach/state' and current is not None and msg.exercise == current.exercise:
            current.target = msg.target
        elif topic == f'/humans/bodies/{attended}/{SKELETON}' and current is not None:
            stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
            current.frames.append((stamp if stamp > 0 else t, _frame(msg)))
        elif topic == '/coach/events':
            try:
                detail = json.loads(msg.detail or '{}')
            except ValueError:
                continue
            if msg.kind == 'session_started':
                programme = detail.get('programme')
            elif msg.kind == 'set_started':
                current = RecordedSet(detail.get('exercise', ''), detail.get('set', 0), t)
                sets.append(current)
            elif current is None:
                continue
            elif msg.kind == 'repetition' and detail.get('exercise') == current.exercise:
                current.recorded = max(current.recorded, int(detail.get('number', 0)))
            elif msg.kind in INTERRUPTIONS:
                current.interrupted = True
            elif msg.kind in SET_ENDS:
                current.ended, current = t, None
    if not sets:
        raise ReplayError(f'{path} holds no set (no set_started on /coach/events)')
    return sets, programme


def recount(sets: list[RecordedSet], exercises: dict[str, Exercise],
            goals: dict[str, float | None]) -> None:
    for s in sets:
        exercise = exercises.get(s.exercise)
        if exercise is None:
            continue
        tracker = ExerciseTracker(exercise, goals.get(s.exercise))
        for stamp, frame in s.frames:
            tracker.update(stamp, frame)
        s.recounted = min(tracker.count, s.target) if s.target else tracker.count


def format_sets(sets: list[RecordedSet]) -> tuple[str, bool]:
    """The comparison as lines, and whether every set re-counts to its recorded count."""
    lines, same = [], True
    for s in sets:
        if s.recounted is None:
            lines.append(f'{s.exercise} set {s.number}: not in the exercise library; skipped')
            same = False
            continue
        mark = 'same' if s.recounted == s.recorded else 'DIFFERENT'
        same = same and s.recounted == s.recorded
        note = ' (interrupted: the coach waited, the re-count did not)' if s.interrupted else ''
        lines.append(f'{s.exercise} set {s.number}: recorded {s.recorded}, counted now '
                     f'{s.recounted} [{mark}] from {len(s.frames)} frames{note}')
    return '\n'.join(lines), same


def replay(path: str | Path, programme_file: str | None = None) -> int:
    """`berntsen replay SESSION.mcap`: print each set's recorded and re-counted repetitions;
    0 when they all agree, 1 when one differs, 2 when the recording cannot be read."""
    from berntsen_coach.exercises import load_exercises
    from berntsen_coach.paths import package_config, resolve_programme
    from berntsen_coach.programme import ExerciseItem, ProgrammeError, load_programme

    exercises = load_exercises(package_config() / 'exercises.yaml')
    try:
        sets, named = recorded_sets(path)
    except ReplayError as exc:
        print(f'berntsen replay: {exc}')
        return 2
    goals: dict[str, float | None] = {}
    source = programme_file or named
    if source:
        try:
            programme = load_programme(resolve_programme(source), exercises)
            goals = {i.exercise: i.goal for i in programme.items if isinstance(i, ExerciseItem)}
        except (ProgrammeError, OSError) as exc:
            print(f'(the programme\'s goals are unknown, the typical ones are used: {exc})')
    recount(sets, exercises, goals)
    text, same = format_sets(sets)
    print(text)
    print('every set re-counts to its recorded count' if same
          else 'the count differs from the recording in at least one set')
    return 0 if same else 1
