"""The patient's screen: coach/state published -> the count shown in the browser.

Usage: .venv/bin/python bench/screen_latency.py [--counts 40] [--interval 0.5]
(from /work/main; starts its own screen node and Debian's headless Chromium).

A test-side node publishes coach/state with the count going up every `interval` seconds;
the page records (MutationObserver, Date.now()) when #count shows each new count. The
figure is the time from publishing to the page showing it: DDS to the screen node, its
snapshot over the WebSocket, and the page's render. Also the screen node's CPU share while
it does that (ps), and the page's JavaScript heap.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from benchenv import percentile  # sets up sources and a private ROS domain

EXERCISE = 'seated_arm_raise'
WATCH = '''
window.__seen = [];
const element = document.getElementById('count');
new MutationObserver(() => window.__seen.push([Date.now() / 1000, element.textContent]))
  .observe(element, {childList: true, characterData: true, subtree: true});
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--counts', type=int, default=40)
    parser.add_argument('--interval', type=float, default=0.5)
    args = parser.parse_args()

    import rclpy
    from berntsen_interfaces.msg import CoachState
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    port = free_port()
    screen = subprocess.Popen([sys.executable, '-m', 'berntsen_screen.screen_node', '--ros-args',
                               '-p', f'port:={port}'], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    rclpy.init()
    node = rclpy.create_node('screen_bench')
    publisher = node.create_publisher(CoachState, 'coach/state', QoSProfile(
        depth=1, reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL))
    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    profile = tempfile.mkdtemp()
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1280,800',
                     f'--user-data-dir={profile}'):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
    try:
        deadline = time.monotonic() + 30
        while node.count_subscribers('coach/state') == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(('127.0.0.1', port)) == 0:
                    break
            time.sleep(0.1)
        browser.get(f'http://127.0.0.1:{port}/')
        browser.execute_script(WATCH)
        sent = {}
        for count in range(1, args.counts + 1):
            msg = CoachState(routine='morning', step='exercise', exercise=EXERCISE,
                             count=count, target=args.counts, set_number=1, sets=1)
            msg.header.stamp = node.get_clock().now().to_msg()
            sent[f'{count} av {args.counts}'] = time.time()
            publisher.publish(msg)
            time.sleep(args.interval)
        time.sleep(1.0)
        seen = {}   # the first time each count is shown (each snapshot sets it again)
        for t, text in browser.execute_script('return window.__seen'):
            seen.setdefault(text, t)
        latencies = [seen[text] - t for text, t in sent.items() if text in seen]
        cpu = subprocess.run(['ps', '-o', '%cpu=,rss=', '-p', str(screen.pid)],
                             capture_output=True, text=True).stdout.split()
        heap = browser.execute_script('return performance.memory ? '
                                      'performance.memory.usedJSHeapSize : 0')
        ms = [1000 * v for v in latencies]
        print(f'counts shown: {len(latencies)} of {len(sent)}')
        print(f'publish -> shown on the page: p50 {percentile(ms, 0.5):.1f} ms, '
              f'p95 {percentile(ms, 0.95):.1f} ms, max {max(ms):.1f} ms')
        print(f'screen node: {cpu[0]} % CPU (average since start), {int(cpu[1]) / 1024:.0f} MB')
        print(f'page JavaScript heap: {heap / 1e6:.1f} MB')
    finally:
        browser.quit()
        screen.send_signal(signal.SIGINT)
        screen.wait(timeout=10)
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == '__main__':
    os.environ.setdefault('HOME', tempfile.gettempdir())
    main()
