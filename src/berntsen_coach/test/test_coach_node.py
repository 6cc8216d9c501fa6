"""The coach node in its own process against a test-side fake speech server and fake pose
node: it greets, sees the person stand, counts five synthetic arm raises and ends."""
import threading
import time

import pytest

from coach_synthetic import HEIGHT, WIDTH, arm_skeleton, arm_world

pytestmark = [pytest.mark.ros, pytest.mark.slow]

BODY_ID = 'patient1'


class FakePatient:
    """Publishes what a pose node would see of a cooperative patient, reacting to coach/state."""

    def __init__(self, node):
        from berntsen_interfaces.action import Speak
        from berntsen_interfaces.msg import BodyPosture, CoachState, IdsList, Skeleton2D
        from rclpy.action import ActionServer
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

        self.node = node
        self.msgs = dict(BodyPosture=BodyPosture, IdsList=IdsList, Skeleton2D=Skeleton2D)
        self.lock = threading.Lock()
        self.spoken: list[tuple[str, str]] = []
        self.urgent: list[str] = []
        self.states: list = []
        self.server = ActionServer(node, Speak, 'speak', self._speak)
        node.create_subscription(
            CoachState, 'coach/state', self._on_state,
            QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                       durability=DurabilityPolicy.TRANSIENT_LOCAL))
        self.tracked_pub = node.create_publisher(IdsList, '/humans/bodies/tracked', 10)
        self.skeleton_pub = node.create_publisher(
            Skeleton2D, f'/humans/bodies/{BODY_ID}/skeleton2d', 10)
        self.posture_pub = node.create_publisher(
            BodyPosture, f'/humans/bodies/{BODY_ID}/posture', 10)

    def _speak(self, goal_handle):
        from berntsen_interfaces.action import Speak
        with self.lock:
            self.spoken.append((goal_handle.request.text, goal_handle.request.language))
            if goal_handle.request.urgent:
                self.urgent.append(goal_handle.request.text)
        goal_handle.succeed()
        return Speak.Result(success=True, error='', duration=0.5, output='log')

    def _on_state(self, msg):
        with self.lock:
            self.states.append((msg.routine, msg.step, msg.exercise, msg.count, msg.target))

    def latest_state(self):
        with self.lock:
            return self.states[-1] if self.states else None

    def urgent_texts(self):
        with self.lock:
            return list(self.urgent)

    def publish(self, posture, angle, image_width=WIDTH, on_floor=False):
        stamp = self.node.get_clock().now().to_msg()
        # A second, unusable id ('bad id' is no valid topic name) must be skipped safely.
        self.tracked_pub.publish(self.msgs['IdsList'](ids=['bad id', BODY_ID]))
        p = self.msgs['BodyPosture'](body_id=BODY_ID, posture=posture, confidence=0.9,
                                     on_floor=on_floor)
        p.header.stamp = stamp
        self.posture_pub.publish(p)
        s = self.msgs['Skeleton2D'](body_id=BODY_ID, image_width=image_width, image_height=HEIGHT)
        s.header.stamp = stamp
        for lm, (x, y, v) in zip(s.landmarks, arm_skeleton(angle)):
            lm.x, lm.y, lm.visibility = x, y, v
        for lm, (x, y, z, v) in zip(s.world_landmarks, arm_world(angle)):
            lm.x, lm.y, lm.z, lm.visibility = x, y, z, v
        self.skeleton_pub.publish(s)


@pytest.fixture
def make_patient(rclpy_node):
    """FakePatient factory. Its action server is destroyed at teardown: Node.destroy_node()
    leaves action servers alone, and a leftover one keeps the probe's DDS participant and a
    'speak' server that never answers visible to the next test's coach."""
    patients = []

    def make():
        patients.append(FakePatient(rclpy_node))
        return patients[-1]

    yield make
    for patient in patients:
        patient.server.destroy()


def arm_angle(t: float) -> float:
    """Arms down for 1 s, then raises of 1.5 s up / 1 s down (the sim's ~2.5 s per rep)."""
    if t < 1.0:
        return 20.0
    within = (t - 1.0) % 2.5
    return 150.0 if within < 1.5 else 20.0


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f'timed out waiting for {what}'
        time.sleep(0.05)


def call(client, request):
    """A service call's response (the test fails after 10 s without one)."""
    future = client.call_async(request)
    wait_for(future.done, 10, 'the service response')
    return future.result()


def _coach(tmp_path, **params):
    from berntsen_bringup.processes import NodeProcessSpec
    return NodeProcessSpec(module='berntsen_coach.coach_node', name='coach', params={
        'programme_file': 'sim_morning', 'skeleton_topic': 'skeleton2d',
        'db_path': str(tmp_path / 'sessions.sqlite3'), **params})


def test_coach_runs_the_morning_programme_and_records_it(ros_nodes, make_patient, tmp_path):
    from berntsen_interfaces.msg import BodyPosture
    from berntsen_coach.phrases import Phrases
    from berntsen_coach.session_log import SessionLog

    patient = make_patient()
    coach = ros_nodes(_coach(tmp_path, start_delay=0.5, exit_when_done=True))

    stand_seen = exercise_seen = None
    corrupt_sent = False
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline and coach.poll() is None:
        now = time.monotonic()
        state = patient.latest_state()
        step = state[1] if state else ''
        if step == 'stand_up' and stand_seen is None:
            stand_seen = now
        if state and state[1] == 'exercise' and state[2] == 'arm_raise' and exercise_seen is None:
            exercise_seen = now
        posture = BodyPosture.STANDING if stand_seen and now - stand_seen > 1.0 \
            else BodyPosture.SITTING
        angle = arm_angle(now - exercise_seen) if exercise_seen else 20.0
        if exercise_seen and not corrupt_sent:
            patient.publish(posture, angle, image_width=0)   # corrupt: must not crash
            corrupt_sent = True
        patient.publish(posture, angle)
        time.sleep(1 / 20)

    assert coach.popen.wait(timeout=10) == 0, 'coach should exit 0 once done (exit_when_done)'
    time.sleep(0.2)
    p = Phrases('nb')
    with patient.lock:
        texts = [text for text, _ in patient.spoken]
        languages = {language for _, language in patient.spoken}
        states = list(patient.states)
    # greeted; asked to stand (after a wake-up call if her sitting was not seen steadily yet)
    assert texts[0] == p.greeting('Kari') and p.stand_up() in texts
    assert [t for t in texts if t in ('én', 'to', 'tre', 'fire', 'fem')] == \
        ['én', 'to', 'tre', 'fire', 'fem']
    assert texts[-1] == p.goodbye('Kari')
    assert languages == {'nb'}
    steps = []
    for _, step, *_rest in states:
        if not steps or steps[-1] != step:
            steps.append(step)
    assert [s for s in steps if s != 'wake'] == \
        ['greet', 'stand_up', 'exercise', 'summary', 'goodbye', 'done']
    counts = [count for _, step, exercise, count, _ in states if step == 'exercise' and exercise]
    # each count once, however often the state was repeated (the heartbeat)
    counts = [c for i, c in enumerate(counts) if i == 0 or c != counts[i - 1]]
    assert counts[:5] == [0, 1, 2, 3, 4]

    with SessionLog(tmp_path / 'sessions.sqlite3', create=False) as log:
        [session] = log.list_sessions('p-sim-0001')
        assert session.outcome == 'completed' and session.exercises == ('arm_raise',)
        assert not session.simulated, 'on the wall clock: a real session'
        [progress] = log.patient_progress('p-sim-0001')
        [arm] = progress.exercises
        assert (arm.counted_reps, arm.target_reps) == (5, 5)
    assert b'Kari' not in (tmp_path / 'sessions.sqlite3').read_bytes(), 'only the pseudonym'
    assert 'Kari' not in coach.log_path.read_text(), 'what is said is not logged by default'


def test_a_person_on_the_floor_gets_an_urgent_message_and_a_caregiver_alert(
        ros_nodes, make_patient, rclpy_node, tmp_path):
    from berntsen_interfaces.msg import BodyPosture, CaregiverAlert
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    alerts = []
    rclpy_node.create_subscription(
        CaregiverAlert, 'caregiver/alert', alerts.append,
        QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                   durability=DurabilityPolicy.TRANSIENT_LOCAL))
    patient = make_patient()
    coach = ros_nodes(_coach(tmp_path, start_delay=0.0))
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and not patient.latest_state():
        patient.publish(BodyPosture.SITTING, 20.0)
        time.sleep(0.05)
    fell_at = time.monotonic()
    while time.monotonic() < fell_at + 10.0 and not alerts:
        patient.publish(BodyPosture.LYING, 20.0, on_floor=True)
        time.sleep(0.05)
    assert alerts, 'no caregiver alert for a person on the floor'
    assert time.monotonic() - fell_at < 3.0
    assert alerts[0].urgent and alerts[0].patient_id == 'p-sim-0001'
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and not patient.urgent_texts():
        time.sleep(0.05)
    assert patient.urgent_texts() == ['Kari, bli liggende der du er. Jeg ringer etter hjelp nå.']
    assert patient.latest_state()[1] == 'help'
    assert coach.poll() is None


def test_session_services(ros_nodes, rclpy_node, tmp_path):
    from berntsen_interfaces.srv import StartSession
    from std_srvs.srv import Trigger

    bad = tmp_path / 'bad.yaml'
    bad.write_text('patient: {name: Kari, id: p-1}\nlanguage: nb\nitems:\n'
                   '  - exercise: cartwheel\n    sets: 1\n    repetitions: 5\n')
    ros_nodes(_coach(tmp_path, autostart=False))
    start = rclpy_node.create_client(StartSession, 'start_session')
    stop = rclpy_node.create_client(Trigger, 'stop_session')
    assert start.wait_for_service(timeout_sec=20) and stop.wait_for_service(timeout_sec=5)

    assert not call(stop, Trigger.Request()).success, 'nothing to stop yet'
    refused = call(start, StartSession.Request(programme_file=str(bad)))
    assert not refused.success and str(bad) in refused.message and 'cartwheel' in refused.message
    started = call(start, StartSession.Request(programme_file='sim_morning'))
    assert started.success and started.session_id
    assert not call(start, StartSession.Request()).success, 'one session at a time'
    assert call(stop, Trigger.Request()).success


def test_pause_and_help_buttons_as_services(ros_nodes, make_patient, rclpy_node, tmp_path):
    import json

    from berntsen_interfaces.msg import CaregiverAlert
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from std_msgs.msg import String
    from std_srvs.srv import SetBool, Trigger

    latched = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
    alerts, trees = [], []
    rclpy_node.create_subscription(CaregiverAlert, 'caregiver/alert', alerts.append, latched)
    rclpy_node.create_subscription(String, 'coach/tree', lambda m: trees.append(
        json.loads(m.data)), latched)
    patient = make_patient()
    ros_nodes(_coach(tmp_path, start_delay=0.0))
    pause = rclpy_node.create_client(SetBool, 'pause_session')
    help_ = rclpy_node.create_client(Trigger, 'request_help')
    assert pause.wait_for_service(timeout_sec=20) and help_.wait_for_service(timeout_sec=5)

    wait_for(lambda: patient.spoken, 20, 'the greeting')
    paused = call(pause, SetBool.Request(data=True))
    assert paused.success and paused.message == 'paused'
    wait_for(lambda: trees and trees[-1]['running'][-1]['behaviour'] == 'Pause', 10,
             'the tree showing the pause')
    assert 'Pause' in trees[-1]['tree'] and 'Kari' not in json.dumps(trees[-1])
    assert call(pause, SetBool.Request(data=False)).message == 'going on'
    helped = call(help_, Trigger.Request())
    assert helped.success, helped.message
    wait_for(lambda: alerts, 10, 'the caregiver alert')
    assert (alerts[-1].reason, alerts[-1].urgent) == ('help_requested', True)
    assert patient.urgent_texts(), 'she is told at once, pre-empting what was said'
    assert not call(pause, SetBool.Request(data=True)).success, 'no pause while help comes'


def test_coach_waits_for_the_speech_server_and_falls_back_to_norwegian(ros_nodes, make_patient,
                                                                        tmp_path):
    from berntsen_coach.paths import package_config
    from berntsen_coach.phrases import Phrases

    programme = tmp_path / 'ola.yaml'
    programme.write_text((package_config() / 'programmes' / 'sim_morning.yaml').read_text()
                         .replace('name: Kari', 'name: Ola'))
    coach = ros_nodes(_coach(tmp_path, programme_file=str(programme), language='sv',
                             start_delay=0.0))
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and 'not available yet' not in coach.log_path.read_text():
        assert coach.poll() is None, 'coach must not exit without a speech server'
        time.sleep(0.2)
    log = coach.log_path.read_text()
    assert "unknown language 'sv'" in log and "speaking the programme's (nb)" in log
    assert 'say: a greeting phrase' in log and 'next: a greeting phrase' in log
    assert 'Ola' not in log, 'the name is spoken, not logged'

    patient = make_patient()   # the speech server comes up late
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and len(patient.spoken) < 1:
        time.sleep(0.1)
    with patient.lock:
        assert patient.spoken[0] == (Phrases('nb').greeting('Ola'), 'nb')
    # Transient-local: the late subscriber still gets the current step.
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and patient.latest_state() is None:
        time.sleep(0.1)
    assert patient.latest_state()[1] in ('greet', 'wake')
    assert coach.poll() is None


def test_coach_carries_on_when_the_speech_server_never_answers(ros_nodes, rclpy_node, tmp_path):
    import rclpy
    from berntsen_interfaces.action import Speak
    from rclpy.action import ActionServer

    # A server nobody spins: discovered, accepts nothing, answers nothing (a hung speech node).
    mute = rclpy.create_node('mute_speech', context=rclpy_node.context)
    server = ActionServer(mute, Speak, 'speak', lambda goal_handle: Speak.Result())
    try:
        coach = ros_nodes(_coach(tmp_path, start_delay=0.0, speech_timeout=1.0))
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline and 'step: wake' not in coach.log_path.read_text():
            time.sleep(0.2)
        log = coach.log_path.read_text()
        assert 'no result from the speech server 1 s after a greeting phrase' in log
        assert 'say: a wake phrase' in log and 'step: wake' in log
        assert coach.poll() is None
    finally:
        server.destroy()
        mute.destroy_node()


def test_the_coach_repeats_its_state_and_says_in_diagnostics_what_it_does(
        ros_nodes, make_patient, rclpy_node, tmp_path):
    from berntsen_interfaces.msg import BodyPosture, CoachState
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    lock = threading.Lock()
    states, statuses = [], []

    def on_state(msg):
        with lock:
            states.append((time.monotonic(), msg.header.stamp.sec + msg.header.stamp.nanosec
                           * 1e-9, msg.step, msg.motion_allowed))

    def on_diagnostics(msg):
        with lock:
            statuses.extend((time.monotonic(), s) for s in msg.status if s.name.startswith('coach'))

    rclpy_node.create_subscription(CoachState, 'coach/state', on_state, QoSProfile(
        depth=10, reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL))
    rclpy_node.create_subscription(DiagnosticArray, '/diagnostics', on_diagnostics, 10)
    patient = make_patient()
    ros_nodes(_coach(tmp_path, start_delay=0.0))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (patient.latest_state() is None
                                           or patient.latest_state()[1] != 'exercise'):
        patient.publish(BodyPosture.STANDING, 20.0)
        time.sleep(0.05)
    assert patient.latest_state()[1] == 'exercise'
    # The person drops out of view during the exercise: nothing is published for 4 s.
    quiet_from = time.monotonic()
    time.sleep(4.0)
    with lock:
        quiet = [s for s in states if s[0] > quiet_from]
        last = [(t, s) for t, s in statuses if t > quiet_from][-1][1]
    # the same state again and again, each stamped when sent: a live coach
    assert len(quiet) >= 4 and {s[2] for s in quiet} == {'exercise'}
    assert all(b[1] - a[1] <= 1.0 for a, b in zip(quiet, quiet[1:])), 'at least once a second'
    now = rclpy_node.get_clock().now().nanoseconds * 1e-9
    assert now - quiet[-1][1] < 1.5 and not quiet[-1][3], 'fresh, and forbids motion'

    values = {kv.key: kv.value for kv in last.values}
    assert last.level == DiagnosticStatus.WARN
    assert last.message.startswith('step exercise: no skeleton of the person for ')
    assert values['step'] == 'exercise' and values['exercise'] == 'arm_raise'
    assert values['session_id'].isdigit()
    assert float(values['seconds_since_skeleton']) > 2.0
    assert values['speech_requests_pending'].isdigit()
    assert values['approach'] == 'disabled'
    with lock:
        every_text = [t for _, s in statuses for t in
                      [s.message, s.name] + [kv.value for kv in s.values]]
        earlier = [s for t, s in statuses if t < quiet_from]
    assert not any('Kari' in text for text in every_text), "never the patient's name"
    assert earlier and earlier[0].level == DiagnosticStatus.OK


def test_log_utterances_writes_what_is_said_into_the_log_for_debugging(ros_nodes, tmp_path):
    coach = ros_nodes(_coach(tmp_path, start_delay=0.0, log_utterances=True))
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and 'say:' not in coach.log_path.read_text():
        time.sleep(0.2)
    assert 'say: "God morgen, Kari!' in coach.log_path.read_text()


def test_a_coach_killed_mid_set_leaves_a_session_the_next_start_closes_as_interrupted(
        ros_nodes, make_patient, tmp_path):
    import signal

    from berntsen_interfaces.msg import BodyPosture
    from berntsen_coach.session_log import SessionLog

    patient = make_patient()
    coach = ros_nodes(_coach(tmp_path, start_delay=0.5))
    stand_seen = exercise_seen = None
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        now = time.monotonic()
        state = patient.latest_state()
        if state and state[1] == 'stand_up' and stand_seen is None:
            stand_seen = now
        if state and state[1] == 'exercise' and state[2] and exercise_seen is None:
            exercise_seen = now
        if state and state[1] == 'exercise' and state[3] >= 2:
            break   # two repetitions counted: the coach dies now
        posture = BodyPosture.STANDING if stand_seen and now - stand_seen > 1.0 \
            else BodyPosture.SITTING
        patient.publish(posture, arm_angle(now - exercise_seen) if exercise_seen else 20.0)
        time.sleep(1 / 20)
    assert patient.latest_state()[3] >= 2, 'the coach counted two repetitions'
    coach.signal(signal.SIGKILL)
    coach.popen.wait(timeout=10)

    again = ros_nodes(_coach(tmp_path, start_delay=0.0))
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline and 'session for patient' not in again.log_path.read_text():
        time.sleep(0.2)
    with SessionLog(tmp_path / 'sessions.sqlite3', create=False) as log:
        first, second = log.list_sessions('p-sim-0001')
        assert first.outcome == 'interrupted' and first.ended is not None
        [progress] = [p for p in log.patient_progress('p-sim-0001') if p.session_id == first.id]
        assert progress.exercises[0].counted_reps >= 2, 'its repetitions are kept'
        assert second.outcome is None
        assert ('closed_interrupted', {'sessions': [first.id]}) in [
            (kind, detail) for _, kind, detail in log.events(second.id)]


def test_a_coach_stopped_while_it_sees_nothing_records_an_error_naming_the_part(
        ros_nodes, make_patient, tmp_path):
    import signal

    from berntsen_coach.session_log import SessionLog
    from berntsen_interfaces.msg import BodyPosture

    patient = make_patient()
    coach = ros_nodes(_coach(tmp_path, start_delay=0.5, perception_timeout=1.0))
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        state = patient.latest_state()
        if state and state[1] == 'stand_up':
            break
        patient.publish(BodyPosture.SITTING, 20.0)
        time.sleep(1 / 20)
    assert patient.latest_state()[1] == 'stand_up'
    # the pose node goes quiet (nothing on /humans/bodies/tracked), then the run is stopped
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and 'the camera or the pose node is down' \
            not in coach.log_path.read_text():
        time.sleep(0.2)
    coach.signal(signal.SIGINT)
    assert coach.popen.wait(timeout=15) == 0
    with SessionLog(tmp_path / 'sessions.sqlite3', create=False) as log:
        [session] = log.list_sessions('p-sim-0001')
        assert session.outcome == 'error'
        [detail] = [d for _, kind, d in log.events(session.id) if kind == 'session_stopped']
        assert detail['fault'] == 'pose or camera'


def test_a_speech_node_that_dies_mid_phrase_is_not_waited_for_and_a_long_outage_is_reported(
        ros_nodes, rclpy_node, tmp_path):
    import rclpy
    from berntsen_interfaces.action import Speak
    from berntsen_interfaces.msg import CaregiverAlert
    from rclpy.action import ActionServer
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    alerts = []
    rclpy_node.create_subscription(
        CaregiverAlert, 'caregiver/alert', lambda m: alerts.append(m.reason),
        QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                   durability=DurabilityPolicy.TRANSIENT_LOCAL))
    # a speech server that takes the greeting and then dies without a word (nobody spins it)
    mute = rclpy.create_node('dying_speech', context=rclpy_node.context)
    server = ActionServer(mute, Speak, 'speak', lambda goal_handle: Speak.Result())
    coach = ros_nodes(_coach(tmp_path, start_delay=0.0, speech_timeout=120.0,
                             speech_alert_after=3.0))
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and 'say: a greeting phrase' not in coach.log_path.read_text():
        time.sleep(0.2)
    time.sleep(1.0)
    server.destroy()
    mute.destroy_node()
    died = time.monotonic()
    while time.monotonic() < died + 20.0 and 'speech_unavailable' not in alerts:
        time.sleep(0.2)
    log = coach.log_path.read_text()
    assert 'speech server gone; 1 phrase(s) it was saying are lost; carrying on' in log
    assert 'step: wake' in log, 'the routine went on without waiting 120 s for the lost phrase'
    assert alerts == ['speech_unavailable'], 'a caregiver is told the robot cannot speak'
    assert coach.poll() is None
