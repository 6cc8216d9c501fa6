"""The speech node over DDS: Speak goals become WAV files, in order; status; cancel."""
import re
import time
from pathlib import Path

import pytest

from berntsen_bringup.processes import NodeProcessSpec

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f'timed out after {timeout} s waiting for {what}')


def start_speech(ros_nodes, tmp_path, **params):
    wav_dir = tmp_path / 'speech'
    start_speech.process = ros_nodes(NodeProcessSpec(module='berntsen_drivers.speech_node', name='speech',
                              params={'output': 'wav', 'wav_dir': str(wav_dir), 'pace': True, **params}))
    return wav_dir


def make_client(node):
    from rclpy.action import ActionClient
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    from berntsen_interfaces.action import Speak
    from berntsen_interfaces.msg import SpeechStatus

    statuses = []
    qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    node.create_subscription(SpeechStatus, 'speech/status', statuses.append, qos)
    client = ActionClient(node, Speak, 'speak')
    assert client.wait_for_server(timeout_sec=20), 'speak action server did not appear'
    # The client sees the server before the server has matched the client's response reader
    # (discovery is not symmetric); an answer sent in between is lost. Seen here under load.
    time.sleep(0.5)
    return client, statuses, Speak


def send(client, Speak, text, language='', feedback=None):
    future = client.send_goal_async(Speak.Goal(text=text, language=language), feedback_callback=feedback)
    wait_for(future.done, 10, f'goal {text!r} to be answered')
    handle = future.result()
    assert handle.accepted
    return handle


def test_two_goals_give_two_wavs_in_order(ros_nodes, rclpy_node, tmp_path):
    from action_msgs.msg import GoalStatus

    wav_dir = start_speech(ros_nodes, tmp_path)
    client, statuses, Speak = make_client(rclpy_node)
    feedback = []
    first = send(client, Speak, 'God morgen, Kari.', feedback=lambda f: feedback.append(('first', f.feedback.state)))
    second = send(client, Speak, 'Good morning.', 'en',
                  feedback=lambda f: feedback.append(('second', f.feedback.state)))
    results = [first.get_result_async(), second.get_result_async()]
    wait_for(lambda: all(r.done() for r in results), 20, 'both results')
    answers = [r.result() for r in results]
    assert [a.status for a in answers] == [GoalStatus.STATUS_SUCCEEDED] * 2
    outputs = [Path(a.result.output) for a in answers]
    for answer, path in zip(answers, outputs):
        assert answer.result.success and answer.result.error == ''
        assert path.parent == wav_dir and path.is_file()
        assert 0.5 < answer.result.duration < 4.0
    # named by time, language and number: the text (here the patient's name) is spoken, not written
    assert re.fullmatch(r'\d{8}-\d{6}-\d{3}-nb-\d+\.wav', outputs[0].name)
    assert re.fullmatch(r'\d{8}-\d{6}-\d{3}-en-\d+\.wav', outputs[1].name)
    assert sorted(p.name for p in wav_dir.iterdir()) == [p.name for p in outputs]
    assert ('second', 'queued') in feedback and ('first', 'speaking') in feedback
    assert feedback.index(('first', 'speaking')) < feedback.index(('second', 'speaking'))
    # status: idle at start (transient local), then speaking each text, then idle again
    wait_for(lambda: statuses and not statuses[-1].speaking, 5, 'idle status')
    spoken = [s.text for s in statuses if s.speaking]
    assert spoken[0] == 'God morgen, Kari.' and spoken[-1] == 'Good morning.'
    assert any(s.speaking and s.language == 'en' for s in statuses)
    assert statuses[-1].text == '' and statuses[-1].queued == 0


def test_cancel_a_queued_goal(ros_nodes, rclpy_node, tmp_path):
    from action_msgs.msg import GoalStatus

    wav_dir = start_speech(ros_nodes, tmp_path)
    client, _, Speak = make_client(rclpy_node)
    first = send(client, Speak, 'Dette er en ganske lang setning som tar litt tid å si høyt.')
    second = send(client, Speak, 'Denne blir aldri sagt.')
    cancel = second.cancel_goal_async()
    wait_for(cancel.done, 5, 'cancel response')
    assert len(cancel.result().goals_canceling) == 1
    results = [first.get_result_async(), second.get_result_async()]
    wait_for(lambda: all(r.done() for r in results), 20, 'both results')
    assert results[0].result().status == GoalStatus.STATUS_SUCCEEDED
    assert results[1].result().status == GoalStatus.STATUS_CANCELED
    assert not results[1].result().result.success
    assert [p.name for p in wav_dir.iterdir()] == [Path(results[0].result().result.output).name]


def test_unknown_language_and_empty_text(ros_nodes, rclpy_node, tmp_path):
    start_speech(ros_nodes, tmp_path, output='log')
    client, _, Speak = make_client(rclpy_node)
    future = client.send_goal_async(Speak.Goal(text='  '))
    wait_for(future.done, 10, 'empty goal answer')
    assert not future.result().accepted
    handle = send(client, Speak, 'Hei', 'klingon')
    result = handle.get_result_async()
    wait_for(result.done, 10, 'result')
    assert result.result().result.success and result.result().result.output == 'log'


def test_cancel_while_speaking_stops_at_once(ros_nodes, rclpy_node, tmp_path):
    from action_msgs.msg import GoalStatus

    start_speech(ros_nodes, tmp_path, output='wav')  # paced: "speaks" for the audio's duration
    client, statuses, Speak = make_client(rclpy_node)
    feedback = []
    handle = send(client, Speak, 'Dette er en lang setning, og den blir avbrutt lenge før den er ferdig sagt.',
                  feedback=lambda f: feedback.append(f.feedback))
    wait_for(lambda: any(f.state == 'speaking' and f.elapsed > 0.3 for f in feedback), 15, 'speaking feedback')
    cancelled_at = time.monotonic()
    result = handle.get_result_async()
    handle.cancel_goal_async()
    wait_for(result.done, 5, 'result')
    assert time.monotonic() - cancelled_at < 2.5  # the audio lasts about 5 s
    assert result.result().status == GoalStatus.STATUS_CANCELED
    wait_for(lambda: not statuses[-1].speaking, 2, 'idle status')


def test_shutdown_with_goals_waiting_is_clean(ros_nodes, rclpy_node, tmp_path):
    start_speech(ros_nodes, tmp_path, output='wav')
    client, _, Speak = make_client(rclpy_node)
    feedback = []
    send(client, Speak, 'Den første setningen er ganske lang, så de andre må vente.',
         feedback=lambda f: feedback.append(f.feedback.state))
    for text in ('Andre.', 'Tredje.'):
        send(client, Speak, text)
    wait_for(lambda: 'speaking' in feedback, 5, 'speaking')
    node = start_speech.process
    node.signal(2)
    assert node.popen.wait(5) == 0
    log = node.log_path.read_text()
    assert 'Traceback' not in log and 'Error' not in log


def test_urgent_goal_preempts_the_one_speaking_and_plays_before_the_queue(ros_nodes, rclpy_node, tmp_path):
    from action_msgs.msg import GoalStatus

    start_speech(ros_nodes, tmp_path, output='wav', max_queue=1)  # paced: "speaks" for the audio's duration
    client, statuses, Speak = make_client(rclpy_node)
    feedback = []
    long_text = 'Dette er en lang setning, og den blir avbrutt av noe som haster mye mer enn den.'
    first = send(client, Speak, long_text, feedback=lambda f: feedback.append(f.feedback))
    wait_for(lambda: any(f.state == 'speaking' and f.elapsed > 0.3 for f in feedback), 15, 'speaking feedback')
    queued = send(client, Speak, 'Så trener vi litt.')
    future = client.send_goal_async(Speak.Goal(text='Bli der du er, jeg ringer etter hjelp.', urgent=True))
    sent_at = time.monotonic()
    wait_for(future.done, 10, 'urgent goal to be answered')
    urgent = future.result()
    assert urgent.accepted  # although the queue (max_queue 1) is full
    results = [h.get_result_async() for h in (first, urgent, queued)]
    wait_for(results[0].done, 5, 'pre-empted result')
    assert time.monotonic() - sent_at < 2.5  # the long sentence lasts about 5 s
    wait_for(lambda: all(r.done() for r in results), 20, 'all results')
    answers = [r.result() for r in results]
    assert answers[0].status == GoalStatus.STATUS_ABORTED
    assert not answers[0].result.success and 'pre-empted' in answers[0].result.error
    assert [a.status for a in answers[1:]] == [GoalStatus.STATUS_SUCCEEDED] * 2
    assert Path(answers[1].result.output).is_file() and Path(answers[2].result.output).is_file()
    # one at a time (idle between: each stopped before the next started), urgent before the queued one
    wait_for(lambda: statuses and not statuses[-1].speaking, 5, 'idle status')
    runs = []
    for status in statuses:
        text = status.text if status.speaking else ''
        if not runs or runs[-1] != text:
            runs.append(text)
    assert runs == ['', long_text, '', 'Bli der du er, jeg ringer etter hjelp.', '', 'Så trener vi litt.', '']


@pytest.fixture
def speech_in_process(tmp_path):
    """A SpeechNode in this process, on its own context, spun by one SingleThreadedExecutor."""
    import threading

    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter

    from berntsen_drivers.speech_node import SpeechNode

    context = rclpy.Context()
    rclpy.init(context=context)
    node = SpeechNode(context=context, parameter_overrides=[
        Parameter('output', value='wav'), Parameter('wav_dir', value=str(tmp_path / 'speech'))])
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()

    def stop_spinning():
        executor.shutdown()
        thread.join(timeout=5)

    yield node, stop_spinning
    stop_spinning()
    node.destroy_node()
    # Node.destroy_node() leaves action servers, and a shut-down context keeps its DDS
    # participant until destroyed: a 'speak' server that never answers would stay visible
    # and take the next test's goals (seen: one run in two of the diagnostics test).
    node._action_server.destroy()
    rclpy.try_shutdown(context=context)
    context.destroy()


def test_one_executor_thread_takes_goals_and_cancels_while_speaking(speech_in_process, rclpy_node):
    # the execute callback of the utterance being spoken must not hold the executor's thread
    from action_msgs.msg import GoalStatus

    client, _, Speak = make_client(rclpy_node)
    feedback = []
    first = send(client, Speak, 'Dette er en lang setning, og den blir avbrutt lenge før den er ferdig sagt.',
                 feedback=lambda f: feedback.append(f.feedback))
    wait_for(lambda: any(f.state == 'speaking' and f.elapsed > 0.3 for f in feedback), 15, 'speaking feedback')
    second = send(client, Speak, 'Neste.')
    cancel = first.cancel_goal_async()
    wait_for(cancel.done, 5, 'cancel response')
    results = [first.get_result_async(), second.get_result_async()]
    wait_for(lambda: all(r.done() for r in results), 10, 'both results')
    assert [r.result().status for r in results] == [GoalStatus.STATUS_CANCELED, GoalStatus.STATUS_SUCCEEDED]
    elapsed = [f.elapsed for f in feedback if f.state == 'speaking']
    assert elapsed == sorted(elapsed) and len(elapsed) >= 2  # feedback went on while speaking


def test_destroying_the_node_aborts_the_goal_being_spoken(speech_in_process, rclpy_node, capfd):
    # as main() does after spinning: it ends ABORTED, and the action server logs no error
    from action_msgs.msg import GoalStatus

    node, stop_spinning = speech_in_process
    client, _, Speak = make_client(rclpy_node)
    feedback = []
    speaking = send(client, Speak, 'Den første setningen er ganske lang, så den andre må vente.',
                    feedback=lambda f: feedback.append(f.feedback.state))
    waiting = send(client, Speak, 'Andre.')
    wait_for(lambda: 'speaking' in feedback, 10, 'speaking')
    stop_spinning()
    node.destroy_node()
    wait_for(lambda: speaking.status == GoalStatus.STATUS_ABORTED, 5, 'the goal being spoken aborted')
    assert waiting.status == GoalStatus.STATUS_ACCEPTED
    output = capfd.readouterr()
    assert 'Failed' not in output.err + output.out and 'not set' not in output.err + output.out


def test_diagnostics_tell_the_engine_queue_and_counts_but_not_the_text(ros_nodes, rclpy_node, tmp_path):
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

    start_speech(ros_nodes, tmp_path, output='wav')
    reports = []
    rclpy_node.create_subscription(
        DiagnosticArray, '/diagnostics',
        lambda msg: reports.extend(s for s in msg.status if s.name == 'speech: speech output'), 10)
    client, _, Speak = make_client(rclpy_node)
    text = 'God morgen, Kari. Nå skal vi stå opp.'
    handle = send(client, Speak, text)
    wait_for(lambda: any(r.message == 'speaking (nb)' for r in reports), 10, 'a report while speaking')
    result = handle.get_result_async()
    wait_for(result.done, 15, 'result')
    seen = len(reports)
    wait_for(lambda: len(reports) > seen + 1, 5, 'reports after the utterance')
    values = {v.key: v.value for v in reports[-1].values}
    assert reports[-1].level == DiagnosticStatus.OK and reports[-1].message == 'idle'
    assert values['backend'] == 'pyttsx3 espeak-ng' and values['engine_state'] == 'ready'
    assert values['output'] == 'wav' and values['speaking'] == 'false'
    assert (values['queued'], values['spoken'], values['failed'], values['last_error']) == ('0', '1', '0', '')
    assert not any('Kari' in v.value or 'Kari' in r.message for r in reports for v in r.values)
