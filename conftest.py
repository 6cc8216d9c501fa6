"""Test environment shared by every package's tests.

Each pytest run gets a private ROS_DOMAIN_ID and localhost-only discovery, so parallel
runs on one machine do not hear each other. Node processes started by tests import the
sources (PYTHONPATH), like the tests themselves.
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SRC_PATHS = [str(p) for p in sorted((ROOT / 'src').glob('berntsen_*')) if (p / 'setup.py').exists()]


sys.path[:0] = SRC_PATHS
from berntsen_bringup.processes import claim_domain_id  # noqa: E402

os.environ['ROS_DOMAIN_ID'] = os.environ.get('BERNTSEN_TEST_DOMAIN_ID') or claim_domain_id()
os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
os.environ.setdefault('MUJOCO_GL', 'osmesa')
os.environ.setdefault('PYOPENGL_PLATFORM', os.environ['MUJOCO_GL'])
os.environ.setdefault('AMENT_PREFIX_PATH', sys.prefix)
os.environ['PYTHONPATH'] = os.pathsep.join(SRC_PATHS + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])
os.environ['PYTHONUNBUFFERED'] = '1'
os.environ['PYTHONFAULTHANDLER'] = '1'   # a native crash in a node leaves its Python stack


@pytest.fixture
def ros_nodes(tmp_path):
    """Start node processes: `proc = ros_nodes(NodeProcessSpec(...))`; all stop at teardown.

    Each node's output goes to tmp_path/<name>.log, printed if the test fails.
    """
    from berntsen_bringup.processes import NodeProcess, stop_all

    started = []

    def start(spec):
        log = open(tmp_path / f'{spec.name}.log', 'w')
        proc = NodeProcess(spec, env=os.environ, stdout=log, stderr=log)
        proc.log_path = tmp_path / f'{spec.name}.log'
        started.append(proc)
        return proc

    yield start
    stop_all(started)
    for proc in started:
        text = proc.log_path.read_text(errors='replace')
        if text.strip():
            print(f'----- {proc.name} (exit {proc.popen.returncode}) -----\n{text[-4000:]}')


@pytest.fixture
def rclpy_node():
    """A test-side rclpy node with its own context, spun in a background thread."""
    import threading

    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('berntsen_test_probe', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    yield node
    executor.shutdown()
    node.destroy_node()
    rclpy.shutdown(context=context)
    thread.join(timeout=2)


CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'


@pytest.fixture
def browser(tmp_path):
    """Debian's headless Chromium driven by Selenium through Debian's chromium-driver
    (nothing is downloaded); a robot-screen-sized window."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail('Debian\'s chromium and chromium-driver are missing: run ./scripts/setup.sh')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1280,800',
                     '--disable-dev-shm-usage', f'--user-data-dir={tmp_path / "chromium"}'):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def free_port() -> int:
    """A TCP port nothing listens on just now (for a server the test starts)."""
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
