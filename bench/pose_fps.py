"""Pose estimator alone: frames per second and per-frame latency on 640x480 frames.

    .venv/bin/python bench/pose_fps.py [--frames 300] [--width 640 --height 480]

The person is matplotlib's grace_hopper.jpg, scaled and padded into the frame. Frames are
processed as a 30 fps video (tracking mode), one after another, on this process's CPU.
"""
import argparse
import statistics
import time

from benchenv import percentile  # sets up the sources

from berntsen_vision.pose_estimator import PoseEstimator  # noqa: E402
from berntsen_vision.sample_images import grace_hopper_frame  # noqa: E402




def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--frames', type=int, default=300)
    parser.add_argument('--warmup', type=int, default=10)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--height', type=int, default=480)
    args = parser.parse_args()

    frame = grace_hopper_frame(args.width, args.height)
    latencies, found = [], 0
    with PoseEstimator() as estimator:
        for i in range(args.warmup):
            estimator.process(frame, i / 30.0)
        start = time.perf_counter()
        for i in range(args.frames):
            began = time.perf_counter()
            landmarks = estimator.process(frame, (args.warmup + i) / 30.0)
            latencies.append(time.perf_counter() - began)
            found += landmarks is not None
        elapsed = time.perf_counter() - start
    ms = [1000.0 * t for t in latencies]
    print(f'pose estimator, {args.width}x{args.height}, {args.frames} frames (after {args.warmup} warm-up)')
    print(f'  fps:              {args.frames / elapsed:.1f}')
    print(f'  latency median:   {statistics.median(ms):.1f} ms')
    print(f'  latency p95:      {percentile(ms, 0.95):.1f} ms')
    print(f'  latency max:      {max(ms):.1f} ms')
    print(f'  person found in:  {found}/{args.frames} frames')


if __name__ == '__main__':
    main()
