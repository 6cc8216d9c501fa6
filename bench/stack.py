"""Whole stack in simulation: real-time factor, CPU and memory per node, landmark share, count latency.

Usage: MUJOCO_GL=osmesa .venv/bin/python bench/stack.py [--sessions 1] [--scenario NAME]
[--timeout S]  (from /work/main; starts the `sim` profile exactly as `berntsen sim` does,
with the scenario's node parameters (default cooperative_morning: programme
sim_full_morning, 2 sets of 5 arm raises with a 10 s rest, then 5 mini squats), camera at
15 fps VGA, and runs the session until the coach exits; the timeout defaults to the
scenario's).

The stack runs on simulated time: the sim node publishes /clock from its physics time
(starting at 0) and stamps images with it; every other node has use_sim_time, so skeleton
stamps and the coach's repetition 'end' times are simulated time too. This process
subscribes /clock in a node and executor thread of its own and notes, per message, the
offset `arrival (this process's monotonic clock) - clock time`. A message arrives some time
after it was published, never before, so the smallest offset is the best estimate of the
mapping; the sim falls behind wall time whenever its physics cannot keep up, so the mapping
drifts over a run, and a stamp is converted with the smallest offset among the /clock
messages within CLOCK_WINDOW_S of simulated time around it (not the whole run's minimum).

Measured, per session:
- sim real-time factor: simulated-time advance over wall-time (arrival) advance between the
  first and last /clock messages, and the lowest such factor over any RTF_WINDOW_S of wall
  time; plus the physics steps the sim logged as dropped ("physics behind ...", at most
  every 5 s, so the last logged count is a lower bound);
- CPU % of one core (user+system, children included once reaped) and peak RSS (VmHWM) of
  each node process, from /proc every 0.5 s (mean from its first to its last sample, the
  highest 0.5 s interval, and the CPU seconds in all); this benchmark's own process too
  (without its children); and the speech node's CPU % while it speaks and between
  utterances (0.5 s intervals wholly inside one state, as speech/status reports it here);
- share of camera frames with landmarks: camera/image_raw frames received here (reliable,
  depth 2, raw so no image is decoded) whose stamp comes back on a
  /humans/bodies/<id>/skeleton2d (ids followed on /humans/bodies/tracked); and the
  frame-stamp -> skeleton-arrival latency (stamp converted with the /clock mapping);
- count latency, per repetition keyed by (exercise, set, number) (the truth and the spoken
  number words restart at 1 in every set): arrival time here of the truth's n-th full
  repetition of the set (sim/truth/repetition, published in the physics tick that
  completes it) -> arrival of the speech/status first reporting speaking the number word n
  after the coach counted (exercise, set, n) on coach/events. The truth carries no set: a
  full repetition is credited to the exercise set coach/state names when it arrives (the
  coach names it from its introduction on; the patient begins after it). The
  truth's rep ends when the movement is back at rest; the coach's counter fires earlier on
  the way back, so this can be negative. Hence also: the frame the coach counted rep n from
  (its coach/events 'repetition' detail 'end', simulated time, converted) -> speaking, the
  perception-to-speech pipeline; and a check that each count's frame lies within ALIGNED_S
  of the truth's rep end (a final count equal to the truth can hide a double count plus a
  missed rep).
"""
from __future__ import annotations

import argparse
import bisect
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
PHYSICS_RATE = 500      # berntsen_sim.sim_node default physics_rate (Hz)
BEHIND = re.compile(r'physics behind [\d.]+x real time, (\d+) steps dropped')
ALIGNED_S = 1.0         # s between a count's completing frame and the truth rep end
SKIPPED = re.compile(r'(\d+) frames skipped, (\d+) rendered')
CLOCK_WINDOW_S = 0.5    # s of simulated time either side of a stamp whose /clock offsets count
RTF_WINDOW_S = 10.0     # s of wall time of the lowest windowed real-time factor
SPEECH_FIRST_S = 3.0    # s a number spoken before its coach event arrived may precede it


class ProcSampler(threading.Thread):
    """CPU time and peak RSS of some pids, read from /proc every SAMPLE_PERIOD."""

    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.first: dict[str, tuple[float, float]] = {}   # name -> (wall, cpu s)
        self.last: dict[str, tuple[float, float]] = {}
        self.series: dict[str, list[tuple[float, float]]] = {}   # name -> every (wall, cpu s)
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
            self.series.setdefault(name, []).append((now, cpu))
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
            yield name, mean, self.peak_cpu.get(name, float('nan')), c1 - c0, self.hwm_kb[name] / 1024

    def split_by_state(self, name, edges) -> dict[bool, tuple[float, float]]:
        """{state: (wall s, CPU s)} over the sample intervals wholly inside one state;
        `edges` are (monotonic time, state) changes, in order."""
        times = [t for t, _ in edges]
        totals = {True: [0.0, 0.0], False: [0.0, 0.0]}
        series = self.series.get(name, [])
        for (t0, c0), (t1, c1) in zip(series, series[1:]):
            i = bisect.bisect_right(times, t0)
            if i == 0 or (i < len(times) and times[i] < t1):
                continue   # before the first report, or the state changed within the interval
            totals[edges[i - 1][1]][0] += t1 - t0
            totals[edges[i - 1][1]][1] += c1 - c0
        return {state: (wall, cpu) for state, (wall, cpu) in totals.items()}


class SimClock:
    """/clock samples: simulated time and its arrival here; stamps to this process's monotonic clock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sim: list[float] = []       # clock time (s), increasing
        self.arrival: list[float] = []   # arrival (monotonic s)

    def on_clock(self, msg):
        now = time.monotonic()
        t = msg.clock.sec + msg.clock.nanosec * 1e-9
        with self.lock:
            if not self.sim or t > self.sim[-1]:
                self.sim.append(t)
                self.arrival.append(now)

    def snapshot(self) -> tuple[list[float], list[float]]:
        with self.lock:
            return list(self.sim), list(self.arrival)

    @staticmethod
    def offset(sim, arrival, stamp: float) -> float:
        """Smallest `arrival - clock` among the samples within CLOCK_WINDOW_S of `stamp`
        (the nearest sample when none is): the least delayed ones show the mapping best."""
        lo = bisect.bisect_left(sim, stamp - CLOCK_WINDOW_S)
        hi = bisect.bisect_right(sim, stamp + CLOCK_WINDOW_S)
        if lo >= hi:
            lo = min(max(lo - 1, 0), len(sim) - 1)
            hi = lo + 1
        return min(arrival[i] - sim[i] for i in range(lo, hi))

    def converter(self):
        """A function: simulated-time stamp (s) -> monotonic time here (s); None without /clock."""
        sim, arrival = self.snapshot()
        if not sim:
            return None
        return lambda stamp: stamp + self.offset(sim, arrival, stamp)


class Probe:
    """Subscriptions of this process, in their own context; callbacks note arrival times.

    Repetitions are keyed by (exercise, set, number): the truth, the coach's events and the
    spoken number words all restart at 1 in every set.
    """

    def __init__(self, numbers: dict[str, int]):
        import rclpy
        from berntsen_interfaces.msg import CoachState, IdsList, SessionEvent, Skeleton2D, SpeechStatus
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
        from rclpy.signals import SignalHandlerOptions
        from rosgraph_msgs.msg import Clock
        from sensor_msgs.msg import Image
        from std_msgs.msg import String

        self.rclpy, self.Skeleton2D = rclpy, Skeleton2D
        self.numbers = numbers
        self.lock = threading.Lock()
        self.clock = SimClock()
        self.frames: dict[float, float] = {}      # image stamp (sim s) -> arrival (monotonic)
        self.skeletons: dict[float, float] = {}   # skeleton stamp (sim s) -> arrival (monotonic)
        self.body_subs = {}
        self.coach_step = ''
        self.coach_set = None                     # (exercise, set) coach/state is exercising
        self.set_order: list[tuple[str, int]] = []
        self.targets: dict[tuple[str, int], int] = {}
        self.truth_at: dict[tuple, float] = {}    # (exercise, set, n) -> arrival of truth n
        self.truth_max: dict[tuple[str, int], int] = {}
        self.counted: dict[tuple, tuple[float, float]] = {}   # key -> (event arrival, 'end')
        self.coach_max: dict[tuple[str, int], int] = {}
        self.pending_count: dict[int, tuple] = {}  # n -> key counted, its number not yet spoken
        self.pending_speech: dict[int, float] = {}  # n -> arrival of a number spoken unmatched
        self.spoken_at: dict[tuple, float] = {}   # key -> first "speaking <number n>" status
        self.spoken: list[str] = []               # number words as spoken, in order
        self.last_speaking = None
        self.speaking_edges: list[tuple[float, bool]] = []   # (arrival, speaking) when it changes

        self.context = rclpy.Context()
        rclpy.init(args=[], context=self.context,
                   signal_handler_options=SignalHandlerOptions.NO)
        latched = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, depth=1,
                             history=HistoryPolicy.KEEP_LAST,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        image_qos = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, depth=2,
                               history=HistoryPolicy.KEEP_LAST)
        # only the newest time matters; the sim's writer is reliable
        clock_qos = QoSProfile(reliability=ReliabilityPolicy.RELIABLE, depth=1,
                               history=HistoryPolicy.KEEP_LAST)
        # images and /clock each in their own node and executor thread, so that counting
        # frames does not delay the arrival times of the clock and the latency topics
        self.image_node = rclpy.create_node('stack_bench_images', context=self.context)
        self.image_node.create_subscription(Image, 'camera/image_raw', self.on_image,
                                            image_qos, raw=True)
        self.clock_node = rclpy.create_node('stack_bench_clock', context=self.context)
        self.clock_node.create_subscription(Clock, '/clock', self.clock.on_clock, clock_qos)
        self.node = rclpy.create_node('stack_bench', context=self.context)
        n = self.node
        n.create_subscription(String, 'sim/truth/repetition', self.on_truth, 50)
        n.create_subscription(SpeechStatus, 'speech/status', self.on_speech, latched)
        n.create_subscription(CoachState, 'coach/state', self.on_coach, latched)
        n.create_subscription(SessionEvent, 'coach/events', self.on_event, 10)
        n.create_subscription(IdsList, '/humans/bodies/tracked', self.on_tracked, 10)
        self.executors = []
        self.threads = []
        for node in (self.image_node, self.clock_node, self.node):
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

    def on_truth(self, msg):
        now = time.monotonic()
        if not json.loads(msg.data).get('counted'):
            return   # short of the range: no count is due
        with self.lock:
            key = self.coach_set or ('?', 0)
            n = self.truth_max.get(key, 0) + 1
            self.truth_at[(*key, n)] = now
            self.truth_max[key] = n

    def on_speech(self, msg):
        if not self.speaking_edges or self.speaking_edges[-1][1] != msg.speaking:
            self.speaking_edges.append((time.monotonic(), msg.speaking))
        if not msg.speaking:
            self.last_speaking = None
            return
        if msg.text == self.last_speaking:   # the same utterance, status republished
            return
        self.last_speaking = msg.text
        word = msg.text.strip().rstrip('.!').strip().lower()
        if word not in self.numbers:
            return
        now, n = time.monotonic(), self.numbers[word]
        with self.lock:
            self.spoken.append(msg.text)
            key = self.pending_count.pop(n, None)
            if key is not None:
                self.spoken_at.setdefault(key, now)
            else:   # spoken before its coach event arrived here
                self.pending_speech[n] = now

    def on_coach(self, msg):
        with self.lock:
            self.coach_step = msg.step
            if msg.step == 'exercise' and msg.exercise:
                key = (msg.exercise, int(msg.set_number))
                self.coach_set = key
                if key not in self.targets:
                    self.set_order.append(key)
                self.targets[key] = msg.target

    def on_event(self, msg):
        # the coach's own record of each counted repetition, as `berntsen sim` reads it
        if msg.kind != 'repetition':
            return
        now = time.monotonic()
        detail = json.loads(msg.detail)
        exercise = detail.get('exercise') or detail.get('test', '')
        set_key = (exercise, int(detail.get('set', 1)))
        n = int(detail['number'])
        key = (*set_key, n)
        with self.lock:
            self.coach_max[set_key] = max(self.coach_max.get(set_key, 0), n)
            # 'end': stamp (simulated time) of the frame that completed the repetition
            self.counted[key] = (now, float(detail['end']))
            spoken = self.pending_speech.pop(n, None)
            if spoken is not None and now - spoken <= SPEECH_FIRST_S:
                self.spoken_at.setdefault(key, spoken)
            else:
                self.pending_count[n] = key

    def sets(self) -> list[tuple[str, int]]:
        """The exercise sets seen, in the order the coach ran them."""
        seen = list(self.set_order)
        for key in list(self.truth_max) + list(self.coach_max):
            if key not in seen:
                seen.append(key)
        return seen

    def counts_match(self) -> bool:
        return bool(self.coach_max) and all(
            self.coach_max.get(key, 0) == self.truth_max.get(key, 0) for key in self.sets())

    def close(self):
        for executor in self.executors:
            executor.shutdown()
        for thread in self.threads:
            thread.join(timeout=2.0)
        self.image_node.destroy_node()
        self.clock_node.destroy_node()
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
                                      scenario=args.scenario, timeout=args.timeout)
        cli.load_scenario(cli_args)   # loaded_scenario; its timeout unless --timeout
        overrides = cli.node_overrides(cli_args, run_dir)   # scenario, speech wav_dir, coach db/exit
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
            deadline = t_start + cli_args.timeout
            while time.monotonic() < deadline:
                time.sleep(0.2)
                if by_name['coach'].poll() is not None:
                    outcome = f'coach exited with status {by_name["coach"].poll()}'
                    break
                crashed = [p for p in processes if p.poll() is not None]
                if crashed:
                    outcome = f'node {crashed[0].name} exited with status {crashed[0].poll()}'
                    break
            else:
                outcome = f'timeout after {cli_args.timeout:.0f} s'
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


def lowest_windowed_rtf(sim, arrival) -> float | None:
    """Lowest simulated/wall advance over any RTF_WINDOW_S of wall time (None if shorter)."""
    lowest = None
    for i in range(len(sim)):
        j = bisect.bisect_left(arrival, arrival[i] + RTF_WINDOW_S, lo=i)
        if j >= len(sim):
            break
        factor = (sim[j] - sim[i]) / (arrival[j] - arrival[i])
        lowest = factor if lowest is None else min(lowest, factor)
    return lowest


def report(session) -> tuple[list[float], list[float], int]:
    p, sampler = session['probe'], session['sampler']
    sets = p.sets()
    print(f'\n== session {session["index"]}: {session["outcome"]}; wall {session["wall"]:.1f} s '
          f'(node start to coach exit); coach step "{p.coach_step}"; count matches truth in '
          f'every set: {"yes" if p.counts_match() else "NO"}')
    for key in sets:
        print(f'  {key[0]} set {key[1]}: counted {p.coach_max.get(key, 0)}/'
              f'{p.targets.get(key, "?")}, truth {p.truth_max.get(key, 0)}')

    sim, arrival = p.clock.snapshot()
    to_mono = p.clock.converter()
    if len(sim) > 1:
        wall = arrival[-1] - arrival[0]
        lowest = lowest_windowed_rtf(sim, arrival)
        first = SimClock.offset(sim, arrival, sim[0])
        last = SimClock.offset(sim, arrival, sim[-1])
        print(f'sim real-time factor (rendering on): {(sim[-1] - sim[0]) / wall:.3f} '
              f'({sim[-1] - sim[0]:.1f} s simulated over {wall:.1f} s wall, first to last of '
              f'{len(sim)} /clock msgs); lowest over {RTF_WINDOW_S:.0f} s of wall: '
              + (f'{lowest:.3f}' if lowest is not None else '-'))
        print(f'clock mapping (least-delayed /clock within {CLOCK_WINDOW_S} s of sim time): '
              f'simulated time fell behind wall by {last - first:.2f} s over the run; '
              f'physics steps dropped (last sim log warning): {session["drops_logged"]} '
              f'= {session["drops_logged"] / PHYSICS_RATE:.2f} s')
    else:
        print('sim real-time factor: fewer than 2 /clock msgs received')

    with p.lock:
        frames, skeletons = dict(p.frames), dict(p.skeletons)
    if frames:
        span = max(frames.values()) - min(frames.values())
        matched = [stamp for stamp in frames if stamp in skeletons]
        print(f'camera frames received: {len(frames)} ({len(frames) / span:.1f} fps of wall over '
              f'{span:.1f} s); with landmarks (skeleton2d with that stamp): {len(matched)} = '
              f'{100 * len(matched) / len(frames):.1f} %; skeleton2d msgs: {len(skeletons)}')
        if matched and to_mono:
            pose_ms = [(skeletons[stamp] - to_mono(stamp)) * 1000 for stamp in matched]
            print(f'frame stamp -> skeleton2d arrival: median {statistics.median(pose_ms):.0f} ms, '
                  f'p95 {percentile(pose_ms, 0.95):.0f} ms')
    else:
        print('camera frames received: none')
    if session['render_skipped']:
        sk, rendered = session['render_skipped']
        print(f'sim renderer (last log line): {sk} frames skipped, {rendered} rendered')

    print(f'{"process":<22}{"CPU % mean":>11}{"CPU % max 0.5s":>16}{"CPU s":>8}{"peak RSS MiB":>14}')
    for name, mean, peak, cpu_s, hwm in sampler.rows():
        print(f'{name:<22}{mean:>11.0f}{peak:>16.0f}{cpu_s:>8.1f}{hwm:>14.0f}')
    split = sampler.split_by_state('speech', list(p.speaking_edges))
    print('speech node, CPU % of one core: ' + '; '.join(
        f'{label} {100 * cpu / wall:.0f} % over {wall:.0f} s' if wall else f'{label} -'
        for label, (wall, cpu) in (('speaking', split[True]), ('between utterances', split[False]))))

    latencies, pipeline = [], []
    misaligned = 0
    with p.lock:
        order = {key: i for i, key in enumerate(sets)}
        keys = sorted(set(p.truth_at) | set(p.counted),
                      key=lambda k: (order.get(k[:2], len(order)), k[2]))
        frame_at = {key: to_mono(end) for key, (_, end) in p.counted.items()} if to_mono else {}
        for key in keys:
            if key in p.spoken_at and key in frame_at:
                pipeline.append((p.spoken_at[key] - frame_at[key]) * 1000)
            if key not in p.truth_at:
                continue
            t_truth = p.truth_at[key]
            # a count whose completing frame is far from the truth's rep end: the coach
            # counted another movement, or the truth sample reached this process late (a
            # reliable sample lost once is re-sent at the next DDS heartbeat, ~3 s in Fast
            # DDS); either way not a latency sample
            if key not in frame_at or abs(frame_at[key] - t_truth) > ALIGNED_S:
                misaligned += 1
            elif key in p.spoken_at:
                latencies.append((p.spoken_at[key] - t_truth) * 1000)
        # relative to the truth reaching n: the completing frame, the coach's event, speech
        print(f'{"exercise set rep":<20}{"truth->frame stamp":>19}{"truth->coach event":>19}'
              f'{"truth->speaking":>19}  (ms)')
        for key in keys:
            label = f'{key[0]} {key[1]} {key[2]}'
            t_truth = p.truth_at.get(key)
            if t_truth is None:
                print(f'{label:<20}  no such repetition in the truth (counted, not done)')
                continue
            event = p.counted.get(key, (None, None))[0]
            cells = [(frame_at[key] - t_truth) * 1000 if key in frame_at else None,
                     (event - t_truth) * 1000 if event is not None else None,
                     (p.spoken_at[key] - t_truth) * 1000 if key in p.spoken_at else None]
            print(f'{label:<20}' + ''.join(f'{"-" if c is None else f"{c:.0f}":>19}' for c in cells))
        spoken = list(p.spoken)
        truth_reps = len(p.truth_at)
    print(f'rep -> spoken count latency (ms, reps aligned with the truth): '
          f'{", ".join(f"{v:.0f}" for v in latencies) or "none"} '
          f'(numbers spoken: {", ".join(spoken)})')
    print(f'completing frame stamp -> spoken count (ms): '
          f'{", ".join(f"{v:.0f}" for v in pipeline) or "none"}')
    print(f'truth reps with a count whose completing frame is within {ALIGNED_S} s of the '
          f'truth rep end: {truth_reps - misaligned}/{truth_reps}')
    return latencies, pipeline, misaligned


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sessions', type=int, default=1)
    parser.add_argument('--scenario', default='cooperative_morning',
                        help='berntsen_sim scenario (default cooperative_morning)')
    parser.add_argument('--timeout', type=float, default=0,
                        help="per session, seconds (default: the scenario's timeout)")
    parser.add_argument('--fps', type=int, default=15)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--keep-logs', metavar='DIR',
                        help='keep node logs, WAVs and the session DB in DIR/session<N>')
    args = parser.parse_args()

    from berntsen_coach.phrases import Phrases
    # number words of both languages, so a scenario or programme in either is followed
    numbers = {Phrases(language).number(n).lower(): n
               for language in ('en', 'nb') for n in range(1, 100)}
    print(f'stack benchmark: sim profile, scenario {args.scenario}, camera '
          f'{args.width}x{args.height} at {args.fps} fps, {args.sessions} session(s); '
          f'ROS_DOMAIN_ID={os.environ["ROS_DOMAIN_ID"]}, MUJOCO_GL={os.environ["MUJOCO_GL"]}, '
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
        if p.coach_step != 'done' or not p.counts_match():
            failures += 1
    load = os.getloadavg()
    print(f'\n== overall: {args.sessions - failures}/{args.sessions} sessions done with the count '
          f'matching the truth in every set; load average now {load[0]:.2f} {load[1]:.2f} '
          f'{load[2]:.2f}')
    if all_latencies:
        print(f'rep -> spoken count latency over {len(all_latencies)} reps: median '
              f'{statistics.median(all_latencies):.0f} ms, p95 {percentile(all_latencies, 0.95):.0f} ms, '
              f'max {max(all_latencies):.0f} ms')
    if all_pipeline:
        print(f'completing frame -> spoken count over {len(all_pipeline)} reps: median '
              f'{statistics.median(all_pipeline):.0f} ms, p95 {percentile(all_pipeline, 0.95):.0f} ms, '
              f'max {max(all_pipeline):.0f} ms')
    print(f'truth reps without a count from a frame within {ALIGNED_S} s of the truth rep end '
          f'(left out of the rep -> spoken figures): {misaligned}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
