"""Whole stack in simulation: real-time factor, CPU and memory per node, landmark share, count latency.

Usage: MUJOCO_GL=osmesa .venv/bin/python bench/stack.py [--sessions 1] [--timeout 180]
(from /work/main; starts the `sim` profile exactly as `berntsen sim` does, cooperative
persona, camera at 15 fps VGA, and runs the morning session until the coach exits).

Measured, per session:
- sim real-time factor: the sim node runs physics on wall time and drops the steps it cannot
  catch up with (logging "physics behind real time, N steps dropped so far", at most every
  5 s), and stamps sim/truth/odom with wall time, so it is bracketed: a lower bound from the
  number of sim/truth/odom messages (one per >= 1/state_rate of simulated time) over the
  wall time between the first and last, an upper bound from the last logged drop count;
- CPU % of one core (user+system, children included once reaped) and peak RSS (VmHWM) of
  each node process, from /proc every 0.5 s (mean from its first to its last sample, and
  the highest 0.5 s interval); this benchmark's own process too (without its children);
- share of camera frames with landmarks: camera/image_raw frames received here (reliable,
  depth 2, raw so no image is decoded) whose stamp comes back on a
  /humans/bodies/<id>/skeleton2d (ids followed on /humans/bodies/tracked); and the
  frame-stamp -> skeleton-arrival latency;
- count latency: wall time the truth (sim/truth/repetitions, published in the physics tick
  that completes the repetition) reached n -> wall time speech/status first reported
  speaking the number word n. Both are arrival times in this process. The truth's rep ends
  when the arms are fully down; the coach's counter fires earlier on the way down, so this
  can be negative. Hence also: stamp of the frame the coach counted rep n from (its
  coach/events 'repetition' detail 'end') -> speaking, the perception-to-speech pipeline;
  and a check that each count's frame lies within ALIGNED_S of the truth's rep end (a final
  count equal to the truth can hide a double count plus a missed rep).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchenv import percentile  # sets up sources, ROS domain, MuJoCo

CLK_TCK = os.sysconf('SC_CLK_TCK')
SAMPLE_PERIOD = 0.5
STATE_RATE = 50.0       # berntsen_sim.sim_node default state_rate (Hz)
PHYSICS_RATE = 500      # berntsen_sim.sim_node default physics_rate (Hz)
BEHIND = re.compile(r'physics behind real time, (\d+) steps dropped')
ALIGNED_S = 1.0         # s between a count's completing frame and the truth rep end
SKIPPED = re.compile(r'(\d+) frames skipped, (\d+) rendered')




class ProcSampler(threading.Thread):
    """CPU time and peak RSS of some pids, read from /proc every SAMPLE_PERIOD."""

    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.first: dict[str, tuple[float, float]] = {}   # name -> (wall, cpu s)
        self.last: dict[str, tuple[float, float]] = {}
        self.hwm_kb: dict[str, int] = {}
        self.peak_cpu: dict[str, float] = {}
        self.stop = threading.Event()

    @staticmethod
    def cpu_seconds(pid, children=True):
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        # after the command: state=0 ... utime=11 stime=12 cutime=13 cstime=14
        return sum(int(v) for v in fields[11:15 if children else 13]) / CLK_TCK

    @staticmethod
    def vm_hwm_kb(pid):
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
        return None   # a zombie has no memory lines

    def sample(self):
        for name, pid in self.pids.items():
            try:
                # not this process's children: those are the nodes, counted on their own
                now, cpu = time.monotonic(), self.cpu_seconds(pid, pid != os.getpid())
                hwm = self.vm_hwm_kb(pid)
            except (OSError, IndexError, ValueError):
                continue
            if hwm is None:
                continue
            prev = self.last.get(name)
            if prev and now > prev[0]:
                self.peak_cpu[name] = max(self.peak_cpu.get(name, 0.0),
                                          100 * (cpu - prev[1]) / (now - prev[0]))
            self.first.setdefault(name, (now, cpu))
            self.last[name] = (now, cpu)
            self.hwm_kb[name] = max(self.hwm_kb.get(name, 0), hwm)

    def run(self):
        while not self.stop.wait(SAMPLE_PERIOD):
            self.sample()

    def rows(self):
        for name in self.pids:
            if name not in self.first:
                continue
            (t0, c0), (t1, c1) = self.first[name], self.last[name]
            mean = 100 * (c1 - c0) / (t1 - t0) if t1 > t0 else float('nan')
            yield name, mean, self.peak_cpu.get(name, float('nan')), self.hwm_kb[name] / 1024


class Probe:
    """Subscriptions of this process, in their own context; callbacks note arrival times."""

    def __init__(self, numbers: dict[str, int]):
        import rclpy
        from berntsen_interfaces.msg import CoachState, IdsList, SessionEvent, Skeleton2D, SpeechStatus
        from nav_msgs.msg import Odometry
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
        from rclpy.signals import SignalHandlerOptions
        from sensor_msgs.msg import Image
        from std_msgs.msg import UInt32

        self.rclpy, self.Skeleton2D = rclpy, Skeleton2D
        self.numbers = numbers
        self.lock = threading.Lock()
        self.frames: dict[float, float] = {}      # image stamp (s) -> arrival (monotonic)
        self.skeletons: dict[float, float] = {}   # skeleton stamp (s) -> arrival (monotonic)
        self.body_subs = {}
        self.odom_first = self.odom_last = None
        self.odom_count = 0
        self.truth_at: dict[int, float] = {}      # repetitions -> arrival of that truth
        self.spoken_at: dict[int, float] = {}     # n -> first "speaking <number n>" status
        self.spoken: list[str] = []
        self.truth_reps = None
        self.coach_step, self.coach_count, self.coach_target = '', None, None
        self.counted: dict[int, tuple[float, float]] = {}   # n -> (event arrival, frame stamp)

        self.context = rclpy.Context()
        rclpy.init(args=[], context=self.context,
                   signal_handler_options=SignalHandlerOptions.NO)
        latched = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, depth=1,
                             history=HistoryPolicy.KEEP_LAST,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        image_qos = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, depth=2,
                               history=HistoryPolicy.KEEP_LAST)
        # images in their own node and executor thread, so that counting them does not
        # delay the arrival times of the latency topics
        self.image_node = rclpy.create_node('stack_bench_images', context=self.context)
        self.image_node.create_subscription(Image, 'camera/image_raw', self.on_image,
                                            image_qos, raw=True)
        self.node = rclpy.create_node('stack_bench', context=self.context)
        n = self.node
        n.create_subscription(UInt32, 'sim/truth/repetitions', self.on_truth, latched)
        n.create_subscription(SpeechStatus, 'speech/status', self.on_speech, latched)
        n.create_subscription(CoachState, 'coach/state', self.on_coach, latched)
        n.create_subscription(SessionEvent, 'coach/events', self.on_event, 10)
        n.create_subscription(IdsList, '/humans/bodies/tracked', self.on_tracked, 10)
        n.create_subscription(Odometry, 'sim/truth/odom', self.on_odom, 10)
        self.executors = []
        self.threads = []
        for node in (self.image_node, self.node):
            executor = SingleThreadedExecutor(context=self.context)
            executor.add_node(node)
            thread = threading.Thread(target=executor.spin, daemon=True)
            thread.start()
            self.executors.append(executor)
            self.threads.append(thread)

    def on_image(self, raw: bytes):
        # CDR: 4-byte encapsulation header, then header.stamp sec (int32), nanosec (uint32)
        sec, nanosec = struct.unpack_from('<iI', raw, 4)
        with self.lock:
            self.frames[round(sec + nanosec * 1e-9, 6)] = time.monotonic()

    def on_skeleton(self, msg):
        stamp = round(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9, 6)
        with self.lock:
            self.skeletons.setdefault(stamp, time.monotonic())

    def on_tracked(self, msg):
        for body_id in msg.ids:
            if body_id not in self.body_subs:
                self.body_subs[body_id] = self.node.create_subscription(
                    self.Skeleton2D, f'/humans/bodies/{body_id}/skeleton2d', self.on_skeleton, 10)

    def on_odom(self, _msg):
        now = time.monotonic()
        if self.odom_first is None:
            self.odom_first = now
        self.odom_last = now
        self.odom_count += 1

    def on_truth(self, msg):
        with self.lock:
            self.truth_reps = msg.data
            self.truth_at.setdefault(msg.data, time.monotonic())

    def on_speech(self, msg):
        if not msg.speaking:
            return
        word = msg.text.strip().rstrip('.!').strip().lower()
        with self.lock:
            self.spoken.append(msg.text)
            if word in self.numbers:
                self.spoken_at.setdefault(self.numbers[word], time.monotonic())

    def on_coach(self, msg):
        self.coach_step = msg.step
        if msg.exercise:   # later steps publish no exercise and count 0
            self.coach_target = msg.target

    def on_event(self, msg):
        # the coach's own record of each counted repetition, as `berntsen sim` reads it
        if msg.kind == 'repetition':
            detail = json.loads(msg.detail)
            number = int(detail['number'])
            self.coach_count = max(self.coach_count or 0, number)
            # 'end': stamp (ROS wall time) of the frame that completed the repetition
            self.counted[number] = (time.monotonic(), float(detail['end']))

    def close(self):
        for executor in self.executors:
            executor.shutdown()
        for thread in self.threads:
            thread.join(timeout=2.0)
        self.image_node.destroy_node()
        self.node.destroy_node()
        self.context.try_shutdown()


def run_session(index: int, args, numbers) -> dict:
    from berntsen_bringup import cli
    from berntsen_bringup.graph import load_profile
    from berntsen_bringup.processes import stop_all

    profile = load_profile('sim')
    with tempfile.TemporaryDirectory(prefix='berntsen-stack-bench-') as tmp:
        run_dir = Path(args.keep_logs) / f'session{index}' if args.keep_logs else Path(tmp)
        run_dir.mkdir(parents=True, exist_ok=True)
        cli_args = argparse.Namespace(command='sim', patient_name=None, language=None,
                                      persona='cooperative')
        overrides = cli.node_overrides(cli_args, run_dir)   # speech wav_dir, coach db/exit
        overrides.setdefault('sim', {}).update(
            camera_fps=args.fps, image_width=args.width, image_height=args.height)
        env = cli.prepare_environment()
        # nodes first: no other thread may run while a child is forked (as in `berntsen sim`)
        t_start = time.monotonic()
        processes = cli.start_graph(profile, overrides, run_dir, env)
        by_name = {p.name: p for p in processes}
        sampler = ProcSampler({**{p.name: p.popen.pid for p in processes},
                               'bench (this process)': os.getpid()})
        sampler.start()
        probe = Probe(numbers)
        outcome = 'timeout'
        try:
            deadline = t_start + args.timeout
            while time.monotonic() < deadline:
                time.sleep(0.2)
                if by_name['coach'].poll() is not None:
                    outcome = f'coach exited with status {by_name["coach"].poll()}'
                    break
                crashed = [p for p in processes if p.poll() is not None]
                if crashed:
                    outcome = f'node {crashed[0].name} exited with status {crashed[0].poll()}'
                    break
        finally:
            t_end = time.monotonic()
            sampler.stop.set()
            sampler.join()
            sampler.sample()
            stop_all(processes, timeout=3.0)
            probe.close()
        sim_log = (run_dir / 'sim.log').read_text(errors='replace')
    drops = [int(m) for m in BEHIND.findall(sim_log)]
    skipped = SKIPPED.findall(sim_log)
    return {'index': index, 'outcome': outcome, 'wall': t_end - t_start, 'probe': probe,
            'sampler': sampler, 'drops_logged': drops[-1] if drops else 0,
            'render_skipped': skipped[-1] if skipped else None}


def report(session) -> tuple[list[float], list[float], int]:
    p, sampler = session['probe'], session['sampler']
    print(f'\n== session {session["index"]}: {session["outcome"]}; wall {session["wall"]:.1f} s '
          f'(node start to coach exit); coach step "{p.coach_step}", count '
          f'{p.coach_count}/{p.coach_target}; truth repetitions {p.truth_reps}; '
          f'count matches truth: {"yes" if p.coach_count == p.truth_reps else "NO"}')

    if p.odom_count > 1:
        window = p.odom_last - p.odom_first
        low = (p.odom_count - 1) / STATE_RATE / window
        high = 1 - session['drops_logged'] / PHYSICS_RATE / window
        print(f'sim real-time factor (rendering on): between {low:.3f} and {high:.3f} over '
              f'{window:.1f} s wall [low: {p.odom_count} sim/truth/odom msgs at '
              f'{STATE_RATE:.0f} Hz of sim time; high: 1 - last logged dropped physics steps '
              f'({session["drops_logged"]}) / {PHYSICS_RATE} Hz / wall]')
    else:
        print('sim real-time factor: no sim/truth/odom received')

    with p.lock:
        frames, skeletons = dict(p.frames), dict(p.skeletons)
    if frames:
        span = max(frames.values()) - min(frames.values())
        matched = [stamp for stamp in frames if stamp in skeletons]
        print(f'camera frames received: {len(frames)} ({len(frames) / span:.1f} fps over '
              f'{span:.1f} s); with landmarks (skeleton2d with that stamp): {len(matched)} = '
              f'{100 * len(matched) / len(frames):.1f} %; skeleton2d msgs: {len(skeletons)}')
        if matched:
            # stamps are ROS wall time; arrival is monotonic: convert with the current offset
            offset = time.time() - time.monotonic()
            pose_ms = [(skeletons[stamp] + offset - stamp) * 1000 for stamp in matched]
            print(f'frame stamp -> skeleton2d arrival: median {statistics.median(pose_ms):.0f} ms, '
                  f'p95 {percentile(pose_ms, 0.95):.0f} ms')
    else:
        print('camera frames received: none')
    if session['render_skipped']:
        sk, rendered = session['render_skipped']
        print(f'sim renderer (last log line): {sk} frames skipped, {rendered} rendered')

    print(f'{"process":<22}{"CPU % mean":>11}{"CPU % max 0.5s":>16}{"peak RSS MiB":>14}')
    for name, mean, peak, hwm in sampler.rows():
        print(f'{name:<22}{mean:>11.0f}{peak:>16.0f}{hwm:>14.0f}')

    latencies, pipeline = [], []
    misaligned = 0
    offset = time.time() - time.monotonic()
    with p.lock:
        for n, t_truth in sorted(p.truth_at.items()):
            if n >= 1 and n in p.spoken_at and n in p.counted:
                pipeline.append((p.spoken_at[n] - (p.counted[n][1] - offset)) * 1000)
            # a count whose completing frame is far from the truth's rep end: the coach
            # counted another movement, or the truth sample reached this process late (a
            # reliable sample lost once is re-sent at the next DDS heartbeat, ~3 s in Fast
            # DDS); either way not a latency sample
            if n >= 1 and (n not in p.counted
                           or abs(p.counted[n][1] - offset - t_truth) > ALIGNED_S):
                misaligned += 1
            elif n >= 1 and n in p.spoken_at:
                latencies.append((p.spoken_at[n] - t_truth) * 1000)
        # relative to the truth reaching n: the completing frame, the coach's event, speech
        print('rep  truth->frame stamp  truth->coach event  truth->speaking  (ms)')
        for n, t_truth in sorted(p.truth_at.items()):
            if n < 1:
                continue
            event, stamp = p.counted.get(n, (None, None))
            cells = [(stamp - offset - t_truth) * 1000 if stamp is not None else None,
                     (event - t_truth) * 1000 if event is not None else None,
                     (p.spoken_at[n] - t_truth) * 1000 if n in p.spoken_at else None]
            print(f'{n:>3}' + ''.join(f'{"-" if c is None else f"{c:.0f}":>19}' for c in cells))
        spoken = [t for t in p.spoken if t.strip().rstrip('.!').strip().lower() in p.numbers]
    print(f'rep -> spoken count latency (ms, reps aligned with the truth): '
          f'{", ".join(f"{v:.0f}" for v in latencies) or "none"} '
          f'(counts spoken: {", ".join(dict.fromkeys(spoken))})')
    print(f'completing frame stamp -> spoken count (ms): '
          f'{", ".join(f"{v:.0f}" for v in pipeline) or "none"}')
    print(f'counted reps whose completing frame is within {ALIGNED_S} s of the truth rep end: '
          f'{len([n for n in p.truth_at if n >= 1]) - misaligned}/{len([n for n in p.truth_at if n >= 1])}')
    return latencies, pipeline, misaligned


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sessions', type=int, default=1)
    parser.add_argument('--timeout', type=float, default=180.0, help='per session, seconds')
    parser.add_argument('--fps', type=int, default=15)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--keep-logs', metavar='DIR',
                        help='keep node logs, WAVs and the session DB in DIR/session<N>')
    args = parser.parse_args()

    from berntsen_coach.phrases import Phrases
    numbers = {Phrases('nb').number(n).lower(): n for n in range(1, 100)}
    print(f'stack benchmark: sim profile, cooperative persona, camera {args.width}x{args.height} '
          f'at {args.fps} fps, {args.sessions} session(s); ROS_DOMAIN_ID='
          f'{os.environ["ROS_DOMAIN_ID"]}, MUJOCO_GL={os.environ["MUJOCO_GL"]}, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}')
    all_latencies, all_pipeline = [], []
    failures = misaligned = 0
    for i in range(1, args.sessions + 1):
        session = run_session(i, args, numbers)
        latencies, pipeline, wrong = report(session)
        all_latencies += latencies
        all_pipeline += pipeline
        misaligned += wrong
        p = session['probe']
        if p.coach_step != 'done' or p.coach_count != p.truth_reps:
            failures += 1
    load = os.getloadavg()
    print(f'\n== overall: {args.sessions - failures}/{args.sessions} sessions done with the count '
          f'matching the truth; load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}')
    if all_latencies:
        print(f'rep -> spoken count latency over {len(all_latencies)} reps: median '
              f'{statistics.median(all_latencies):.0f} ms, p95 {percentile(all_latencies, 0.95):.0f} ms, '
              f'max {max(all_latencies):.0f} ms')
    if all_pipeline:
        print(f'completing frame -> spoken count over {len(all_pipeline)} reps: median '
              f'{statistics.median(all_pipeline):.0f} ms, p95 {percentile(all_pipeline, 0.95):.0f} ms, '
              f'max {max(all_pipeline):.0f} ms')
    print(f'reps counted from a frame not within {ALIGNED_S} s of the truth rep end '
          f'(left out of the rep -> spoken figures): {misaligned}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
