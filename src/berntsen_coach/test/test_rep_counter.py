import random

import pytest

from berntsen_coach.rep_counter import Partial, Phase, RepCounter, TooFast
from coach_synthetic import rep_signal


def counter(**kw):
    args = dict(up_threshold=110.0, down_threshold=50.0, min_rep_duration=0.8, ready_duration=0.5)
    args.update(kw)
    return RepCounter(**args)


def feed(c, samples):
    return [rep for t, v in samples if (rep := c.update(t, v)) is not None]


@pytest.mark.parametrize('seed', range(5))
def test_counts_noisy_reps_exactly(seed):
    c = counter()
    reps = feed(c, rep_signal(5, noise=4.0, seed=seed))
    assert [r.number for r in reps] == [1, 2, 3, 4, 5]
    assert c.count == 5
    for rep in reps:
        assert rep.peak == pytest.approx(150.0, abs=15.0)
        assert 1.0 < rep.duration < 3.0
        assert rep.start < rep.end


def test_peak_is_the_highest_signal_of_each_rep():
    c = counter()
    samples = rep_signal(1, high=130.0) + rep_signal(1, high=170.0, start=4.1)
    reps = feed(c, samples)
    assert [round(r.peak) for r in reps] == [130, 170]


def test_jitter_around_the_up_threshold_counts_once():
    c = counter()
    samples = [(t / 10, 20.0) for t in range(10)]
    samples += [(1.0 + t / 10, 110.0 + (5 if t % 2 else -5)) for t in range(20)]   # 105/115
    samples += [(3.0 + t / 10, 20.0) for t in range(5)]
    assert len(feed(c, samples)) == 1


def test_jitter_around_the_down_threshold_counts_once():
    c = counter()
    samples = [(t / 10, 20.0) for t in range(10)]
    samples += [(1.0 + t / 10, 140.0) for t in range(10)]
    samples += [(2.0 + t / 10, 50.0 + (4 if t % 2 else -4)) for t in range(20)]   # 46/54
    samples += [(4.0 + t / 10, 20.0) for t in range(5)]
    assert len(feed(c, samples)) == 1


def test_partial_reps_do_not_count():
    c = counter()
    assert feed(c, rep_signal(4, high=100.0, noise=2.0)) == []
    assert feed(c, rep_signal(1, start=20.0)) != []   # a full one afterwards still counts


def test_too_fast_reps_are_rejected():
    c = counter()
    samples = [(t / 30, 20.0) for t in range(30)]                      # ready
    samples += [(1.0 + t / 30, v) for t, v in enumerate([80, 130, 140, 90, 30])]   # ~0.2 s
    samples += [(1.5 + t / 30, 20.0) for t in range(30)]
    assert feed(c, samples) == []
    assert c.rejected == 1
    assert feed(c, rep_signal(1, start=3.0)) != []


def test_no_count_before_the_ready_position_is_held():
    c = counter()
    # Getting into position: arms up first, then lowered: not a repetition.
    samples = [(t / 10, 150.0 - 13 * t) for t in range(11)]           # 150 → 20 in 1 s
    assert feed(c, samples) == []
    # Below the down threshold since t≈0.8 s, only 0.3 s before this raise: not counted.
    assert feed(c, [(1.1, 140.0), (2.1, 20.0)]) == []
    assert c.phase is Phase.GETTING_READY
    assert len(feed(c, rep_signal(1, start=3.0))) == 1


def test_missing_samples_neither_count_nor_break_a_rep():
    c = counter()
    rng = random.Random(3)
    samples = [(t, None if rng.random() < 0.3 else v) for t, v in rep_signal(3, noise=2.0)]
    assert len(feed(c, samples)) == 3
    # A long gap in the middle of a raise: the rep completes when the arms come down.
    c = counter()
    samples = [(t / 10, 20.0) for t in range(10)] + [(1.5, 140.0)]
    samples += [(1.6 + t / 10, None) for t in range(20)] + [(3.8, 130.0), (4.0, 20.0)]
    assert len(feed(c, samples)) == 1


def test_nan_is_a_missing_sample_and_old_samples_are_ignored():
    c = counter()
    feed(c, [(t / 10, 20.0) for t in range(10)] + [(1.2, 140.0)])
    assert c.update(1.3, float('nan')) is None
    assert c.update(0.5, 20.0) is None and c.phase is Phase.UP    # out of order: ignored
    assert c.update(2.5, 20.0) is not None


def test_reset_starts_a_new_set():
    c = counter()
    feed(c, rep_signal(2))
    assert c.count == 2
    c.reset()
    assert c.count == 0 and c.reps == [] and c.phase is Phase.GETTING_READY
    assert [r.number for r in feed(c, rep_signal(1, start=100.0))] == [1]


@pytest.mark.parametrize('kw,error', [
    (dict(up_threshold=50.0, down_threshold=50.0), ValueError),
    (dict(up_threshold=40.0), ValueError),
    (dict(min_rep_duration=-1.0), ValueError),
    (dict(ready_duration=float('nan')), TypeError),
    (dict(up_threshold='high'), TypeError),
])
def test_invalid_configuration(kw, error):
    with pytest.raises(error):
        counter(**kw)


def test_non_finite_time_raises():
    with pytest.raises(ValueError):
        counter().update(float('inf'), 20.0)


def test_direction_down_counts_falls_and_reports_the_lowest_peak():
    c = RepCounter(140.0, 80.0, 0.8, 0.5, direction='down')
    samples = [(t, 200.0 - v) for t, v in rep_signal(3, low=35.0, high=150.0, noise=2.0)]
    reps = feed(c, samples)
    assert [r.number for r in reps] == [1, 2, 3]
    assert all(r.peak == pytest.approx(50.0, abs=8.0) for r in reps)


def test_up_at_and_up_since_mark_reaching_the_far_threshold():
    c = counter()
    feed(c, [(t / 10, 20.0) for t in range(10)])
    c.update(1.2, 120.0)
    assert c.up_since == 1.2 and c.phase is Phase.UP
    rep = c.update(2.5, 20.0)
    assert rep.up_at == 1.2 and c.up_since is None


def test_partial_and_too_fast_events():
    c = counter()
    feed(c, [(t / 10, 20.0) for t in range(10)])
    assert c.update_event(1.5, 95.0) is None
    partial = c.update_event(2.5, 20.0)
    assert partial == Partial(start=0.9, end=2.5, peak=95.0)
    assert c.update_event(3.0, 60.0) is None and c.update_event(3.5, 20.0) is None  # wobble
    c.update_event(3.6, 140.0)
    assert isinstance(c.update_event(3.8, 20.0), TooFast) and c.rejected == 1
    assert c.count == 0 and len(c.partials) == 1


def test_baseline_mode_measures_from_the_rest_level():
    c = RepCounter(0.03, 0.012, 0.8, 1.0, baseline=True)
    rest = 0.4
    samples = [(t, rest + v) for t, v in rep_signal(2, low=0.0, high=0.05, rate=30.0)]
    assert len(feed(c, samples)) == 2
    assert c.rest_value == pytest.approx(rest)


def test_smoothing_removes_single_sample_spikes():
    c = counter(smoothing=0.3)
    samples = [(t / 30, 20.0) for t in range(60)]
    samples[40] = (samples[40][0], 170.0)          # one corrupt frame
    assert feed(c, samples) == [] and c.rejected == 0
    assert len(feed(c, rep_signal(2, start=3.0, rate=30.0))) == 2


@pytest.mark.parametrize('kw', [dict(direction='sideways'), dict(smoothing=-1.0),
                                dict(baseline=True, down_threshold=-1.0)])
def test_invalid_options(kw):
    with pytest.raises(ValueError):
        counter(**kw)
