"""Every node ends cleanly on Ctrl-C under `ros2 launch`, and a bad parameter is one line.

Under `ros2 launch` a node gets the terminal's SIGINT and launch's own one (and a user may
press Ctrl-C again): more SIGINTs arrive while the node is still cleaning up (joining its
camera, inference or speech thread). They must not turn into a KeyboardInterrupt traceback.
"""
import os
import signal
import time

import pytest

from berntsen_bringup.graph import load_graph
from berntsen_bringup.processes import NodeProcessSpec

# Parameters that start each node without hardware, on what it has when idle.
START = {
    'sim': {'image_width': 320, 'image_height': 240},
    'camera': {},
    'pose': {},
    'coach': {},
    'approach': {},
    'speech': {'output': 'wav'},
    'motor': {'backend': 'mock'},
}
SIGINT_EVERY = 0.05     # s between SIGINTs once the first is sent
STOP_WITHIN = 10.0      # s


def module_of(name):
    entry = load_graph()['nodes'][name]
    return f'{entry["package"]}.{entry["executable"]}'


def wait_for_node(probe, name, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in probe.get_node_names():
            return
        time.sleep(0.1)
    raise AssertionError(f'node {name} did not come up within {timeout:.0f} s')


@pytest.mark.ros
@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(START))
def test_repeated_sigint_while_cleaning_up_ends_the_node_without_a_traceback(
        name, ros_nodes, rclpy_node, tmp_path):
    params = dict(START[name])
    if name == 'speech':
        params['wav_dir'] = str(tmp_path / 'speech')
    proc = ros_nodes(NodeProcessSpec(module=module_of(name), name=name, params=params))
    wait_for_node(rclpy_node, name)
    time.sleep(1.0)     # its threads (camera, inference, speech) are running
    deadline = time.monotonic() + STOP_WITHIN
    while proc.poll() is None and time.monotonic() < deadline:
        os.kill(proc.popen.pid, signal.SIGINT)
        time.sleep(SIGINT_EVERY)
    assert proc.poll() is not None, f'{name} still runs {STOP_WITHIN:.0f} s after SIGINT'
    log = proc.log_path.read_text(errors='replace')
    assert 'Traceback' not in log and 'KeyboardInterrupt' not in log, log[-3000:]
    assert proc.poll() == 0, log[-3000:]


@pytest.mark.ros
@pytest.mark.parametrize('name, parameter', [('coach', 'language:=No'),
                                             ('motor', 'backend:=wheels')])
def test_a_bad_parameter_is_one_clear_line_and_exit_1(name, parameter):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, '-m', module_of(name), '--ros-args', '-r', f'__node:={name}',
         '-p', parameter], capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert 'Traceback' not in output, output
    [line] = output.strip().splitlines()
    assert 'cannot start' in line and parameter.split(':=')[0] in line
