"""SpeechClient against a real `speak` action server over DDS: the server has a context (a
DDS participant) of its own, as a speech node would; both are spun here, one callback at a
time (as in a node)."""
import time

import pytest


class Speaker:
    """A speak server whose phrases end when the test says so (or never)."""

    def __init__(self, accept=True):
        import rclpy
        from berntsen_interfaces.action import Speak
        from rclpy.action import ActionServer, GoalResponse
        from rclpy.executors import SingleThreadedExecutor

        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node('test_speaker', context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.goals = []       # (text, language, urgent)
        self._ends = {}       # text → rclpy Future completed with success
        self._Speak = Speak
        self.cancelled = []   # texts whose cancel was asked for
        self.server = ActionServer(
            self.node, Speak, 'speak', self._execute,
            goal_callback=lambda goal: GoalResponse.ACCEPT if accept else GoalResponse.REJECT,
            cancel_callback=self._cancel)

    def _cancel(self, handle):
        from rclpy.action import CancelResponse
        self.cancelled.append(handle.request.text)
        return CancelResponse.ACCEPT

    async def _execute(self, handle):
        from rclpy.task import Future
        request = handle.request
        self.goals.append((request.text, request.language, request.urgent))
        end = self._ends.setdefault(request.text, Future())
        success = await end
        handle.succeed()
        return self._Speak.Result(success=success, error='' if success else 'audio device gone')

    def close(self):
        import rclpy
        self.executor.shutdown()
        self.server.destroy()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
        self.context.destroy()   # the DDS participant goes with it, as with a process that ends

    def finish(self, text, success=True):
        from rclpy.task import Future
        self._ends.setdefault(text, Future()).set_result(success)


@pytest.fixture
def graph():
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from berntsen_coach.speech_client import SpeechClient

    context = rclpy.Context()
    rclpy.init(context=context)
    executor = SingleThreadedExecutor(context=context)
    node = rclpy.create_node('test_speech_client', context=context)
    executor.add_node(node)

    class Graph:
        def __init__(self):
            self.finished = []   # tickets, in the order they ended
            self.speakers = []

        def client(self, **kwargs):
            return SpeechClient(node, self.finished.append, **kwargs)

        def speaker(self, accept=True):
            speaker = Speaker(accept)
            self.speakers.append(speaker)
            return speaker

        def remove(self, speaker):
            self.speakers.remove(speaker)
            speaker.close()

        def spin_until(self, condition, timeout, what, client=None):
            end = time.monotonic() + timeout
            while not condition():
                assert time.monotonic() < end, f'timed out waiting for {what}'
                executor.spin_once(timeout_sec=0.02)
                for speaker in self.speakers:
                    speaker.executor.spin_once(timeout_sec=0.02)
                if client is not None:
                    client.update()

    graph = Graph()
    yield graph
    for speaker in graph.speakers:
        speaker.close()
    executor.shutdown()
    node.destroy_node()
    rclpy.shutdown(context=context)


def test_phrases_go_out_in_order_and_each_ends_once(graph):
    speaker = graph.speaker()
    speech = graph.client()
    graph.spin_until(lambda: speech.server_ready, 10, 'the speak server', speech)
    first = speech.say('God morgen.', 'no')
    second = speech.say('Ligg stille, jeg henter hjelp.', 'no', urgent=True)
    graph.spin_until(lambda: len(speaker.goals) == 2, 10, 'both goals', speech)
    assert speaker.goals == [('God morgen.', 'no', False),
                             ('Ligg stille, jeg henter hjelp.', 'no', True)]
    assert speech.pending == 2 and graph.finished == []
    speaker.finish('Ligg stille, jeg henter hjelp.')
    speaker.finish('God morgen.', success=False)   # a failed phrase ends too
    graph.spin_until(lambda: len(graph.finished) == 2, 10, 'both results', speech)
    assert sorted(graph.finished) == [first, second]
    assert speech.pending == 0


def test_phrases_said_before_the_server_is_up_wait_for_it(graph):
    speech = graph.client()
    ticket = speech.say('Hei.', 'en')
    for _ in range(10):
        graph.spin_until(lambda: True, 1, 'nothing', speech)
    assert speech.pending == 1 and graph.finished == []
    speaker = graph.speaker()
    graph.spin_until(lambda: speaker.goals, 10, 'the goal sent once the server appeared', speech)
    speaker.finish('Hei.')
    graph.spin_until(lambda: graph.finished == [ticket], 10, 'its result', speech)


def test_an_overdue_phrase_ends_after_its_deadline_and_a_late_result_changes_nothing(graph):
    speaker = graph.speaker()
    speech = graph.client(timeout=1.0)
    assert speech.deadline('a' * 600) == 1.0   # at most the time-out
    graph.spin_until(lambda: speech.server_ready, 10, 'the speak server', speech)
    sent = time.monotonic()
    ticket = speech.say('Hei.', 'en')
    graph.spin_until(lambda: graph.finished, 10, 'the phrase given up on', speech)
    assert graph.finished == [ticket]
    assert 0.9 < time.monotonic() - sent < 3.0
    speaker.finish('Hei.')
    for _ in range(20):
        graph.spin_until(lambda: True, 1, 'nothing', speech)
    assert graph.finished == [ticket]


def test_phrases_a_vanished_server_was_saying_end_at_once(graph):
    speaker = graph.speaker()
    speech = graph.client(timeout=60.0)
    graph.spin_until(lambda: speech.server_ready, 10, 'the speak server', speech)
    ticket = speech.say('En lang setning som aldri blir ferdig.', 'no')
    graph.spin_until(lambda: speaker.goals, 10, 'the goal', speech)
    graph.remove(speaker)
    gone = time.monotonic()
    graph.spin_until(lambda: graph.finished == [ticket], 10, 'the lost phrase ended', speech)
    assert time.monotonic() - gone < 5.0
    assert not speech.server_ready and speech.pending == 0


def test_a_rejected_phrase_ends(graph):
    graph.speaker(accept=False)
    speech = graph.client()
    graph.spin_until(lambda: speech.server_ready, 10, 'the speak server', speech)
    ticket = speech.say('Hei.', 'en')
    graph.spin_until(lambda: graph.finished == [ticket], 10, 'the rejection', speech)


def test_cancel_all_stops_what_is_said_and_ends_every_phrase(graph):
    speaker = graph.speaker()
    speech = graph.client()
    graph.spin_until(lambda: speech.server_ready, 10, 'the speak server', speech)
    tickets = [speech.say('En.', 'no'), speech.say('To.', 'no')]
    graph.spin_until(lambda: len(speaker.goals) == 2, 10, 'both goals', speech)
    speech.cancel_all()
    assert sorted(graph.finished) == tickets and speech.pending == 0
    graph.spin_until(lambda: len(speaker.cancelled) == 2, 10, 'the cancel requests', speech)
    assert sorted(speaker.cancelled) == ['En.', 'To.']
