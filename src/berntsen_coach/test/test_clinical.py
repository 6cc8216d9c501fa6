import pytest

from berntsen_coach.clinical import chair_stand_30s, five_times_sit_to_stand
from berntsen_coach.rep_counter import Rep


def stands(times, up_after=0.8, duration=2.5):
    return [Rep(i + 1, t, t + duration, 1.0, up_at=t + up_after) for i, t in enumerate(times)]


def test_chair_stand_counts_stands_reached_within_30_s_of_go():
    reps = stands([-2.0, 1.0, 4.0, 27.0, 29.5])   # the first reached standing before go
    assert chair_stand_30s(0.0, reps) == 3        # 1.8, 4.8, 27.8 (30.3 is too late)
    # Standing at the 30 s mark (not yet seated again) counts.
    assert chair_stand_30s(0.0, reps[:4], standing_since=29.6) == 4
    assert chair_stand_30s(0.0, reps[:4], standing_since=30.4) == 3
    assert chair_stand_30s(10.0, []) == 0


def test_five_times_sit_to_stand_is_seconds_to_the_fifth_sitting():
    reps = stands([-3.0, 0.5, 3.0, 5.5, 8.0, 10.5, 13.0])
    assert five_times_sit_to_stand(0.0, reps) == pytest.approx(13.0)   # 10.5 + 2.5
    assert five_times_sit_to_stand(0.0, reps[:5]) is None


def test_go_must_be_a_finite_time():
    with pytest.raises(ValueError):
        chair_stand_30s(float('nan'), [])
    with pytest.raises(ValueError):
        five_times_sit_to_stand(None, [])
