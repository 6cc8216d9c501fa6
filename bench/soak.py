"""Soak: simulated sessions back to back, as a robot would do them morning after morning.

Usage: .venv/bin/python bench/soak.py [--sessions N | --hours H] [--scenario NAME]
       [--run-dir DIR]

Each session is a `berntsen sim --scenario NAME` run of its own (its own folder under
DIR/sessions/), all writing one session log (DIR/sessions.sqlite3), as one robot's log
grows. Every SAMPLE_S the node processes of the running session are read from /proc:
resident memory (VmRSS) and open file descriptors. Printed per session: its verdict and
duration, each node's peak memory and file descriptors, and the size of the session log
and of everything written so far; at the end any failure, and whether the nodes'
memory or descriptors grew from the first session to the last.

The runner starts every node afresh for each session, so this finds what one session
leaks or leaves behind (files, log rows, disk), not what a node running for weeks would
accumulate across sessions: the coach runs one session per process today.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import benchenv  # noqa: F401  (sources on the path, private ROS domain)

SAMPLE_S = 1.0
SOAK_STARTED = time.monotonic()


def _node_processes(root_pid: int) -> dict[int, str]:
    """{pid: node name} of the node processes descending from `root_pid`."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    nodes, todo = {}, list(children.get(root_pid, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                args = f.read().decode(errors='replace').split('\0')
        except OSError:
            continue
        name = next((a.split(':=', 1)[1] for a in args if a.startswith('__node:=')), None)
        if name:
            nodes[pid] = name
    return nodes


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _open_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f'/proc/{pid}/fd'))
    except OSError:
        return None


class NodeSampler(threading.Thread):
    """Peak memory and descriptors per node name while a session runs."""

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.peak_mb: dict[str, float] = {}
        self.peak_fds: dict[str, int] = {}
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(SAMPLE_S):
            for pid, name in _node_processes(self.root_pid).items():
                rss, fds = _rss_mb(pid), _open_fds(pid)
                if rss is not None:
                    self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), rss)
                if fds is not None:
                    self.peak_fds[name] = max(self.peak_fds.get(name, 0), fds)


def _size_kb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1024.0
    return sum(p.stat().st_size for p in path.rglob('*') if p.is_file()) / 1024.0


def run_one(index: int, args, base: Path) -> dict:
    run_dir = base / 'sessions' / f'{index:03d}'
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, '-m', 'berntsen_bringup.cli', 'sim', '--scenario', args.scenario,
         '--run-dir', str(run_dir), '--db', str(base / 'sessions.sqlite3')],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = NodeSampler(proc.pid)
    sampler.start()
    output, _ = proc.communicate()
    sampler.done.set()
    sampler.join()
    verdict = next((line for line in reversed(output.splitlines())
                    if line.startswith(('OK:', 'FAILED:'))), output.strip()[-300:])
    if run_dir.is_dir():   # what the runner printed, beside the nodes' logs
        (run_dir / 'runner.log').write_text(output)
    return {'index': index, 'status': proc.returncode, 'verdict': verdict,
            'started': started - SOAK_STARTED,
            'seconds': time.monotonic() - started, 'peak_mb': sampler.peak_mb,
            'peak_fds': sampler.peak_fds, 'db_kb': _size_kb(base / 'sessions.sqlite3'),
            'written_kb': _size_kb(base)}


def print_session(result: dict, nodes: list[str]) -> None:
    cells = ' '.join(f'{result["peak_mb"].get(n, 0):5.0f}/{result["peak_fds"].get(n, 0):<3d}'
                     for n in nodes)
    print(f'{result["index"]:>3} {"ok" if result["status"] == 0 else "FAIL":<4} '
          f'{result["seconds"]:6.0f} s  {cells}  {result["db_kb"]:8.0f} {result["written_kb"]:9.0f}',
          flush=True)
    if result['status'] != 0:
        print(f'      {result["verdict"]}', flush=True)


def growth_per_hour(results: list[dict], node: str) -> float:
    """Least-squares slope of the node's peak memory over the soak, MB per hour (0 with
    fewer than two sessions): one session's noise moves it less than first-to-last."""
    points = [(r['started'] / 3600.0, r['peak_mb'][node]) for r in results
              if node in r['peak_mb']]
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_m = sum(m for _, m in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (m - mean_m) for t, m in points) / spread if spread else 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sessions', type=int, default=0, help='this many sessions')
    parser.add_argument('--hours', type=float, default=0.0,
                        help='sessions until this much time has passed (default 1 h, when '
                             'no --sessions)')
    parser.add_argument('--scenario', default='cooperative_morning')
    parser.add_argument('--run-dir', help='keep everything here (default: a temporary folder)')
    args = parser.parse_args(argv)
    os.umask(0o077)   # the runner's output and the session log are the owner's only
    if args.sessions < 0 or args.hours < 0:
        parser.error('--sessions and --hours must not be negative')
    if not args.sessions and not args.hours:
        args.hours = 1.0

    from berntsen_bringup.graph import load_profile
    nodes = [n.name for n in load_profile('sim').nodes]
    with tempfile.TemporaryDirectory(prefix='berntsen-soak-') as tmp:
        base = Path(args.run_dir) if args.run_dir else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        print(f'soak: scenario {args.scenario}, '
              + (f'{args.sessions} sessions' if args.sessions else f'{args.hours:g} h')
              + f', in {base}')
        print(f'per node: peak MB / peak open fds; sizes in kB\n  # ok?  time  '
              + ' '.join(f'{n[:9]:>9}' for n in nodes) + '   session log   written')
        results, deadline = [], time.monotonic() + args.hours * 3600
        while (len(results) < args.sessions) if args.sessions else time.monotonic() < deadline:
            results.append(run_one(len(results) + 1, args, base))
            print_session(results[-1], nodes)
        failures = [r for r in results if r['status'] != 0]
        print(f'\n{len(results)} sessions, {len(failures)} failed')
        for r in failures:
            print(f'  session {r["index"]}: {r["verdict"]}')
        first, last = results[0], results[-1]
        for n in nodes:
            print(f'  {n:<9} memory {first["peak_mb"].get(n, 0):.0f} -> '
                  f'{last["peak_mb"].get(n, 0):.0f} MB ({growth_per_hour(results, n):+.1f} MB '
                  f'per hour), fds {first["peak_fds"].get(n, 0)} -> {last["peak_fds"].get(n, 0)}')
        print(f'  session log {results[0]["db_kb"]:.0f} -> {last["db_kb"]:.0f} kB '
              f'({(last["db_kb"] - first["db_kb"]) / max(1, len(results) - 1):.0f} kB per session); '
              f'all files {last["written_kb"] / 1024:.1f} MB')
        return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
