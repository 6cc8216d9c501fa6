"""The coach node in its own process against a test-side fake speech server and fake pose
node: it greets, sees the person stand, counts five synthetic arm raises and ends."""
import threading
import time

import pytest

from coach_synthetic import HEIGHT, WIDTH, arm_skeleton

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
        goal_handle.succeed()
        return Speak.Result(success=True, error='', duration=0.5, output='log')

    def _on_state(self, msg):
        with self.lock:
            self.states.append((msg.routine, msg.step, msg.exercise, msg.count, msg.target))

    def latest_state(self):
        with self.lock:
            return self.states[-1] if self.states else None

    def publish(self, posture, angle, image_width=WIDTH):
        stamp = self.node.get_clock().now().to_msg()
        # A second, unusable id ('bad id' is no valid topic name) must be skipped safely.
        self.tracked_pub.publish(self.msgs['IdsList'](ids=['bad id', BODY_ID]))
        p = self.msgs['BodyPosture'](body_id=BODY_ID, posture=posture, confidence=0.9)
        p.header.stamp = stamp
        self.posture_pub.publish(p)
        s = self.msgs['Skeleton2D'](body_id=BODY_ID, image_width=image_width, image_height=HEIGHT)
        s.header.stamp = stamp
        for lm, (x, y, v) in zip(s.landmarks, arm_skeleton(angle)):
            lm.x, lm.y, lm.visibility = x, y, v
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


def test_coach_runs_the_morning_routine(ros_nodes, make_patient):
    from berntsen_bringup.processes import NodeProcessSpec
    from berntsen_interfaces.msg import BodyPosture
    from berntsen_coach.phrases import Phrases

    patient = make_patient()
    coach = ros_nodes(NodeProcessSpec(
        module='berntsen_coach.coach_node', name='coach',
        params={'patient_name': 'Kari', 'start_delay': 0.5, 'exit_when_done': True}))

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
    assert texts == [p.greeting('Kari'), p.stand_up(), p.exercise_intro('arm_raise', 5),
                     'én', 'to', 'tre', 'fire', 'fem', p.praise(), p.goodbye('Kari')]
    assert languages == {'nb'}
    steps = []
    for _, step, *_rest in states:
        if not steps or steps[-1] != step:
            steps.append(step)
    assert steps == ['greet', 'stand_up', 'exercise', 'goodbye', 'done']
    assert states[-1] == ('morning', 'done', 'arm_raise', 5, 5)
    counts = [count for _, step, exercise, count, _ in states if step == 'exercise' and exercise]
    assert counts == [0, 1, 2, 3, 4]
    log = coach.log_path.read_text()
    assert 'say: "God morgen, Kari!' in log and 'count: 5/5' in log


def test_coach_waits_for_the_speech_server_and_falls_back_to_norwegian(ros_nodes, make_patient):
    from berntsen_bringup.processes import NodeProcessSpec
    from berntsen_coach.phrases import Phrases

    coach = ros_nodes(NodeProcessSpec(
        module='berntsen_coach.coach_node', name='coach',
        params={'patient_name': 'Ola', 'language': 'sv', 'start_delay': 0.0}))
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and 'not available yet' not in coach.log_path.read_text():
        assert coach.poll() is None, 'coach must not exit without a speech server'
        time.sleep(0.2)
    log = coach.log_path.read_text()
    assert "unknown language 'sv'" in log and 'speaking nb instead' in log
    assert 'say: "God morgen, Ola!' in log and 'not available yet' in log

    patient = make_patient()   # the speech server comes up late
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and len(patient.spoken) < 2:
        time.sleep(0.1)
    with patient.lock:
        assert patient.spoken[:2] == [(Phrases('nb').greeting('Ola'), 'nb'),
                                      (Phrases('nb').stand_up(), 'nb')]
    # Transient-local: the late subscriber still gets the current step.
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and patient.latest_state() is None:
        time.sleep(0.1)
    assert patient.latest_state() == ('morning', 'stand_up', '', 0, 0)
    assert coach.poll() is None


def test_coach_carries_on_when_the_speech_server_never_answers(ros_nodes, rclpy_node):
    import rclpy
    from berntsen_bringup.processes import NodeProcessSpec
    from berntsen_interfaces.action import Speak
    from rclpy.action import ActionServer

    # A server nobody spins: discovered, accepts nothing, answers nothing (a hung speech node).
    mute = rclpy.create_node('mute_speech', context=rclpy_node.context)
    server = ActionServer(mute, Speak, 'speak', lambda goal_handle: Speak.Result())
    try:
        coach = ros_nodes(NodeProcessSpec(
            module='berntsen_coach.coach_node', name='coach',
            params={'start_delay': 0.0, 'speech_timeout': 1.0}))
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline and 'step: stand_up' not in coach.log_path.read_text():
            time.sleep(0.2)
        log = coach.log_path.read_text()
        assert 'no result from the speech server 1 s after "God morgen, Kari!' in log
        assert 'say: "Nå skal vi stå opp.' in log and 'step: stand_up' in log
        assert coach.poll() is None
    finally:
        server.destroy()
        mute.destroy_node()
