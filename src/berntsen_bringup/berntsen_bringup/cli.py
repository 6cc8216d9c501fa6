"""`berntsen`: run the Berntsen graph where ROS 2 launch is not installed.

    berntsen sim                 the simulated morning session with a virtual patient
                                 (--scenario NAME: another scenario; --list-scenarios;
                                 --all-scenarios: every scenario, one line each)
    berntsen robot               the stack on robot hardware
    berntsen replay VIDEO        perception and coaching on a recorded video
    berntsen replay SESSION.mcap re-count a session recording with today's counter
    berntsen check PROGRAMME     every problem of a programme file, with its line
    berntsen analyze VIDEO       offline pose and posture timeline of a video (no ROS graph);
                                 --exercise NAME also counts that exercise's repetitions
    berntsen sessions            the recorded coaching sessions
    berntsen report PATIENT      a patient's progress over sessions (--html FILE: with plots)
    berntsen routine PROGRAMME   the behaviour tree a programme's morning runs
    berntsen graph [PROFILE]     print the nodes of a profile

One process per node, each with its output in a log file of the run folder, so that
BlazePose, rendering and TTS run on both cores without sharing one GIL; this process
prints a live transcript.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from berntsen_bringup import scenarios
from berntsen_bringup.graph import load_profile, profile_names
from berntsen_bringup.processes import NodeProcess, NodeProcessSpec, stop_all
from berntsen_bringup.session_outcome import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK,
                                              SessionEnd, conclude)
from berntsen_bringup.supervision import (Fault, FaultPlan, FaultSpecError, LivenessWatch,
                                          RespawnPolicy)
from berntsen_care.cli import add_care_arguments, run_care
from berntsen_coach import report as session_report
from berntsen_vision import analysis

DEFAULT_SCENARIO = 'cooperative_morning'
EXIT_USAGE = 2


def default_run_dir() -> Path:
    state = Path(os.environ.get('XDG_STATE_HOME') or Path.home() / '.local' / 'state')
    return state / 'berntsen' / 'runs' / datetime.now().strftime('%Y%m%d-%H%M%S')


def prepare_environment(run_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if run_dir is not None:
        # rcl's own log files (one per node, with every line logged) belong with the run's
        # other logs, not in ~/.ros/log
        env['ROS_LOG_DIR'] = str(run_dir / 'ros_log')
    env.setdefault('MUJOCO_GL', 'osmesa')
    env.setdefault('PYOPENGL_PLATFORM', env['MUJOCO_GL'])
    env.setdefault('AMENT_PREFIX_PATH', sys.prefix)
    env['PYTHONUNBUFFERED'] = '1'
    # a node killed by a native crash (SIGSEGV in a DDS library) leaves its Python stack in
    # its log instead of an empty file
    env['PYTHONFAULTHANDLER'] = '1'
    return env


def node_overrides(args, run_dir: Path) -> dict[str, dict[str, object]]:
    """Per-node parameters the command line sets on top of the profile's parameter file."""
    overrides: dict[str, dict[str, object]] = {
        'speech': {'wav_dir': str(run_dir / 'speech')},
        'coach': {},
    }
    if args.command == 'sim':
        for node, params in scenarios.session_parameters(args.loaded_scenario, run_dir,
                                                         getattr(args, 'db', None)).items():
            overrides.setdefault(node, {}).update(params)
    if args.command == 'replay':
        # a replayed session is no real patient's: keep it out of the care log
        overrides['coach']['db_path'] = str(run_dir / 'sessions.sqlite3')
    if getattr(args, 'language', None):
        overrides['coach']['language'] = args.language
    if args.command == 'robot':
        overrides['recorder'] = {'path': str(run_dir / 'session.mcap')}
    if getattr(args, 'screen_port', None):
        overrides['screen'] = {'port': args.screen_port}
    if getattr(args, 'care_url', None):
        overrides['care_link'] = {'care_url': args.care_url,
                                  'token_file': str(Path(args.care_token_file or '').resolve())}
        if args.command == 'sim':   # the session's own log; never the packaged programme
            overrides['care_link']['sessions_db'] = overrides['coach']['db_path']
    if args.command == 'replay':
        overrides['camera'] = {'source': str(Path(args.video).resolve()), 'loop': False}
    if args.command == 'robot' and args.camera_source:
        overrides['camera'] = {'source': args.camera_source}
    return overrides


def start_graph(profile, overrides, run_dir: Path, env) -> list[NodeProcess]:
    return [start_node(NodeProcessSpec(module=node.module, name=node.name,
                                       params_files=[str(profile.params_file)],
                                       params=overrides.get(node.name, {}),
                                       remappings=node.remappings), run_dir, env)
            for node in profile.nodes]


def start_node(spec: NodeProcessSpec, run_dir: Path, env, again: bool = False) -> NodeProcess:
    """One node, its output in <run_dir>/<name>.log (appended to when started again)."""
    log = open(run_dir / f'{spec.name}.log', 'a' if again else 'w', encoding='utf-8')
    return NodeProcess(spec, env=env, stdout=log, stderr=log)


class Supervisor:
    """The runner's side of supervision.py: starts dead nodes again, kills hung ones (silent
    on /diagnostics) so that they start again, and injects faults."""

    def __init__(self, profile, faults: list[Fault], run_dir: Path, env, say, now: float,
                 diagnostics_heard: dict[str, float]):
        respawnable = frozenset(n.name for n in profile.nodes if n.respawn)
        self.policy = RespawnPolicy(respawnable)
        self.liveness = LivenessWatch(respawnable)
        for node in profile.nodes:
            self.liveness.started(node.name, now)
        self.diagnostics_heard = diagnostics_heard
        self.plan = FaultPlan(list(faults))
        self.run_dir, self.env, self.say = run_dir, env, say
        self.pending: dict[str, float] = {}     # node -> when to start it again
        self.resume: list[tuple[float, NodeProcess]] = []   # SIGSTOPped, SIGCONT at

    def inject(self, processes: list[NodeProcess], now: float, started: float,
               events: list[tuple[float, str, dict]]) -> None:
        first_event: dict[str, float] = {}
        for t, kind, _ in events:
            first_event.setdefault(kind, t)
        by_name = {p.name: p for p in processes}
        for fault in self.plan.due(now, started, first_event):
            proc = by_name[fault.node]
            self.say(f'fault injected: {fault.describe()}')
            sig = {'kill': signal.SIGKILL, 'int': signal.SIGINT, 'stop': signal.SIGSTOP}[fault.action]
            proc.signal(sig)
            if fault.action == 'stop':
                self.resume.append((now + fault.hold, proc))
        for due, proc in [r for r in self.resume if r[0] <= now]:
            self.resume.remove((due, proc))
            if proc.poll() is None:   # not killed meanwhile (by a fault or the liveness watch)
                proc.signal(signal.SIGCONT)
                self.say(f'node "{proc.name}" resumed (SIGCONT)')

    def tend(self, processes: list[NodeProcess], now: float, finished: set[str],
             session_begun: bool = True) -> str:
        """Start again the dead nodes that may be; '' or why the session must end."""
        for i, proc in enumerate(processes):
            if proc.name in finished:
                continue
            if proc.name in self.pending:
                if now >= self.pending[proc.name]:
                    del self.pending[proc.name]
                    processes[i] = start_node(proc.spec, self.run_dir, self.env, again=True)
                    self.liveness.started(proc.name, now)
                    self.say(f'node "{proc.name}" started again '
                             f'({self.policy.count(proc.name)} of {self.policy.max_respawns} '
                             f'in {self.policy.window:.0f} s)')
                continue
            code = proc.poll()
            if code is None:
                continue
            restart_at = self.policy.on_exit(proc.name, now, session_begun)
            if restart_at is None:
                again = ' again' if self.policy.count(proc.name) else ''
                return (f'node "{proc.name}" exited{again} with status {code}; last lines of its '
                        f'log:\n' + tail(self.run_dir / f'{proc.name}.log'))
            self.pending[proc.name] = restart_at
            self.say(f'node "{proc.name}" exited with status {code}; starting it again')
        alive = {p.name: p for p in processes if p.name not in self.pending and p.poll() is None}
        for name, silence in self.liveness.silent(now, dict(self.diagnostics_heard)):
            if name in alive:
                self.say(f'node "{name}" has published nothing on /diagnostics for {silence:.0f} s '
                         '(hung); killing it so that it starts again')
                alive[name].signal(signal.SIGKILL)
                self.liveness.started(name, now)   # ask again only once it had its chance
        return ''


def tail(path: Path, lines: int = 15) -> str:
    try:
        return '\n'.join(path.read_text(errors='replace').splitlines()[-lines:])
    except OSError:
        return ''


def load_scenario(args) -> None:
    """`berntsen sim`: the scenario named on the command line, its timeout unless given."""
    from berntsen_sim.scenario import load_scenario as load

    args.loaded_scenario = load(args.scenario)
    if not args.timeout:
        args.timeout = args.loaded_scenario.timeout


def run_session(args) -> int:
    """Run the graph until the session ends; for a scenario, judge it. Returns the exit status
    and sets `args.verdict` to a one-line reason."""
    care = ('care_link',) if getattr(args, 'care_url', None) else ()
    profile = load_profile(args.command, extra_nodes=care)
    judging = None
    if args.command == 'sim':
        load_scenario(args)
        judging = scenarios.judging(args.loaded_scenario)
    specs = getattr(args, 'fault', None) or (
        list(args.loaded_scenario.faults) if judging is not None else [])
    try:
        args.faults = [Fault.parse(spec) for spec in specs]
    except FaultSpecError as exc:
        print(f'berntsen {args.command}: {exc}', file=sys.stderr)
        return EXIT_USAGE
    unknown = sorted({f.node for f in args.faults} - {n.name for n in profile.nodes})
    if unknown:
        print(f'berntsen {args.command}: --fault names {", ".join(unknown)}, not a node of the '
              f'{profile.name} profile ({", ".join(n.name for n in profile.nodes)})', file=sys.stderr)
        return EXIT_USAGE
    run_dir = Path(args.run_dir) if args.run_dir else default_run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    env = prepare_environment(run_dir)
    os.environ.update(env)  # the monitor node in this process joins the same graph

    print(f'berntsen {profile.name}: {profile.description}')
    if judging is not None:
        scenario = args.loaded_scenario
        print(f'  scenario {scenario.name}: {scenario.description} '
              f'(expected outcome: {judging.expect.outcome})')
    print(f'  nodes: {", ".join(n.name for n in profile.nodes)}; '
          f'ROS_DOMAIN_ID={env.get("ROS_DOMAIN_ID", "0")}; logs and audio in {run_dir}')

    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from berntsen_bringup.monitor import SessionMonitor

    stop_requested = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop_requested.set())
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())

    rclpy.init(args=[], signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    monitor = SessionMonitor(print_line=lambda line: print(line, flush=True))
    overrides = node_overrides(args, run_dir)
    ends_when_coach_done = bool(overrides.get('coach', {}).get('exit_when_done'))
    # nodes first: no other thread may run while a child is forked
    processes = start_graph(profile, overrides, run_dir, env)
    executor = SingleThreadedExecutor()
    executor.add_node(monitor)
    spin_thread = threading.Thread(target=executor.spin, daemon=True)
    spin_thread.start()
    started = time.monotonic()
    supervisor = Supervisor(profile, getattr(args, 'faults', []), run_dir, env,
                            say=lambda text: print(monitor.transcript.runner(time.monotonic(), text),
                                                   flush=True),
                            now=started, diagnostics_heard=monitor.diagnostics_heard)
    session_end = SessionEnd(args.timeout, started)
    status, reason = EXIT_FAILED, ''
    try:
        while True:
            if stop_requested.wait(0.2):
                status, reason = EXIT_INTERRUPTED, 'stopped by the user'
                break
            now = time.monotonic()
            coach = {p.name: p for p in processes}.get('coach')
            coach_done = ends_when_coach_done and coach is not None and coach.poll() == 0
            supervisor.inject(processes, now, started, monitor.transcript.figures.events)
            crash = supervisor.tend(processes, now, {'coach'} if coach_done else set(),
                                    session_begun=bool(monitor.coach_step))
            ended = session_end.check(now, monitor.coach_step, coach_done, crash)
            if ended:
                status, reason = ended
                break
    finally:
        t_stop = time.monotonic()
        codes = stop_all(processes, timeout=3.0)
        executor.shutdown()
        # rcl must not be torn down under a thread still inside spin(): that aborts the process
        spin_thread.join(timeout=2.0)
        monitor.destroy_node()
        rclpy.try_shutdown()
    print(f'All nodes stopped in {time.monotonic() - t_stop:.1f} s.')

    status, reason, lines = conclude(
        status, reason, monitor.transcript, time.monotonic(), judging,
        args.loaded_scenario.name if judging is not None else '')
    for line in lines:
        print(line)
    args.verdict = reason
    print(f'{"OK" if status == EXIT_OK else "FAILED"}: {reason}. Logs: {run_dir}')
    unclean = {n: c for n, c in codes.items() if c not in (0, -signal.SIGINT, None)}
    if unclean and status == EXIT_INTERRUPTED:
        print(f'  (nodes that did not stop cleanly: {unclean})')
    if status != EXIT_OK:   # for a failure seen once on a CI machine: who was still alive
        heard, said = dict(monitor.diagnostics_heard), dict(monitor.diagnostics_said)
        print('  last /diagnostics before the end:')
        for proc in processes:
            print(f'    {proc.name}: ' + (f'{t_stop - heard[proc.name]:.1f} s before, '
                                          f'"{said.get(proc.name, "")}"' if proc.name in heard
                                          else 'never'))
    return status


def run_replay(args) -> int:
    """`berntsen replay`: a session recording is re-counted offline; a video runs the graph."""
    if args.video.endswith('.mcap'):
        from berntsen_bringup.mcap_replay import replay
        return replay(args.video, args.programme)
    return run_session(args)


def run_sim(args) -> int:
    if args.list_scenarios:
        from berntsen_sim.scenario import list_scenarios
        from berntsen_sim.scenario import load_scenario as load
        for name in list_scenarios():
            scenario = load(name)
            print(f'{name:<22} {scenario.description} (expects {scenario.expect.get("outcome", "done")})')
        return EXIT_OK
    if args.all_scenarios:
        return run_all_scenarios(args)
    return run_session(args)


def run_all_scenarios(args) -> int:
    """Every shipped scenario in turn, each in its own run folder; one line per scenario at
    the end. Exit 0 only when all passed."""
    from berntsen_sim.scenario import list_scenarios

    base = Path(args.run_dir) if args.run_dir else default_run_dir()
    timeout, lines = args.timeout, []
    status = EXIT_OK
    for name in list_scenarios():
        started = time.monotonic()
        args.scenario, args.run_dir, args.timeout, args.verdict = name, str(base / name), timeout, ''
        print(f'=== scenario {name}', flush=True)
        result = run_session(args)
        why = args.verdict.splitlines()[0] if args.verdict else ''
        lines.append(f'{name:<24} {"passed" if result == EXIT_OK else "FAILED"} '
                     f'({time.monotonic() - started:.0f} s): {why}')
        if result == EXIT_INTERRUPTED:
            status = result
            break
        if result != EXIT_OK:
            status = EXIT_FAILED
    print('\nScenarios:')
    for line in lines:
        print(f'  {line}')
    return status


def run_analyze(args) -> int:
    """`berntsen analyze`: the vision timeline, and with --exercise the coach's count."""
    if not args.exercise:
        return analysis.run(args)
    from berntsen_coach.paths import package_config
    from berntsen_coach.exercises import load_exercises
    from berntsen_coach.offline import count_repetitions, format_count
    from berntsen_vision.posture import PostureThresholds

    exercises = load_exercises(package_config() / 'exercises.yaml')
    if args.exercise not in exercises:
        print(f'berntsen analyze: unknown exercise {args.exercise!r}; choose one of '
              f'{", ".join(sorted(exercises))}', file=sys.stderr)
        return EXIT_FAILED
    try:
        result = analysis.analyze(args.video, PostureThresholds(floor_line=args.floor_line),
                                  progress=sys.stderr)
    except (analysis.AnalysisError, OSError) as error:
        print(f'berntsen analyze: {error}', file=sys.stderr)
        return EXIT_FAILED
    exercise = exercises[args.exercise]
    if args.goal is not None:
        try:
            exercise.check_goal(args.goal)
        except ValueError as error:
            print(f'berntsen analyze: --goal: {error}', file=sys.stderr)
            return EXIT_FAILED
    count = count_repetitions(exercise, ((f.time_s, f.pose) for f in result.frames),
                              result.width, result.height, prescribed=args.goal)
    print(analysis.format_timeline(result))
    print(format_count(count))
    try:
        analysis.write_outputs(result, args.csv, args.json, sys.stdout,
                               extra={'count': count.as_dict()})
    except OSError as error:
        print(f'berntsen analyze: {error}', file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def print_graph(args) -> int:
    names = [args.profile] if args.profile else profile_names()
    for name in names:
        profile = load_profile(name)
        print(f'{name}: {profile.description}\n  parameters: {profile.params_file}')
        for node in profile.nodes:
            remap = ''.join(f' {a}→{b}' for a, b in node.remappings.items())
            print(f'  {node.name:<8} {node.module:<32} {node.description}{remap}')
    return EXIT_OK


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version
    try:
        return package_version('berntsen_bringup')
    except PackageNotFoundError:
        return 'unknown (not installed: run ./scripts/setup.sh)'


def check_programme(args) -> int:
    """`berntsen check`: what the coach would refuse, every problem at once; no name shown."""
    from berntsen_coach.exercises import load_exercises
    from berntsen_coach.paths import package_config, resolve_programme
    from berntsen_coach.programme import ExerciseItem, ProgrammeError, load_programme

    exercises = load_exercises(package_config() / 'exercises.yaml')
    try:
        programme = load_programme(resolve_programme(args.programme), exercises)
    except ProgrammeError as exc:
        problems = getattr(exc, 'problems', [str(exc)])
        print('\n'.join(problems))
        print(f'{len(problems)} problem{"s" if len(problems) != 1 else ""}: the robot would '
              'not run this programme')
        return EXIT_FAILED
    print(f'OK: {programme.source}: patient {programme.patient_id}, language '
          f'{programme.language}, {"gets up" if programme.gets_up else "stays in bed"}')
    for n, item in enumerate(programme.items, 1):
        if isinstance(item, ExerciseItem):
            goal = '' if item.goal is None else f', goal {item.goal:g}'
            print(f'  {n}. {item.exercise}: {item.sets} x {item.repetitions}{goal}, '
                  f'rest {item.rest_seconds:g} s')
        else:
            print(f'  {n}. test {item.test}, rest {item.rest_seconds:g} s')
    return EXIT_OK


def print_routine(args) -> int:
    """`berntsen routine`: the behaviour tree a programme's morning runs."""
    from berntsen_coach.behaviours.tree import LEGEND, tree_dot, tree_text
    from berntsen_coach.coach_routine import CoachRoutine, RoutineSettings
    from berntsen_coach.exercises import load_exercises
    from berntsen_coach.paths import package_config, resolve_programme
    from berntsen_coach.programme import load_programme

    exercises = load_exercises(package_config() / 'exercises.yaml')
    programme = load_programme(resolve_programme(args.programme), exercises)   # ValueError
    routine = CoachRoutine(programme, exercises, RoutineSettings(approach=args.approach))
    if args.dot:
        print(tree_dot(routine.tree))
    else:
        print(f'programme {programme.source} (patient {programme.patient_id}, '
              f'{programme.language}):')
        print(tree_text(routine.tree))
        print(LEGEND)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='berntsen', description=__doc__.split('\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--version', action='version', version=f'berntsen {version()}')
    sub = parser.add_subparsers(dest='command', required=True)

    def session_options(p):
        p.add_argument('--language', choices=['nb', 'en'], help='language the robot speaks')
        p.add_argument('--run-dir', help='folder for node logs and speech audio '
                                         '(default: ~/.local/state/berntsen/runs/<time>)')
        p.add_argument('--timeout', type=float, default=0,
                       help='give up after this many seconds (default: never)')
        p.add_argument('--screen-port', type=int, metavar='PORT',
                       help='TCP port of the patient\'s screen (default: the profile\'s, 8080)')
        p.add_argument('--care-url', metavar='URL',
                       help='send alerts and sessions to this care service (berntsen care serve)')
        p.add_argument('--care-token-file', metavar='FILE',
                       help="with --care-url: the robot's credential (berntsen care add-robot)")

    p = sub.add_parser('sim', help='run the simulated morning session with a virtual patient')
    session_options(p)
    p.add_argument('--scenario', default=DEFAULT_SCENARIO,
                   help='scenario name (berntsen_sim/config/scenarios) or YAML path '
                        f'(default {DEFAULT_SCENARIO}); the timeout defaults to its own')
    p.add_argument('--list-scenarios', action='store_true', help='list the scenarios and exit')
    p.add_argument('--all-scenarios', action='store_true',
                   help='run every scenario in turn and print one line per scenario '
                        '(passed / failed and why)')
    p.add_argument('--db', help='session log to write (default: sessions.sqlite3 in the run '
                                'folder; never the care log)')
    p.add_argument('--fault', action='append', metavar='NODE:ACTION@WHEN',
                   help='inject a fault, for tests and demonstrations: ACTION kill, int or '
                        'stop<seconds>; WHEN seconds after the start or a coach event kind '
                        'with +seconds, e.g. pose:kill@set_started+3 (repeatable)')
    p.set_defaults(func=run_sim)

    p = sub.add_parser('robot', help='run the stack on robot hardware')
    session_options(p)
    p.add_argument('--camera-source', help='V4L2 device path or index')
    p.set_defaults(func=run_session)

    p = sub.add_parser('replay', help='run perception and coaching on a recorded video, or '
                                      're-count a session recording (.mcap) with today\'s counter')
    p.add_argument('video', help='video file or image folder; or a session recording '
                                 '(SESSION.mcap, written by the recorder node)')
    p.add_argument('--programme', help='with a .mcap: the programme whose goals to count '
                                       'against (default: the one the recording names)')
    session_options(p)
    p.set_defaults(func=run_replay)

    p = sub.add_parser('analyze', help='offline: pose and posture timeline of a video, no ROS graph')
    analysis.add_arguments(p)
    p.add_argument('--exercise', help='also count this exercise\'s repetitions '
                                      '(a name in berntsen_coach/config/exercises.yaml)')
    p.add_argument('--goal', type=float, metavar='VALUE',
                   help='with --exercise: a prescribed goal in the exercise\'s unit (e.g. 90 '
                        'for shoulder abduction to 90 degrees), as a programme\'s goal sets it')
    p.set_defaults(func=run_analyze)

    p = sub.add_parser('sessions', help='list recorded coaching sessions')
    session_report.add_sessions_arguments(p)
    p.set_defaults(func=session_report.run_sessions)

    p = sub.add_parser('report', help="a patient's progress over sessions; --html writes a page with plots")
    session_report.add_report_arguments(p)
    p.set_defaults(func=session_report.run_report)

    p = sub.add_parser('routine', help="print the behaviour tree of a programme's morning")
    p.add_argument('programme', help='programme YAML: a path, or a name in '
                                     'berntsen_coach/config/programmes (e.g. example)')
    p.add_argument('--dot', action='store_true', help='Graphviz dot instead of text')
    p.add_argument('--no-approach', dest='approach', action='store_false',
                   help='as the coach runs with approach:=false (greets from where it is)')
    p.set_defaults(func=print_routine)

    p = sub.add_parser('check', help='check a programme file before the robot runs it: every '
                                     'problem at once, with its line')
    p.add_argument('programme', help='programme YAML: a path, or a name in '
                                     'berntsen_coach/config/programmes (e.g. example)')
    p.set_defaults(func=check_programme)

    p = sub.add_parser('care', help="the care team's service: its database, administration, "
                                    'and serving it')
    add_care_arguments(p)
    p.set_defaults(func=run_care)

    p = sub.add_parser('graph', help='print the nodes of the profiles')
    p.add_argument('profile', nargs='?', choices=profile_names())
    p.set_defaults(func=print_graph)
    return parser


def main(argv=None) -> int:
    # Everything this command and its nodes write (logs, audio, the session log) is the
    # owner's only: it may say who the patient is and how she is doing.
    os.umask(0o077)
    os.environ.setdefault('AMENT_PREFIX_PATH', sys.prefix)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f'berntsen: {exc}', file=sys.stderr)
        return EXIT_FAILED


if __name__ == '__main__':
    sys.exit(main())
