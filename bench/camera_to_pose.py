"""Camera node process -> pose node process over DDS: delivery, skipping and latency.

    .venv/bin/python bench/camera_to_pose.py [--duration 60] [--fps 30]
        [--reliability reliable|best_effort] [--camera-depth 2] [--pose-depth 1]

The camera node replays a 640x480 frame of matplotlib's grace_hopper.jpg (an image folder,
looped) at --fps; the pose node runs BlazePose on it. Both are real node processes started
like the `berntsen` command starts them; this process only listens to /diagnostics and the
small body topics (it does not subscribe to the images, so it adds no image traffic).

Figures, over the measuring window after --warmup seconds:
- delivered: images the pose node received / images the camera published (rates from
  the nodes' own counters in /diagnostics);
- processed / skipped: share of received images that ran through BlazePose / were
  replaced in the one-slot buffer by a newer image before the worker took them;
- latency: camera stamp -> skeleton2d received here (same machine clock), median / p95;
  that is the pose node's publish time plus the small skeleton message's delivery;
- CPU: each node process's user + system time over the window (from /proc/<pid>/stat),
  as % of one core (200 % = both cores of this machine);
- memory: each node process's resident memory (VmRSS) at the window's start and end, and
  the growth scaled to an hour (run with --duration 3600 for an hour's figure).
"""
import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchenv import percentile  # noqa: E402  (sets up sources and a private ROS domain)

import cv2  # noqa: E402
import rclpy  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from berntsen_bringup.processes import NodeProcess, NodeProcessSpec, stop_all  # noqa: E402
from berntsen_interfaces.msg import IdsList, Skeleton2D  # noqa: E402
from berntsen_vision.sample_images import grace_hopper_frame  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402




class Probe:
    """Collects node counters from /diagnostics and skeleton latencies."""

    def __init__(self, node):
        self.node = node
        self.lock = threading.Lock()
        self.counters = {'camera': [], 'pose': []}  # (time, {key: value})
        self.latencies = []  # (receive time, latency s)
        self.body_ids = set()
        self._skeleton_subs = {}
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 50)
        node.create_subscription(IdsList, '/humans/bodies/tracked', self._on_tracked, 10)

    def _on_diagnostics(self, msg):
        now = time.time()
        for status in msg.status:
            kind = status.name.rsplit(': ', 1)[-1]
            if kind in self.counters:
                stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
                with self.lock:
                    self.counters[kind].append((stamp, {kv.key: kv.value for kv in status.values}, now))

    def _on_tracked(self, msg):
        for body_id in msg.ids:
            if body_id not in self._skeleton_subs:
                self.body_ids.add(body_id)
                self._skeleton_subs[body_id] = self.node.create_subscription(
                    Skeleton2D, f'/humans/bodies/{body_id}/skeleton2d', self._on_skeleton, 10)

    def _on_skeleton(self, msg):
        now = time.time()
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        with self.lock:
            self.latencies.append((now, now - stamp))


CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pid):
    """User + system CPU time of a process so far (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f'/proc/{pid}/stat') as stream:
        fields = stream.read().rsplit(')', 1)[1].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def resident_mb(pid):
    with open(f'/proc/{pid}/status') as stream:
        for line in stream:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return float('nan')


def window(samples, start, end):
    inside = [s for s in samples if start <= s[2] <= end]
    if len(inside) < 2:
        raise SystemExit('too few diagnostics in the measuring window; is a node failing?')
    return inside[0], inside[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--duration', type=float, default=60.0, help='measuring window, seconds')
    parser.add_argument('--warmup', type=float, default=5.0, help='seconds after the first skeleton before measuring')
    parser.add_argument('--fps', type=float, default=30.0)
    parser.add_argument('--reliability', choices=('reliable', 'best_effort'), default='reliable')
    parser.add_argument('--camera-depth', type=int, default=2)
    parser.add_argument('--pose-depth', type=int, default=1)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='camera_to_pose_'))
    frames = workdir / 'frames'
    frames.mkdir()
    cv2.imwrite(str(frames / 'grace_hopper_640x480.png'), cv2.cvtColor(grace_hopper_frame(), cv2.COLOR_RGB2BGR))

    rclpy.init()
    node = rclpy.create_node('camera_to_pose_probe')
    probe = Probe(node)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()

    logs, processes = [], []

    def start(spec):
        log = open(workdir / f'{spec.name}.log', 'w')
        logs.append(workdir / f'{spec.name}.log')
        processes.append(NodeProcess(spec, env=os.environ, stdout=log, stderr=log))

    try:
        start(NodeProcessSpec(module='berntsen_vision.pose_node', name='pose', params={
            'qos_reliability': args.reliability, 'qos_depth': args.pose_depth}))
        deadline = time.time() + 60
        while not probe.counters['pose'] and time.time() < deadline:
            time.sleep(0.1)
        start(NodeProcessSpec(module='berntsen_vision.camera_node', name='camera', params={
            'source': str(frames), 'fps': args.fps, 'width': 640, 'height': 480,
            'qos_reliability': args.reliability, 'qos_depth': args.camera_depth}))
        deadline = time.time() + 60
        while not probe.latencies and time.time() < deadline:
            time.sleep(0.1)
        if not probe.latencies:
            raise SystemExit(f'no skeleton arrived within 60 s; node logs: {", ".join(map(str, logs))}')
        time.sleep(args.warmup)
        began = time.time()
        cpu_before = {p.spec.name: cpu_seconds(p.popen.pid) for p in processes}
        rss_before = {p.spec.name: resident_mb(p.popen.pid) for p in processes}
        time.sleep(args.duration)
        ended = time.time()
        rss_after = {p.spec.name: resident_mb(p.popen.pid) for p in processes}
        cpu = {p.spec.name: 100.0 * (cpu_seconds(p.popen.pid) - cpu_before[p.spec.name]) / (ended - began)
               for p in processes}
    finally:
        stop_all(processes)
        executor.shutdown()
        spinner.join(timeout=2.0)
        node.destroy_node()
        rclpy.try_shutdown()

    with probe.lock:
        cam_first, cam_last = window(probe.counters['camera'], began, ended)
        pose_first, pose_last = window(probe.counters['pose'], began, ended)
        latencies = [1000.0 * lat for t, lat in probe.latencies if began <= t <= ended]

    def rate(first, last, key):
        return (float(last[1][key]) - float(first[1][key])) / (last[0] - first[0])

    def delta(first, last, key):
        return int(last[1][key]) - int(first[1][key])

    published_rate = rate(cam_first, cam_last, 'frames_published')
    received_rate = rate(pose_first, pose_last, 'images_received')
    received = delta(pose_first, pose_last, 'images_received')
    processed = delta(pose_first, pose_last, 'images_processed')
    skipped = delta(pose_first, pose_last, 'images_skipped')
    print(f'camera -> pose, 640x480 rgb8 at {args.fps:g} fps, {args.reliability}, '
          f'camera depth {args.camera_depth}, pose depth {args.pose_depth}, {args.duration:g} s window')
    print(f'  camera published: {published_rate:.2f} frames/s')
    delivered = 100.0 * received_rate / published_rate
    print(f'  pose received:    {received_rate:.2f} frames/s -> delivered {delivered:.1f} %')
    print(f'  of received:      processed {100.0 * processed / max(received, 1):.1f} %, '
          f'skipped {100.0 * skipped / max(received, 1):.1f} % ({received} received)')
    print(f'  skeletons:        {len(latencies) / (ended - began):.2f} /s, body ids seen: {sorted(probe.body_ids)}')
    if latencies:
        print(f'  latency camera stamp -> skeleton received: median {statistics.median(latencies):.1f} ms, '
              f'p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms')
    print('  CPU (% of one core): ' + ', '.join(f'{name} {share:.0f} %' for name, share in cpu.items()))
    hours = (ended - began) / 3600.0
    print('  memory (VmRSS): ' + ', '.join(
        f'{name} {rss_before[name]:.0f} -> {rss_after[name]:.0f} MB '
        f'({(rss_after[name] - rss_before[name]) / hours:+.1f} MB per hour)' for name in rss_before))
    shutil.rmtree(workdir)


if __name__ == '__main__':
    main()
