"""What the routine asks the coach node to do, and the postures it understands (no ROS).

The routine (`coach_routine.CoachRoutine`) answers every event with a list of these actions:
  Say(text, kind, urgent)   speak this (the node sends it to the speech server)
  Counted(rep, target)      a repetition was counted (for the transcript)
  StateChanged(...)         publish the new coach state
  Event(kind, detail)       record it in the session log
  AlertCaregiver(reason, urgent)
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from .rep_counter import Rep


class Posture(enum.Enum):
    UNKNOWN = 0
    STANDING = 1
    SITTING = 2
    LYING = 3


@dataclass(frozen=True)
class Say:
    text: str
    kind: str   # what sort of phrase: greeting, count, praise, cue, floor_urgent, ...
    urgent: bool = False   # pre-empt whatever is being said (a person on the floor)


@dataclass(frozen=True)
class Counted:
    rep: Rep
    target: int


@dataclass(frozen=True)
class StateChanged:
    routine: str
    step: str
    exercise: str
    count: int
    target: int
    set_index: int = 0     # 1-based set of the current exercise; 0 outside sets
    sets: int = 0


@dataclass(frozen=True)
class Event:
    """Something for the session log: `kind` and a small JSON-able `detail` mapping."""

    kind: str
    detail: dict


@dataclass(frozen=True)
class AlertCaregiver:
    """Tell a caregiver; `urgent` when the person may be hurt (lying on the floor)."""

    reason: str
    urgent: bool = False


Action = Say | Counted | StateChanged | Event | AlertCaregiver
