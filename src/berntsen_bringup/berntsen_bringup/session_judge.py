"""The session judge that sim.launch.py runs beside the stack: `berntsen sim`'s watch and
verdict as a node of its own, so that `ros2 launch` ends with the session and its exit status
says whether the session passed its scenario.

    session_judge --scenario NAME_OR_PATH [--timeout SECONDS] [--ros-args ...]

It prints the live transcript, ends once the coach has ended its routine (the coach node,
run with exit_when_done, leaves the graph), the robot has waited with a fallen patient, or
the timeout passed, then prints the summary and the verdict and exits 0 (passed), 1 (failed)
or 130 (interrupted). The launch file ends the launch on its exit and fails it on a
non-zero status.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args

from berntsen_bringup import scenarios
from berntsen_bringup.monitor import SessionMonitor
from berntsen_bringup.session_outcome import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK,
                                              SessionEnd, conclude)

COACH = 'coach'
POLL = 0.2    # s between looks at the session


def coach_running(monitor: SessionMonitor) -> bool:
    namespace = monitor.get_namespace()
    return any(name == COACH and ns == namespace
               for name, ns in monitor.get_node_names_and_namespaces())


def watch(monitor: SessionMonitor, session_end: SessionEnd,
          stop_requested: threading.Event) -> tuple[int, str]:
    """Until the session ends. The coach counts as done once it has been seen and is gone:
    the launch file fails the launch itself when the coach exits with an error."""
    coach_seen = False
    while True:
        if stop_requested.wait(POLL):
            return EXIT_INTERRUPTED, 'stopped by the user'
        running = coach_running(monitor)
        coach_seen = coach_seen or running
        ended = session_end.check(time.monotonic(), monitor.coach_step,
                                  coach_done=coach_seen and not running)
        if ended:
            return ended


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog='session_judge', description=__doc__.split('\n')[0])
    parser.add_argument('--scenario', required=True,
                        help='scenario name (berntsen_sim/config/scenarios) or YAML path')
    parser.add_argument('--timeout', type=float, default=0,
                        help="give up after this many seconds (default: the scenario's)")
    return parser.parse_args(argv)


def main(args=None) -> int:
    from berntsen_sim.scenario import load_scenario

    argv = remove_ros_args(args if args is not None else sys.argv)[1:]
    options = parse_arguments(argv)
    try:
        scenario = load_scenario(options.scenario)
        judging = scenarios.judging(scenario)
    except ValueError as error:
        print(f'session_judge: {error}', file=sys.stderr)
        return EXIT_FAILED
    print(f'session judge: scenario {scenario.name}: {scenario.description} '
          f'(expected outcome: {judging.expect.outcome})', flush=True)

    # As in `berntsen sim`: Ctrl-C (and launch's own SIGINT after it) asks the watch to stop;
    # the context stays up until the monitor is destroyed, so nothing fails under the spin
    stop_requested = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop_requested.set())
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    monitor = SessionMonitor(print_line=lambda line: print(line, flush=True))
    executor = SingleThreadedExecutor()
    executor.add_node(monitor)
    spin_thread = threading.Thread(target=executor.spin, daemon=True)
    spin_thread.start()
    try:
        status, reason = watch(monitor, SessionEnd(options.timeout or scenario.timeout,
                                                   time.monotonic()), stop_requested)
    finally:
        # stopping now: a SIGINT that comes later (launch forwards the user's) must not kill
        # the process while the interpreter finalizes, when its handler is gone
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        executor.shutdown()
        spin_thread.join(timeout=2.0)
        monitor.destroy_node()
        rclpy.try_shutdown()
    if status != EXIT_INTERRUPTED:
        status, reason, lines = conclude(status, reason, monitor.transcript, time.monotonic(),
                                         judging, scenario.name)
        for line in lines:
            print(line)
    print(f'{"OK" if status == EXIT_OK else "FAILED"}: {reason}.', flush=True)
    return status


if __name__ == '__main__':
    sys.exit(main())
