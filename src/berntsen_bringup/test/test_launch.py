"""The launch files import and declare their arguments (needs ROS 2 launch; skipped here)."""
import importlib.util
from pathlib import Path

import pytest

LAUNCH_DIR = Path(__file__).resolve().parent.parent / 'launch'
COMMON_ARGUMENTS = {'namespace', 'params_file', 'log_level'}
EXPECTED = {
    'sim.launch.py': COMMON_ARGUMENTS | {'language', 'scenario'},
    'robot.launch.py': COMMON_ARGUMENTS | {'language', 'camera_source'},
    'replay.launch.py': COMMON_ARGUMENTS | {'language', 'video'},
    'gazebo.launch.py': {'params_file', 'log_level', 'language', 'world',
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


def generated_parameters(filename, arguments):
    """{node name: the parameters its command line gets} when `filename` is launched with
    `arguments`, read from the parameter files launch_ros writes for it."""
    import yaml
    from launch import LaunchContext
    from launch.actions import DeclareLaunchArgument, OpaqueFunction
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
    entities = list(module.generate_launch_description().entities)
    while entities:
        entity = entities.pop(0)
        if isinstance(entity, DeclareLaunchArgument):
            entity.visit(context)       # its default, where not given
        elif isinstance(entity, OpaqueFunction):   # sim.launch.py: nodes from the scenario
            entities += entity.visit(context) or []
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
    ('robot.launch.py', {'camera_source': '0'}, 'camera', {'source': '0'}),
    ('robot.launch.py', {'camera_source': '0', 'language': 'en'}, 'coach', {'language': 'en'}),
    ('replay.launch.py', {'video': '2024'}, 'camera', {'source': '2024'}),
])
def test_launch_files_pass_string_arguments_as_strings(filename, arguments, node, expected):
    pytest.importorskip('launch_ros', reason='ROS 2 launch is not installed on this machine')
    assert generated_parameters(filename, arguments)[node] == expected


SCENARIOS = Path(__file__).resolve().parents[2] / 'berntsen_sim' / 'config' / 'scenarios'
PROGRAMMES = Path(__file__).resolve().parents[2] / 'berntsen_coach' / 'config' / 'programmes'
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
    ('help', 0, ['namespace:=r1', 'language:=en']),
    ('done', 1, []),
])
def test_sim_launch_ends_with_the_session_and_its_verdict(expect, status, arguments, tmp_path):
    """The fall scenario as it is (the robot calls for help: passed) and expecting a
    completed routine (failed): the launch ends either way, with the verdict's status. The
    first runs under a namespace (the motor must still drive the simulator, every node but
    the simulator run on its clock) and speaks English. Nothing the launch writes holds the
    patient's name."""
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
    if 'language:=en' in arguments:
        assert any('robot says' in line and 'Good morning' in line for line in output.splitlines())
    # the session was recorded in the launch's log folder, not the care log
    assert list((tmp_path / 'log').glob('*/sessions.sqlite3'))
    programme = PROGRAMMES / f'{scenario["programme"]}.yaml'
    name = yaml.safe_load(programme.read_text())['patient']['name'].encode()
    holding = [p for p in (tmp_path / 'log').rglob('*') if p.is_file() and name in p.read_bytes()]
    assert not holding, f'the name is written in {holding}'


@pytest.mark.parametrize('filename, arguments', [
    ('sim.launch.py', {}), ('sim.launch.py', {'scenario': 'fall'}),
    ('robot.launch.py', {}), ('replay.launch.py', {'video': 'morning.mp4'})])
def test_no_launch_file_puts_the_patients_name_into_parameters(filename, arguments):
    # launch_ros writes node parameters into files under /tmp; the name stays in the programme
    pytest.importorskip('launch_ros', reason='ROS 2 launch is not installed on this machine')
    parameters = generated_parameters(filename, arguments)
    assert 'coach' in parameters
    assert 'patient_name' not in repr(parameters) and 'Kari' not in repr(parameters)
