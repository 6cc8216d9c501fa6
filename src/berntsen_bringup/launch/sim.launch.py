"""The robot stack against the headless MuJoCo bedroom and a virtual patient.

    ros2 launch berntsen_bringup sim.launch.py scenario:=slow_patient language:=en

A scenario (berntsen_sim/config/scenarios/<name>.yaml, or a path) says who the virtual
patient is, where the robot starts and which programme the coach runs; the nodes of the
stack run on the simulator's /clock (use_sim_time, set in params_sim.yaml).

As `berntsen sim` does, a session judge watches the session and judges it against the
scenario: the launch ends with the session, with exit status 0 only when the session passed
(a node that dies or a failed verdict makes `ros2 launch` exit non-zero). The session is
recorded in sessions.sqlite3 of the launch's log folder (with the speech audio and the
simulated robot's e-stop latch), never in the care log.
"""
from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, OpaqueFunction, RegisterEventHandler,
                            Shutdown, TimerAction)
from launch.event_handlers import OnProcessExit
from launch.logging import launch_config
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from berntsen_bringup import scenarios
from berntsen_bringup.graph import load_profile
from berntsen_bringup.launch_builder import (coach_arguments, coach_parameters,
                                             common_arguments, profile_nodes)
from berntsen_bringup.session_outcome import EXIT_INTERRUPTED

PROFILE = 'sim'
# s to wait before judging a node's exit: Ctrl-C reaches the nodes as it reaches launch,
# whose own SIGINT handler may run after their exits are reported
CTRL_C_SETTLE = 1.0


class SessionFailed(RuntimeError):
    """Raised in the launch: launch logs it, shuts everything down and exits 1."""


def session_judge(scenario_path):
    return Node(package='berntsen_bringup', executable='session_judge', name='session_judge',
                namespace=LaunchConfiguration('namespace'),
                arguments=['--scenario', scenario_path], output='screen', emulate_tty=True)


def end_with_the_session(judge, respawning=frozenset(), coach_name='coach'):
    """On the judge's exit: end the launch, failing it unless the session passed. Any other
    node that exits before then fails it too, except the coach ending its routine and the
    nodes that launch starts again (`respawn` in graph.yaml)."""
    def on_exit(event, context):
        if context.is_shutdown:     # the nodes being stopped at the end, or Ctrl-C
            return None
        if event.action is judge:
            if event.returncode == 0:
                return [Shutdown(reason='the session passed its scenario')]
            if event.returncode == EXIT_INTERRUPTED:
                return None         # Ctrl-C: launch is stopping too
            raise SessionFailed(f'the session failed its scenario (session judge exited with '
                                f'status {event.returncode}; its verdict is above)')
        name = event.action.node_name
        if name.rsplit('/', 1)[-1] in respawning:
            return None
        if name.rsplit('/', 1)[-1] == coach_name and event.returncode == 0:
            return None             # exit_when_done: the judge sees it leave and judges

        def fail_unless_stopping(context):
            if not context.is_shutdown:
                raise SessionFailed(f'node {name} exited with status {event.returncode} '
                                    'during the session')
        return [TimerAction(period=CTRL_C_SETTLE,
                            actions=[OpaqueFunction(function=fail_unless_stopping)])]
    return RegisterEventHandler(OnProcessExit(on_exit=on_exit))


def _nodes(context):
    # The scenario is read when the launch runs: its file decides the coach's parameters.
    from berntsen_sim.scenario import load_scenario

    scenario = load_scenario(LaunchConfiguration('scenario').perform(context))
    # as `berntsen sim` does: what the simulated morning writes stays in the launch's log folder
    parameters = scenarios.session_parameters(scenario, launch_config.log_dir)
    parameters['coach'].update(coach_parameters())
    profile = load_profile(PROFILE)
    judge = session_judge(str(scenario.path))
    respawning = frozenset(node.name for node in profile.nodes if node.respawn)
    return profile_nodes(profile, parameters) + [judge, end_with_the_session(judge, respawning)]


def generate_launch_description():
    scenario = DeclareLaunchArgument(
        'scenario', default_value='cooperative_morning',
        description='Simulation scenario: a name in berntsen_sim/config/scenarios or a YAML path')
    return LaunchDescription(common_arguments(load_profile(PROFILE)) + coach_arguments()
                             + [scenario, OpaqueFunction(function=_nodes)])
