"""Node processes: the command line they get, and that stopping them leaves nothing behind."""
import os
import signal
import sys
import time

from berntsen_bringup.processes import NodeProcess, NodeProcessSpec, stop_all


def test_command_carries_name_params_and_remappings():
    spec = NodeProcessSpec(module='pkg.thing_node', name='thing', namespace='robot1',
                           params_files=['/p.yaml'],
                           params={'flag': True, 'name': 'Kari', 'rate': 1.5, 'ids': [1, 2]},
                           remappings={'image': 'camera/image_raw'})
    cmd = spec.command()
    assert cmd[:4] == [sys.executable, '-u', '-m', 'pkg.thing_node']
    args = ' '.join(cmd[4:])
    assert '--ros-args -r __node:=thing -r __ns:=robot1 --params-file /p.yaml' in args
    assert "-p flag:=true -p name:='Kari' -p rate:=1.5 -p ids:=[1,2]" in args
    assert '-r image:=camera/image_raw' in args


def _sleeper(tmp_path, ignore_sigint=False):
    """A stand-in 'node' module: sleeps and, if asked, ignores SIGINT like a hung node."""
    module = tmp_path / ('stubborn_node.py' if ignore_sigint else 'sleepy_node.py')
    module.write_text(
        'import signal, subprocess, sys, time\n'
        + ('signal.signal(signal.SIGINT, signal.SIG_IGN)\n' if ignore_sigint else '')
        + 'child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])\n'
        + 'print(child.pid, flush=True)\n'
        + 'time.sleep(60)\n')
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    log = open(tmp_path / f'{module.stem}.log', 'w')
    return NodeProcess(NodeProcessSpec(module=module.stem, name=module.stem), env=env,
                       stdout=log, stderr=log), tmp_path / f'{module.stem}.log'


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not alive
    with open(f'/proc/{pid}/stat') as f:
        return f.read().split()[2] != 'Z'


def _child_pid(log_path):
    for _ in range(100):
        text = log_path.read_text().strip()
        if text:
            return int(text.split()[0])
        time.sleep(0.05)
    raise AssertionError('the test node did not start')


def test_stop_all_ends_nodes_and_their_children_quickly(tmp_path):
    polite, polite_log = _sleeper(tmp_path)
    stubborn, stubborn_log = _sleeper(tmp_path, ignore_sigint=True)
    children = [_child_pid(polite_log), _child_pid(stubborn_log)]
    start = time.monotonic()
    codes = stop_all([polite, stubborn], timeout=1.0)
    assert time.monotonic() - start < 3.0
    assert codes['sleepy_node'] == -signal.SIGINT or codes['sleepy_node'] == 1
    assert codes['stubborn_node'] == -signal.SIGTERM
    time.sleep(0.2)
    assert not any(_alive(pid) for pid in children)


def test_nodes_take_sigint_even_when_the_runner_ignores_it(tmp_path):
    # a runner started in the background by a script inherits SIGINT ignored (POSIX)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        polite, log = _sleeper(tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)
    child = _child_pid(log)
    codes = stop_all([polite], timeout=1.0)
    assert codes['sleepy_node'] in (-signal.SIGINT, 1), 'ended by SIGINT, not SIGTERM'
    time.sleep(0.2)
    assert not _alive(child)


def test_nodes_end_when_the_runner_is_killed(tmp_path):
    (tmp_path / 'sleepy_node.py').write_text('import time\nprint("up", flush=True)\ntime.sleep(60)\n')
    runner_code = (
        'import os, sys, time\n'
        'from berntsen_bringup.processes import NodeProcess, NodeProcessSpec\n'
        'node = NodeProcess(NodeProcessSpec(module="sleepy_node", name="sleepy_node"),\n'
        f'                  env=dict(os.environ, PYTHONPATH={str(tmp_path)!r}))\n'
        'print(node.popen.pid, flush=True)\n'
        'time.sleep(60)\n')
    import subprocess
    runner = subprocess.Popen([sys.executable, '-c', runner_code], stdout=subprocess.PIPE, text=True)
    node_pid = int(runner.stdout.readline())
    time.sleep(1.0)
    assert _alive(node_pid)
    runner.kill()   # no chance to stop its nodes
    runner.wait()
    deadline = time.monotonic() + 5
    while _alive(node_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(node_pid), 'the node outlived the runner'
