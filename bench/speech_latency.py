"""Speech latency: Speak goal accepted -> rendering started, urgent pre-emption, render vs. audio time.

Usage: .venv/bin/python bench/speech_latency.py [--goals 20] [--preemptions 10]
(from /work/main; starts its own speech node with output=wav into a temporary folder).

1. Over DDS: a client sends goals one after another (each waits for the previous result);
   for each, the time from the goal being accepted (client side) to the first "speaking"
   feedback, i.e. the worker has taken the utterance and started rendering.
2. Over DDS, paced output (speaking lasts as long as the audio): while a long sentence is
   spoken, an urgent goal is sent; from the urgent goal being accepted to (a) the result
   of the pre-empted goal and (b) the urgent goal's first "speaking" feedback.
3. In this process: how long pyttsx3/espeak-ng takes to render a 10-word Norwegian
   sentence, and how long the audio plays (WAV duration).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchenv import percentile  # sets up sources and a private ROS domain

SENTENCE = 'God morgen, nå er det tid for å stå opp og trene.'  # 10 words
PHRASES = ['God morgen!', 'Nå skal vi stå opp.', 'Løft armene over hodet.', 'Bra jobbet, en gang til.',
           'Ta en liten pause.']




LONG = 'Dette er en lang setning som blir avbrutt av en beskjed som haster mye mer enn den gjør.'
URGENT = 'Bli der du er, jeg ringer etter hjelp.'


def bench_node(goals: int, pace: bool, preemptions: int = 0):
    import rclpy
    from rclpy.action import ActionClient
    from rclpy.executors import SingleThreadedExecutor

    from berntsen_bringup.processes import NodeProcess, NodeProcessSpec, stop_all
    from berntsen_interfaces.action import Speak

    tmp_dir = tempfile.TemporaryDirectory(prefix='speech-bench-')
    tmp = Path(tmp_dir.name)
    log = open(tmp / 'speech.log', 'w')
    proc = NodeProcess(NodeProcessSpec(module='berntsen_drivers.speech_node', name='speech',
                                       params={'output': 'wav', 'wav_dir': str(tmp / 'wav'), 'pace': pace}),
                       env=os.environ, stdout=log, stderr=log)
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('speech_bench', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    latencies = []
    try:
        client = ActionClient(node, Speak, 'speak')
        if not client.wait_for_server(timeout_sec=30):
            log.flush()
            raise SystemExit('speech node did not start:\n' + (tmp / 'speech.log').read_text())
        if preemptions:
            return _preempt(client, Speak, preemptions)
        for i in range(goals):
            speaking = threading.Event()
            stamps = {}

            def on_feedback(msg, stamps=stamps, speaking=speaking):
                if msg.feedback.state == 'speaking' and not speaking.is_set():
                    stamps['speaking'] = time.monotonic()
                    speaking.set()

            done = threading.Event()
            sent = client.send_goal_async(Speak.Goal(text=PHRASES[i % len(PHRASES)]), feedback_callback=on_feedback)
            sent.add_done_callback(lambda f: stamps.setdefault('accepted', time.monotonic()))
            while not sent.done():
                time.sleep(0.001)
            result = sent.result().get_result_async()
            result.add_done_callback(lambda f: done.set())
            if not done.wait(30) or not speaking.wait(1):
                raise SystemExit(f'goal {i} did not finish')
            if i > 0:  # the first goal also starts espeak-ng
                latencies.append(stamps['speaking'] - stamps['accepted'])
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)
        stop_all([proc])
        log.close()
        tmp_dir.cleanup()
    return latencies


def _preempt(client, Speak, trials: int) -> tuple[list[float], list[float]]:
    """(urgent accepted -> pre-empted result, urgent accepted -> urgent speaking), per trial."""
    to_result, to_speaking = [], []
    for trial in range(trials + 1):
        stamps = {}
        events = {name: threading.Event() for name in ('long_speaking', 'long_done', 'urgent_speaking', 'urgent_done')}

        def feedback(name):
            def on_feedback(msg):
                if msg.feedback.state == 'speaking' and not events[name].is_set():
                    stamps[name] = time.monotonic()
                    events[name].set()
            return on_feedback

        def accepted(future, key):
            stamps[key] = time.monotonic()
            handle = future.result()
            done = 'long_done' if key == 'long_accepted' else 'urgent_done'
            handle.get_result_async().add_done_callback(
                lambda _f: (stamps.setdefault(done, time.monotonic()), events[done].set()))

        sent = client.send_goal_async(Speak.Goal(text=LONG), feedback_callback=feedback('long_speaking'))
        sent.add_done_callback(lambda f: accepted(f, 'long_accepted'))
        if not events['long_speaking'].wait(10):
            raise SystemExit('long goal did not start')
        time.sleep(0.3)
        sent = client.send_goal_async(Speak.Goal(text=URGENT, urgent=True), feedback_callback=feedback('urgent_speaking'))
        sent.add_done_callback(lambda f: accepted(f, 'urgent_accepted'))
        if not (events['long_done'].wait(10) and events['urgent_speaking'].wait(10) and events['urgent_done'].wait(20)):
            raise SystemExit('pre-emption did not happen')
        if trial > 0:  # the first also warms up
            to_result.append(stamps['long_done'] - stamps['urgent_accepted'])
            to_speaking.append(stamps['urgent_speaking'] - stamps['urgent_accepted'])
    return to_result, to_speaking


def bench_render(repeats: int) -> tuple[list[float], float]:
    from berntsen_drivers.tts import Pyttsx3Engine, wav_duration

    engine = Pyttsx3Engine()
    times = []
    with tempfile.TemporaryDirectory(prefix='speech-bench-') as tmp:
        for i in range(repeats + 1):
            path = Path(tmp) / f'{i}.wav'
            start = time.perf_counter()
            engine.render(SENTENCE, 'nb', 170, 1.0, path)
            if i > 0:  # the first render also initialises espeak-ng
                times.append(time.perf_counter() - start)
        return times, wav_duration(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--goals', type=int, default=20)
    parser.add_argument('--renders', type=int, default=20)
    parser.add_argument('--preemptions', type=int, default=10)
    args = parser.parse_args()

    latencies = bench_node(args.goals, pace=False)
    print(f'goal accepted -> rendering started ({len(latencies)} goals, over DDS): '
          f'median {statistics.median(latencies) * 1000:.1f} ms, p95 {percentile(latencies, 0.95) * 1000:.1f} ms, '
          f'max {max(latencies) * 1000:.1f} ms')
    to_result, to_speaking = bench_node(0, pace=True, preemptions=args.preemptions)
    print(f'urgent goal accepted -> pre-empted goal\'s result ({len(to_result)} trials, over DDS): '
          f'median {statistics.median(to_result) * 1000:.1f} ms, p95 {percentile(to_result, 0.95) * 1000:.1f} ms')
    print(f'urgent goal accepted -> its rendering started: median {statistics.median(to_speaking) * 1000:.1f} ms, '
          f'p95 {percentile(to_speaking, 0.95) * 1000:.1f} ms')
    times, duration = bench_render(args.renders)
    print(f'10-word Norwegian sentence ({SENTENCE!r}), rate 170 wpm:')
    print(f'  render (pyttsx3 + espeak-ng, {len(times)} runs): median {statistics.median(times) * 1000:.1f} ms, '
          f'p95 {percentile(times, 0.95) * 1000:.1f} ms')
    print(f'  audio duration (time to play): {duration:.2f} s; real-time factor of rendering '
          f'{statistics.median(times) / duration:.4f}')


if __name__ == '__main__':
    main()
