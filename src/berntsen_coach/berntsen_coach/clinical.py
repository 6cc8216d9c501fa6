"""Clinical measures from the chair-stand repetitions (no ROS imports).

Both tests are timed from "go" (the moment the coach's "Ready, set, go!" has been spoken)
and driven by the sit_to_stand counter's repetitions:

- 30-second chair stand test (30s CST): the number of full stands in 30 s. A stand counts
  when the person reached standing (the counter's up threshold, `Rep.up_at`) after "go" and
  by the 30 s mark; a person standing at the mark counts too even before sitting back down
  (`standing_since`), as the protocol counts a stand that is more than halfway up.
- Five-times sit-to-stand (5xSTS): seconds from "go" until the person is seated again after
  the fifth stand (`Rep.end` of the fifth repetition that began after "go"); None when five
  were not completed.

Reps that reached standing before "go" (a false start) are not counted.
"""
from __future__ import annotations

import math
from typing import Sequence

from .rep_counter import Rep

CLINICAL_TESTS = ('chair_stand_30s', 'five_times_sit_to_stand')
CHAIR_STAND_SECONDS = 30.0
FIVE_TIMES_STANDS = 5


def _check(go: float) -> float:
    if isinstance(go, bool) or not isinstance(go, (int, float)) or not math.isfinite(go):
        raise ValueError(f'go time must be a finite number, got {go!r}')
    return float(go)


def _after_go(go: float, rep: Rep) -> bool:
    reached = rep.up_at if rep.up_at is not None else rep.end
    return reached >= go


def chair_stand_30s(go: float, reps: Sequence[Rep], standing_since: float | None = None,
                    duration: float = CHAIR_STAND_SECONDS) -> int:
    """Full stands between `go` and `go + duration` (see the module docstring)."""
    go = _check(go)
    end = go + duration
    stands = sum(1 for rep in reps if _after_go(go, rep)
                 and (rep.up_at if rep.up_at is not None else rep.end) <= end)
    if standing_since is not None and go <= standing_since <= end:
        stands += 1
    return stands


def five_times_sit_to_stand(go: float, reps: Sequence[Rep],
                            stands: int = FIVE_TIMES_STANDS) -> float | None:
    """Seconds from `go` to sitting down after the fifth stand, or None if not yet done."""
    go = _check(go)
    valid = [rep for rep in reps if _after_go(go, rep)]
    if len(valid) < stands:
        return None
    return valid[stands - 1].end - go
