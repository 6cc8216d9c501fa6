"""Scenario tests: the whole graph over DDS against the MuJoCo virtual patient.

Each test runs `berntsen sim --scenario NAME` (the README's command) and, next to it, a
probe node that records the simulator's ground truth (sim/truth/*) and what the robot did
(coach state and events, caregiver alerts, speech). The assertions are on the truth: what
the virtual patient really did, where the robot really was.
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import wave
from dataclasses import dataclass, field

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.ros]

LATCHED_DEPTH = 10


@dataclass
class Recording:
    """Everything the probe heard, each with the wall-clock time it arrived."""

    posture: list = field(default_factory=list)        # (t, 'sitting')
    repetitions: list = field(default_factory=list)    # (t, n)
    distance: list = field(default_factory=list)       # (t, m)
    clearance: list = field(default_factory=list)      # (t, m)
    contact: list = field(default_factory=list)        # (t, geom name or '')
    speed: list = field(default_factory=list)          # (t, |v| m/s of the true base)
    position: list = field(default_factory=list)       # (t, x, y) of the true base
    steps: list = field(default_factory=list)          # (t, coach step)
    events: list = field(default_factory=list)         # (t, kind, detail dict)
    alerts: list = field(default_factory=list)         # (t, reason, urgent)
    said: list = field(default_factory=list)           # (t, text)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name, *item):
        with self.lock:
            getattr(self, name).append((time.monotonic(), *item))

    def first(self, name, predicate):
        with self.lock:
            return next((item for item in getattr(self, name) if predicate(item)), None)

    def truth_per_set(self):
        """Completed repetitions per set: the sim's count restarts at 0 with each new set."""
        sets, current = [], None
        for _, n in self.repetitions:
            if n == 0:
                current = None
            elif current is None:
                sets.append(n)
                current = len(sets) - 1
            else:
                sets[current] = max(sets[current], n)
        return sets

    def counted_per_set(self):
        counted = {}
        for _, kind, detail in self.events:
            if kind == 'repetition' and 'exercise' in detail:
                key = (detail['exercise'], detail['set'])
                counted[key] = max(counted.get(key, 0), detail['number'])
        return list(counted.values())


def subscribe_everything(node, rec: Recording):
    from nav_msgs.msg import Odometry
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from std_msgs.msg import Float64, String, UInt32

    from berntsen_interfaces.msg import (
        CaregiverAlert,
        CoachState,
        SessionEvent,
        SpeechStatus,
    )

    latched = QoSProfile(depth=LATCHED_DEPTH, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
    stream = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
    subs = [
        (String, 'sim/truth/posture', latched, lambda m: rec.add('posture', m.data)),
        (UInt32, 'sim/truth/repetitions', latched, lambda m: rec.add('repetitions', m.data)),
        (Float64, 'sim/truth/patient_distance', stream, lambda m: rec.add('distance', m.data)),
        (Float64, 'sim/truth/clearance', stream, lambda m: rec.add('clearance', m.data)),
        (String, 'sim/truth/contact', latched, lambda m: rec.add('contact', m.data)),
        (Odometry, 'sim/truth/odom', stream, lambda m: (
            rec.add('speed', math.hypot(m.twist.twist.linear.x, m.twist.twist.linear.y)),
            rec.add('position', m.pose.pose.position.x, m.pose.pose.position.y))),
        (CoachState, 'coach/state', latched, lambda m: rec.add('steps', m.step)),
        (SessionEvent, 'coach/events', stream,
         lambda m: rec.add('events', m.kind, json.loads(m.detail or '{}'))),
        (CaregiverAlert, 'caregiver/alert', latched,
         lambda m: rec.add('alerts', m.reason, m.urgent)),
        (SpeechStatus, 'speech/status', latched,
         lambda m: m.speaking and m.text and rec.add('said', m.text)),
    ]
    return [node.create_subscription(t, name, cb, qos) for t, name, qos, cb in subs]


class ScenarioRun:
    """`berntsen sim --scenario NAME` in its own process group, with a probe recording."""

    def __init__(self, scenario, probe, run_dir, extra_args=()):
        self.marker = uuid.uuid4().hex
        self.run_dir = run_dir
        self.rec = Recording()
        self._subs = subscribe_everything(probe, self.rec)
        env = dict(os.environ, BERNTSEN_TEST_MARKER=self.marker)
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'berntsen_bringup.cli', 'sim', '--scenario', scenario,
             '--run-dir', str(run_dir), *extra_args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.output = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)

    @property
    def text(self):
        return ''.join(self.output)

    def wait(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.stop()
        self._reader.join(timeout=5)
        print(self.text)
        return self.proc.returncode

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        print(self.text)
        pytest.fail(f'{what}: not seen within {timeout:.0f} s')

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def run_scenario(rclpy_node, tmp_path):
    runs = []

    def start(name, *extra_args):
        run = ScenarioRun(name, rclpy_node, tmp_path / name, extra_args)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.stop()


def _scenario(name):
    from berntsen_sim.scenario import load_scenario
    return load_scenario(name)


def _programme_targets(scenario):
    from berntsen_coach.coach_node import package_config, resolve_programme
    from berntsen_coach.exercises import load_exercises
    from berntsen_coach.programme import ExerciseItem, load_programme

    programme = load_programme(resolve_programme(scenario.programme),
                               load_exercises(package_config() / 'exercises.yaml'))
    return [item.repetitions for item in programme.items if isinstance(item, ExerciseItem)
            for _ in range(item.sets)]


def _assert_every_set_counted_exactly(run, scenario):
    targets = _programme_targets(scenario)
    truth = run.rec.truth_per_set()
    assert truth == targets, f'the virtual patient did {truth}, the programme asks {targets}'
    assert run.rec.counted_per_set() == truth


def test_cooperative_session_counts_every_set_exactly(run_scenario):
    scenario = _scenario('cooperative_morning')
    run = run_scenario('cooperative_morning')
    assert run.wait(scenario.timeout + 60) == 0, run.text[-3000:]
    _assert_every_set_counted_exactly(run, scenario)
    assert run.rec.steps[-1][1] == 'done'
    assert not run.rec.alerts
    assert 'Kari' in run.rec.said[0][1], 'the robot greets the patient by name first'
    wavs = sorted((run.run_dir / 'speech').glob('*.wav'))
    assert len(wavs) >= len(run.rec.said), 'every utterance was rendered to a WAV file'
    with wave.open(str(wavs[0])) as w:
        assert w.getnframes() / w.getframerate() > 0.5, 'the greeting holds real audio'
    assert 'OK: the routine ended in step "done", as scenario cooperative_morning expects' \
        in run.text


def test_seen_from_the_side_every_set_is_counted_exactly(run_scenario):
    scenario = _scenario('side_view')
    run = run_scenario('side_view')
    assert run.wait(scenario.timeout + 60) == 0, run.text[-3000:]
    _assert_every_set_counted_exactly(run, scenario)
    assert run.rec.steps[-1][1] == 'done' and not run.rec.alerts


def test_slow_patient_is_reprompted_and_completes(run_scenario):
    scenario = _scenario('slow_patient')
    run = run_scenario('slow_patient')
    assert run.wait(scenario.timeout + 60) == 0, run.text[-3000:]
    reprompts = [e for e in run.rec.events if e[1] == 'reprompt']
    assert reprompts, 'the slow patient was asked again'
    # truth: each re-prompt came while the patient had not yet done what was asked
    for t, _, detail in reprompts:
        before = [p for pt, p in run.rec.posture if pt <= t]
        assert before and before[-1] != {'sit_up': 'sitting', 'stand_up': 'standing'}.get(
            detail.get('step')), f're-prompted at {detail} after the patient had already done it'
    _assert_every_set_counted_exactly(run, scenario)


def test_unresponsive_patient_brings_a_caregiver_within_the_patience(run_scenario):
    scenario = _scenario('unresponsive')
    patience = float(scenario.coach['patience'])
    run = run_scenario('unresponsive')
    assert run.wait(scenario.timeout + 60) == 0, run.text[-3000:]
    step_entered = run.rec.first('steps', lambda s: s[1] in ('sit_up', 'stand_up'))
    assert step_entered is not None
    alert = run.rec.first('alerts', lambda a: True)
    assert alert is not None, 'a caregiver was alerted'
    assert not alert[2], 'not responding is not an emergency'
    # patience runs from the step's first prompt, which is spoken after the step begins
    assert alert[0] - step_entered[0] <= patience + 10.0
    assert alert[0] - step_entered[0] >= patience
    assert {p for _, p in run.rec.posture} == {'sitting'}, 'truth: the patient never moved'
    assert run.rec.steps[-1][1] == 'no_response'


def test_fall_brings_urgent_words_and_alert_within_3_s(run_scenario):
    from berntsen_coach.phrases import Phrases

    run = run_scenario('fall')
    run.wait_for(lambda: run.rec.first('posture', lambda p: p[1] == 'lying_on_floor'), 120,
                 'the virtual patient falling')
    fell = run.rec.first('posture', lambda p: p[1] == 'lying_on_floor')[0]
    run.wait_for(lambda: run.rec.first('alerts', lambda a: a[2]), 10, 'the urgent alert')
    urgent_alert = run.rec.first('alerts', lambda a: a[2])[0]
    assert urgent_alert - fell <= 3.0
    urgent_words = Phrases('nb').text('floor_urgent', name='Kari')
    run.wait_for(lambda: run.rec.first('said', lambda s: s[1] == urgent_words), 10,
                 'the urgent words')
    spoken = run.rec.first('said', lambda s: s[1] == urgent_words)[0]
    assert spoken - fell <= 3.0
    assert run.wait(60) == 0, run.text[-3000:]


def test_approach_stops_at_the_distance_without_touching_anything(run_scenario):
    scenario = _scenario('approach')
    distance = float(scenario.coach['approach_distance'])
    run = run_scenario('approach')
    assert run.wait(scenario.timeout + 60) == 0, run.text[-3000:]
    rec = run.rec
    start = rec.distance[0][1]
    arrived = rec.first('events', lambda e: e[1] == 'arrived')
    assert arrived is not None, 'the robot arrived'
    at_arrival = [d for t, d in rec.distance if t <= arrived[0]][-1]
    assert start - at_arrival > 1.0, 'the robot drove towards the patient'
    # at the distance, or a little beyond: the estimate errs on the far side on purpose
    assert distance - 0.10 <= at_arrival <= distance + 0.40
    # afterwards the patient stands up and comes closer herself; the robot stays put
    while_driving = [d for t, d in rec.distance if t <= arrived[0] + 1.0]
    assert min(while_driving) >= distance - 0.10, 'never closer than the configured distance'
    assert all(not touched for _, touched in rec.contact), rec.contact
    assert min(c for _, c in rec.clearance) > 0.2
    # no motion at all after the approach (the rest of the session is exercise)
    after = [s for t, s in rec.speed if t > arrived[0] + 1.0]
    assert after and max(after) < 0.01
    _assert_every_set_counted_exactly(run, scenario)


def test_e_stop_during_the_approach_stops_the_robot(run_scenario, rclpy_node):
    from std_msgs.msg import Bool

    run = run_scenario('approach')
    rec = run.rec
    run.wait_for(lambda: len(rec.distance) > 1, 120, 'the simulator')
    start = rec.distance[0][1]
    run.wait_for(lambda: start - rec.distance[-1][1] > 0.3, 120, 'the robot driving')
    e_stop = rclpy_node.create_publisher(Bool, 'e_stop', 10)
    pressed = time.monotonic()
    e_stop.publish(Bool(data=True))
    time.sleep(6.0)
    stopped_by = [t for t, s in rec.speed if t > pressed and s < 0.01]
    assert stopped_by and stopped_by[0] - pressed < 0.5, 'wheels stopped within 0.5 s'
    settled = [(x, y) for t, x, y in rec.position if t > pressed + 0.5]
    assert math.dist(settled[0], settled[-1]) < 0.02, 'and the robot stays where it stopped'
    assert rec.first('events', lambda e: e[1] == 'approach_failed'), 'the coach gave up driving'
    assert all(not touched for _, touched in rec.contact)
    run.stop()


def test_patient_lying_down_again_is_helped_up_and_completes(run_scenario):
    scenario = _scenario('lies_down_again')
    run = run_scenario('lies_down_again')
    assert run.wait(scenario.timeout + 60) == 0, run.text[-3000:]
    postures = [p for _, p in run.rec.posture]
    collapsed = [p for i, p in enumerate(postures) if i == 0 or p != postures[i - 1]]
    assert collapsed[:4] == ['lying', 'sitting', 'lying', 'sitting'], collapsed
    assert any(e[1] == 'lay_down_again' for e in run.rec.events), 'the coach noticed'
    _assert_every_set_counted_exactly(run, scenario)
