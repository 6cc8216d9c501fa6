"""The launch files import and declare their arguments (needs ROS 2 launch; skipped here)."""
import importlib.util
from pathlib import Path

import pytest

LAUNCH_DIR = Path(__file__).resolve().parent.parent / 'launch'
COMMON_ARGUMENTS = {'namespace', 'params_file', 'log_level'}
EXPECTED = {
    'sim.launch.py': COMMON_ARGUMENTS | {'patient_name', 'language', 'scenario'},
    'robot.launch.py': COMMON_ARGUMENTS | {'patient_name', 'language', 'camera_source'},
    'replay.launch.py': COMMON_ARGUMENTS | {'patient_name', 'language', 'video'},
    'gazebo.launch.py': {'params_file', 'log_level', 'patient_name', 'language', 'world',
                         'headless', 'start_gazebo', 'start_stack', 'use_sim_time'},
}


def test_every_launch_file_is_listed_here():
    assert {p.name for p in LAUNCH_DIR.glob('*.launch.py')} == set(EXPECTED)


@pytest.mark.parametrize('filename', sorted(EXPECTED))
def test_launch_file_declares_its_arguments(filename):
    # launch_ros first: from sources, the launch/ folder next to this test would pass for
    # a `launch` namespace package
    pytest.importorskip('launch_ros', reason='ROS 2 launch is not installed on this machine')
    from launch.actions import DeclareLaunchArgument, OpaqueFunction
    from launch_ros.actions import Node

    spec = importlib.util.spec_from_file_location(filename.replace('.', '_'), LAUNCH_DIR / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    declared = {e.name for e in description.entities if isinstance(e, DeclareLaunchArgument)}
    assert declared == EXPECTED[filename]
    # sim.launch.py builds its nodes when it runs, from the scenario file
    assert any(isinstance(e, (Node, OpaqueFunction)) for e in description.entities)


@pytest.mark.parametrize('value', ['No', '1234', 'true', 'Kari'])
def test_string_arguments_reach_the_coach_as_strings(value):
    # launch reads arguments as YAML: without value_type=str 'No' became False, '1234' 1234
    pytest.importorskip('launch_ros', reason='ROS 2 launch is not installed on this machine')
    from launch import LaunchContext
    from launch_ros.utilities import evaluate_parameters, normalize_parameters

    from berntsen_bringup.launch_builder import coach_parameters

    context = LaunchContext()
    context.launch_configurations.update(patient_name=value, language='')
    [parameters] = evaluate_parameters(context, normalize_parameters([coach_parameters()]))
    assert parameters == {'patient_name': value, 'language': ''}


def generated_parameters(filename, arguments):
    """{node name: the parameters its command line gets} when `filename` is launched with
    `arguments`, read from the parameter files launch_ros writes for it."""
    import yaml
    from launch import LaunchContext
    from launch.actions import DeclareLaunchArgument
    from launch.utilities import perform_substitutions
    from launch_ros.actions import Node

    spec = importlib.util.spec_from_file_location(filename.replace('.', '_'), LAUNCH_DIR / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    context = LaunchContext()
    # what launch_ros's Node.execute() adds for its command line, not read here
    context.extend_locals({'ros_specific_arguments': {'name': '__node:=_', 'ns': '__ns:=/'}})
    context.launch_configurations.update(arguments)
    parameters = {}
    for entity in module.generate_launch_description().entities:
        if isinstance(entity, DeclareLaunchArgument):
            entity.visit(context)       # its default, where not given
        elif isinstance(entity, Node):
            entity._perform_substitutions(context)
            command = [perform_substitutions(context, part) for part in entity.cmd]
            files = [command[i + 1] for i, part in enumerate(command) if part == '--params-file']
            merged = {}
            for path in files[1:]:      # the first is the profile's file, keyed by node
                for section in yaml.safe_load(Path(path).read_text()).values():
                    merged.update(section['ros__parameters'])
            parameters[entity.node_name.rsplit('/', 1)[-1]] = merged
    return parameters


@pytest.mark.parametrize('filename, arguments, node, expected', [
    ('robot.launch.py', {'camera_source': '0', 'patient_name': 'No'}, 'camera', {'source': '0'}),
    ('robot.launch.py', {'camera_source': '0', 'patient_name': 'No'}, 'coach',
     {'patient_name': 'No', 'language': ''}),
    ('replay.launch.py', {'video': '2024', 'patient_name': '1234'}, 'camera', {'source': '2024'}),
    ('replay.launch.py', {'video': '2024', 'patient_name': '1234'}, 'coach',
     {'patient_name': '1234', 'language': ''}),
])
def test_launch_files_pass_string_arguments_as_strings(filename, arguments, node, expected):
    pytest.importorskip('launch_ros', reason='ROS 2 launch is not installed on this machine')
    assert generated_parameters(filename, arguments)[node] == expected


SCENARIOS = Path(__file__).resolve().parents[2] / 'berntsen_sim' / 'config' / 'scenarios'
RUN_LAUNCH_FILE = '''
import sys
import launch
from launch.launch_description_sources import PythonLaunchDescriptionSource
service = launch.LaunchService(noninteractive=True)
service.include_launch_description(launch.actions.IncludeLaunchDescription(
    PythonLaunchDescriptionSource(sys.argv[1]),
    launch_arguments=[a.split(':=', 1) for a in sys.argv[2:]]))
sys.exit(service.run())
'''


@pytest.mark.slow
@pytest.mark.ros
@pytest.mark.parametrize('expect, status, arguments', [
    ('help', 0, ['namespace:=r1', 'patient_name:=1234']),
    ('done', 1, []),
])
def test_sim_launch_ends_with_the_session_and_its_verdict(expect, status, arguments, tmp_path):
    """The fall scenario as it is (the robot calls for help: passed) and expecting a
    completed routine (failed): the launch ends either way, with the verdict's status. The
    first runs under a namespace (the motor must still drive the simulator, every node but
    the simulator run on its clock) and greets a patient named 1234."""
    pytest.importorskip('launch_ros', reason='ROS 2 launch is not installed on this machine')
    import os
    import subprocess
    import sys

    import yaml

    scenario = yaml.safe_load((SCENARIOS / 'fall.yaml').read_text())
    scenario['expect'] = {'outcome': expect}
    path = tmp_path / 'fall.yaml'
    path.write_text(yaml.safe_dump(scenario))
    env = dict(os.environ, ROS_LOG_DIR=str(tmp_path / 'log'))
    env.setdefault('AMENT_PREFIX_PATH', sys.prefix)
    result = subprocess.run(
        [sys.executable, '-c', RUN_LAUNCH_FILE, str(LAUNCH_DIR / 'sim.launch.py'),
         f'scenario:={path}', *arguments], env=env, capture_output=True, text=True,
        timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == status, output[-3000:]
    assert ('OK: the robot is waiting with the patient for help' in output) == (status == 0)
    if 'patient_name:=1234' in arguments:
        assert any('robot says' in line and '1234' in line for line in output.splitlines())
    # the session was recorded in the launch's log folder, not the care log
    assert list((tmp_path / 'log').glob('*/sessions.sqlite3'))
