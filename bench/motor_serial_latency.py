"""Motor serial latency against the fake motor controller on a pseudo-terminal.

Usage: .venv/bin/python bench/motor_serial_latency.py [--samples 200] [--trials 30]
(from /work/main; starts its own motor node with backend=serial).

1. In this process: the serial backend writes a SET_VELOCITY frame -> the fake controller
   has decoded it (one way, host -> controller), and the controller writes ENCODERS -> the
   backend has decoded it (controller -> host, read every 2 ms here), median and p95.
2. Over DDS: `cmd_vel` published -> the first non-zero set-point decoded by the fake
   controller, through the motor node (control loop 50 Hz), median and p95.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from pathlib import Path

from benchenv import percentile  # sets up sources and a private ROS domain

from berntsen_drivers.fake_motor_controller import FakeMotorController  # noqa: E402
from berntsen_drivers.motor_protocol import Command, Decoder, encode  # noqa: E402




def summary(values):
    return (f'median {statistics.median(values) * 1000:.2f} ms, p95 {percentile(values, 0.95) * 1000:.2f} ms, '
            f'max {max(values) * 1000:.2f} ms ({len(values)} samples)')


def bench_link(samples: int) -> tuple[list[float], list[float]]:
    import serial

    to_controller, to_host = [], []
    with FakeMotorController() as fake:
        port = serial.Serial(fake.port, 115200, timeout=0, write_timeout=0)
        decoder = Decoder()
        for i in range(samples):
            value = float(i + 1)
            sent = time.monotonic()
            port.write(encode(Command.SET_VELOCITY, value, value))
            while fake.last_setpoint() != (value, value):
                time.sleep(0.0002)
            with fake.lock:
                to_controller.append(fake.setpoints[-1][0] - sent)
            # controller -> host: the next ENCODERS frame, which carries the controller's send
            # time (whole ms since its start, so this reads up to 1 ms long)
            port.reset_input_buffer()
            decoded = None
            while decoded is None:
                time.sleep(0.002)
                waiting = port.in_waiting
                for frame in decoder.feed(port.read(waiting) if waiting else b''):
                    if frame.command is Command.ENCODERS:
                        decoded, arrived = frame, time.monotonic()
                        break
            to_host.append(arrived - (fake._started + decoded.values[2] / 1000.0))
        port.write(encode(Command.SET_VELOCITY, 0.0, 0.0))
        port.close()
    return to_controller, to_host


def bench_node(trials: int) -> list[float]:
    import rclpy
    from geometry_msgs.msg import Twist
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    from berntsen_bringup.processes import NodeProcess, NodeProcessSpec, stop_all

    latencies = []
    with FakeMotorController() as fake:
        log_path = Path(os.environ.get('TMPDIR', '/tmp')) / f'motor-bench-{os.getpid()}.log'
        log = open(log_path, 'w')
        proc = NodeProcess(NodeProcessSpec(module='berntsen_drivers.motor_node', name='motor',
                                           params={'backend': 'serial', 'serial_port': fake.port}),
                           env=os.environ, stdout=log, stderr=log)
        context = rclpy.Context()
        rclpy.init(context=context)
        node = rclpy.create_node('motor_bench', context=context)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        threading.Thread(target=executor.spin, daemon=True).start()
        try:
            pub = node.create_publisher(Twist, 'cmd_vel', QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
            deadline = time.monotonic() + 30
            while pub.get_subscription_count() == 0 or fake.last_setpoint() is None:
                if time.monotonic() > deadline:
                    raise SystemExit('motor node did not start:\n' + log_path.read_text())
                time.sleep(0.05)
            time.sleep(0.5)
            moving = Twist()
            moving.linear.x = 0.1
            for _ in range(trials):
                while fake.last_setpoint() != (0.0, 0.0):  # the watchdog stops it between trials
                    time.sleep(0.01)
                time.sleep(random.uniform(0.0, 0.02))  # not in step with the node's control loop
                sent = time.monotonic()
                pub.publish(moving)
                while True:
                    with fake.lock:
                        moved = [t for t, left, _ in fake.setpoints if t > sent and left != 0.0]
                    if moved:
                        latencies.append(moved[0] - sent)
                        break
                    if time.monotonic() - sent > 2.0:
                        raise SystemExit('no set-point arrived:\n' + log_path.read_text())
                    time.sleep(0.001)
        finally:
            executor.shutdown()
            node.destroy_node()
            rclpy.shutdown(context=context)
            stop_all([proc])
            log.close()
            log_path.unlink(missing_ok=True)
    return latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--samples', type=int, default=200)
    parser.add_argument('--trials', type=int, default=30)
    args = parser.parse_args()
    to_controller, to_host = bench_link(args.samples)
    print(f'serial link (pty), host -> controller (SET_VELOCITY decoded): {summary(to_controller)}')
    print(f'serial link (pty), controller -> host (ENCODERS decoded, 2 ms polling): {summary(to_host)}')
    print(f'cmd_vel -> set-point at the controller (over DDS, motor node at 50 Hz): {summary(bench_node(args.trials))}')


if __name__ == '__main__':
    main()
