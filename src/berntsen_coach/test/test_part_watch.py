"""The coach's watch on the pose node and the speech server, on a scripted clock."""
from berntsen_coach.part_watch import PERCEPTION_STARTUP_GRACE, PartWatch


def test_the_pose_node_gets_a_grace_to_load_then_the_usual_timeout():
    watch = PartWatch(perception_timeout=3.0, speech_alert_after=10.0)
    watch.session_started(100.0)
    assert watch.perception_silent_for(100.0 + PERCEPTION_STARTUP_GRACE - 1) is None
    assert watch.perception_silent_for(100.0 + PERCEPTION_STARTUP_GRACE + 1) > 30
    watch.perception_heard(140.0)
    assert watch.perception_silent_for(142.0) is None
    assert watch.perception_silent_for(144.0) == 4.0


def test_a_lost_speech_server_alerts_once_per_outage():
    watch = PartWatch(perception_timeout=3.0, speech_alert_after=10.0)
    watch.session_started(100.0)
    assert watch.speech_lost(105.0, unavailable_since=100.0, session_live=True) is None
    assert watch.speech_lost(111.0, unavailable_since=100.0, session_live=True) == 100.0
    assert watch.speech_lost(130.0, unavailable_since=100.0, session_live=True) is None
    assert watch.speech_lost(131.0, unavailable_since=None, session_live=True) is None
    assert watch.speech_lost(150.0, unavailable_since=135.0, session_live=True) == 135.0


def test_speech_gone_before_the_session_counts_from_its_start():
    watch = PartWatch(perception_timeout=3.0, speech_alert_after=10.0)
    assert watch.speech_lost(50.0, unavailable_since=0.0, session_live=False) is None
    watch.session_started(100.0)
    assert watch.speech_lost(105.0, unavailable_since=0.0, session_live=True) is None
    assert watch.speech_lost(110.0, unavailable_since=0.0, session_live=True) == 100.0
