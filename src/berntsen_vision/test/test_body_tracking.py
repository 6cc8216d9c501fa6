"""Body ids: stable while tracked, kept through short misses, new after a loss."""
import itertools

import pytest

from berntsen_vision.body_tracking import BodyTracker, random_body_id


def _tracker(grace_s=0.5):
    counter = itertools.count(1)
    return BodyTracker(grace_s, new_id=lambda: f'b{next(counter)}')


def test_id_is_stable_and_survives_a_short_miss():
    tracker = _tracker()
    assert tracker.update(False, 0.0) is None
    assert tracker.update(True, 0.1) == 'b1'
    assert tracker.update(True, 0.2) == 'b1'
    assert tracker.update(False, 0.3) == 'b1'   # missed frame inside the grace period
    assert tracker.update(True, 0.5) == 'b1'


def test_new_id_after_a_loss_longer_than_grace():
    tracker = _tracker()
    tracker.update(True, 0.0)
    assert tracker.update(False, 0.6) is None
    assert tracker.update(True, 0.7) == 'b2'
    assert tracker.expire(1.3)
    assert tracker.body_id is None
    assert not tracker.expire(1.4)


def test_random_ids_look_like_rep155_ids():
    body_id = random_body_id()
    assert len(body_id) == 5 and body_id.isalpha() and body_id.islower()
    with pytest.raises(ValueError):
        BodyTracker(grace_s=-1.0)
