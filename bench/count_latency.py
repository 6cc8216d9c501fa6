"""Coach latency: the landmark frame that completes a repetition -> its count sent to speech.

Usage: .venv/bin/python bench/count_latency.py [--reps 20] [--rate 30]
(from /work/main; starts its own coach node; this process plays the pose node and the
speech server).

This process publishes synthetic arm-raise skeletons at --rate Hz (stamped with the time it
publishes them) and answers Speak goals at once. The coach's `repetition` session event
carries the stamp of the frame that completed the repetition; the latency is from when
that frame was published to when the Speak goal with the count arrived here.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchenv import ROOT, percentile  # sets up sources and a private ROS domain

sys.path.insert(0, str(ROOT / 'src/berntsen_coach/test'))   # coach_synthetic




def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=20)
    parser.add_argument('--rate', type=float, default=30.0, help='skeletons per second')
    args = parser.parse_args()

    import rclpy
    from berntsen_bringup.processes import NodeProcess, NodeProcessSpec, stop_all
    from berntsen_coach.phrases import Phrases
    from berntsen_interfaces.action import Speak
    from berntsen_interfaces.msg import BodyPosture, IdsList, SessionEvent, Skeleton2D
    from coach_synthetic import HEIGHT, WIDTH, arm_skeleton, arm_world
    from rclpy.action import ActionServer
    from rclpy.executors import MultiThreadedExecutor

    numbers = {Phrases('nb').number(n): n for n in range(1, 100)}
    lock = threading.Lock()
    published_at: dict[float, float] = {}   # frame stamp (s) -> wall time it was published
    spoken_at: dict[int, float] = {}        # count -> wall time its goal arrived
    rep_stamps: dict[int, float] = {}       # count -> stamp (s) of the completing frame

    rclpy.init()
    node = rclpy.create_node('count_latency_bench')

    def speak(goal_handle):
        n = numbers.get(goal_handle.request.text)
        if n is not None:
            with lock:
                spoken_at.setdefault(n, time.monotonic())
        goal_handle.succeed()
        return Speak.Result(success=True, duration=0.1, output='log')

    def on_event(msg):
        if msg.kind == 'repetition':
            detail = json.loads(msg.detail)
            with lock:
                rep_stamps[int(detail['number'])] = float(detail['end'])

    server = ActionServer(node, Speak, 'speak', speak)
    node.create_subscription(SessionEvent, 'coach/events', on_event, 50)
    tracked = node.create_publisher(IdsList, '/humans/bodies/tracked', 10)
    skeletons = node.create_publisher(Skeleton2D, '/humans/bodies/bench/skeleton2d', 10)
    postures = node.create_publisher(BodyPosture, '/humans/bodies/bench/posture', 10)
    executor = MultiThreadedExecutor(num_threads=2)
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()

    with tempfile.TemporaryDirectory() as tmp:
        programme = Path(tmp) / 'bench.yaml'
        programme.write_text('patient: {name: Kari, id: p-bench}\nlanguage: nb\nitems:\n'
                             f'  - {{exercise: arm_raise, sets: 1, repetitions: {args.reps}, '
                             'rest_seconds: 0}\n')
        log = open(Path(tmp) / 'coach.log', 'w')
        coach = NodeProcess(NodeProcessSpec(
            module='berntsen_coach.coach_node', name='coach',
            params={'programme_file': str(programme), 'skeleton_topic': 'skeleton2d',
                    'db_path': str(Path(tmp) / 'log.sqlite3'), 'start_delay': 1.0,
                    'reprompt_after': 60.0, 'patience': 120.0}),
            env=os.environ, stdout=log, stderr=log)
        try:
            start = time.monotonic()
            deadline = start + 30 + args.reps * 4
            exercising_since = None
            while time.monotonic() < deadline:
                with lock:
                    if len(spoken_at) >= args.reps and len(rep_stamps) >= args.reps:
                        break
                now = time.monotonic()
                if exercising_since is None and now - start > 4:
                    exercising_since = now
                # standing; from 4 s on: 1 s down, 1.2 s up, 1.3 s down, repeated
                phase = (now - exercising_since) % 2.5 if exercising_since else 0.0
                angle = 150.0 if exercising_since and 1.0 <= phase < 2.2 else 20.0
                stamp = node.get_clock().now().to_msg()
                with lock:
                    published_at[stamp.sec + stamp.nanosec * 1e-9] = time.monotonic()
                tracked.publish(IdsList(ids=['bench']))
                p = BodyPosture(body_id='bench', posture=BodyPosture.STANDING, confidence=0.9)
                p.header.stamp = stamp
                postures.publish(p)
                s = Skeleton2D(body_id='bench', image_width=WIDTH, image_height=HEIGHT)
                s.header.stamp = stamp
                for lm, (x, y, v) in zip(s.landmarks, arm_skeleton(angle)):
                    lm.x, lm.y, lm.visibility = x, y, v
                for lm, (x, y, z, v) in zip(s.world_landmarks, arm_world(angle)):
                    lm.x, lm.y, lm.z, lm.visibility = x, y, z, v
                skeletons.publish(s)
                time.sleep(1.0 / args.rate)
        finally:
            stop_all([coach])
            server.destroy()
            executor.shutdown()
            rclpy.try_shutdown()

    latencies = []
    with lock:
        for n, stamp in rep_stamps.items():
            frame = min(published_at, key=lambda s: abs(s - stamp))
            if n in spoken_at and abs(frame - stamp) < 1e-3:
                latencies.append((spoken_at[n] - published_at[frame]) * 1000)
    if not latencies:
        print(f'no repetitions measured ({len(rep_stamps)} repetition events, '
              f'{len(spoken_at)} counts spoken)')
        return 1
    print(f'repetitions measured: {len(latencies)} of {args.reps} (skeletons at {args.rate:.0f} Hz)')
    print(f'completing frame published -> count goal at the speech server: '
          f'median {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, '
          f'max {max(latencies):.1f} ms')
    return 0


if __name__ == '__main__':
    sys.exit(main())
