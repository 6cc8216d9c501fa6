"""Every package.xml declares what its Python code imports, so that `rosdep install` on a
robot brings it all, and declares nothing its code does not use.

Imports are read from the syntax tree of each package's modules and launch files (node code
and launch files: exec_depend or depend; test/: test_depend too) and mapped to rosdep keys.
"""
import ast
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from berntsen_bringup.graph import load_graph

SRC = Path(__file__).resolve().parent.parent / 'src'
PACKAGES = sorted(p.parent.name for p in SRC.glob('*/setup.py'))

# Python module → rosdep key. ROS packages are their own key.
ROS_PACKAGES = {
    'rclpy', 'std_msgs', 'sensor_msgs', 'nav_msgs', 'std_srvs', 'geometry_msgs',
    'diagnostic_msgs', 'rosgraph_msgs', 'builtin_interfaces', 'lifecycle_msgs', 'action_msgs',
    'rcl_interfaces', 'ament_index_python', 'launch', 'launch_ros', 'berntsen_interfaces',
    'berntsen_vision', 'berntsen_coach', 'berntsen_drivers', 'berntsen_sim', 'berntsen_bringup',
    'berntsen_screen', 'berntsen_care',
    'py_trees',   # released into ROS 2 (ros-<distro>-py-trees); pip-pinned off ROS
}
SYSTEM_KEYS = {
    'yaml': 'python3-yaml',
    'numpy': 'python3-numpy',
    'cv2': 'python3-opencv',
    'serial': 'python3-serial',
    'matplotlib': 'python3-matplotlib',
    'pytest': 'python3-pytest',
    'setuptools': 'python3-setuptools',
}
# Installed with pip, pinned (requirements/*.txt, the README's ROS 2 section), so not
# declared: rosdep's python3-mujoco-pip and python3-mediapipe-pip would install unpinned
# versions (mediapipe with jax and a second OpenCV), and pyttsx3 has no rosdep key.
PIP_ONLY = {
    'mujoco',      # the simulator's physics and rendering (mujoco==4.0.0)
    'mediapipe',   # BlazePose (mediapipe==0.10.14, installed --no-deps)
    'pyttsx3',     # speech over espeak-ng (itself an apt package without a rosdep key)
    'starlette',   # the screen's web framework (starlette==1.10.0); Debian 12's is 0.26
    'uvicorn',     # its server (uvicorn==0.54.0)
    'selenium',    # tests drive Debian's chromium with it (selenium==4.38.0)
    'websockets',  # tests talk to the screen's WebSocket with it (websockets==17.4)
    'mcap',        # session recordings (mcap==1.6.0); no rosdep key
    'mcap_ros2',   # their ros2 decoder, in tests (mcap-ros2-support==0.6.0)
    'httpx',       # robots talk to the care service with it (httpx==0.28.1)
    # the care service (requirements/python.txt); Debian 12's are older, psycopg 3.1 has no pool
    'psycopg', 'psycopg_pool', 'alembic', 'sqlalchemy', 'argon2', 'jinja2', 'limits',
}
WORKSPACE = {'berntsen_interfaces', *PACKAGES}


def rosdep_key(module: str) -> str | None:
    if module in ROS_PACKAGES:
        return module
    if module in SYSTEM_KEYS:
        return SYSTEM_KEYS[module]
    if module in PIP_ONLY or module in sys.stdlib_module_names:
        return None
    raise KeyError(module)


def imported_modules(paths) -> dict[str, set[str]]:
    """Top-level module → files importing it (absolute imports; not the modules beside a
    file or in tests/, which tests import as helpers)."""
    found: dict[str, set[str]] = {}
    # the whole-graph test fixtures of tests/, which a package's end-to-end test may reuse
    repository_tests = {p.stem for p in Path(__file__).resolve().parent.glob('*.py')}
    for path in paths:
        siblings = {p.stem for p in path.parent.glob('*.py')} | repository_tests
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split('.')[0] in siblings:
                    continue
                found.setdefault(name.split('.')[0], set()).add(str(path.relative_to(SRC)))
    return found


def declared(package: str) -> dict[str, set[str]]:
    root = ET.parse(SRC / package / 'package.xml').getroot()
    tags = {}
    for element in root:
        tags.setdefault(element.tag, set()).add((element.text or '').strip())
    return tags


def keys_needed(package: str, paths) -> tuple[dict[str, set[str]], list[str]]:
    needed, unknown = {}, []
    for module, files in imported_modules(paths).items():
        if module == package:
            continue
        try:
            key = rosdep_key(module)
        except KeyError:
            unknown.append(f'{module} (in {", ".join(sorted(files))})')
            continue
        if key:
            needed.setdefault(key, set()).update(files)
    return needed, unknown


def code_files(package: str):
    root = SRC / package
    return sorted((root / package).rglob('*.py')) + sorted((root / 'launch').glob('*.py'))


def test_every_python_package_is_checked():
    assert PACKAGES == ['berntsen_bringup', 'berntsen_care', 'berntsen_coach', 'berntsen_drivers',
                        'berntsen_screen', 'berntsen_sim', 'berntsen_vision']


@pytest.mark.parametrize('package', PACKAGES)
def test_package_xml_declares_what_the_code_imports(package):
    needed, unknown = keys_needed(package, code_files(package))
    assert not unknown, f'add these modules to {__file__}\'s maps: {unknown}'
    tags = declared(package)
    run_keys = tags.get('exec_depend', set()) | tags.get('depend', set())
    missing = {key: sorted(files) for key, files in needed.items() if key not in run_keys}
    assert not missing, f'{package}/package.xml lacks <exec_depend> for {missing}'


def modules_of_tests(package: str):
    return sorted((SRC / package / 'test').glob('*.py'))


@pytest.mark.parametrize('package', PACKAGES)
def test_package_xml_test_depends_cover_the_tests(package):
    needed, unknown = keys_needed(package, modules_of_tests(package))
    assert not unknown, f'add these modules to {__file__}\'s maps: {unknown}'
    tags = declared(package)
    keys = tags.get('exec_depend', set()) | tags.get('depend', set()) | tags.get('test_depend', set())
    # Tests use sibling packages of this workspace (berntsen_bringup's node runner, the
    # simulator): colcon builds the whole workspace before `colcon test`, and declaring them
    # would make cycles (berntsen_bringup runs every node package).
    missing = {key: sorted(files) for key, files in needed.items()
               if key not in keys and key not in WORKSPACE}
    assert not missing, f'{package}/package.xml lacks <test_depend> for {missing}'


@pytest.mark.parametrize('package', PACKAGES)
def test_package_xml_declares_nothing_unused(package):
    used_by_code, _ = keys_needed(package, code_files(package))
    used_by_tests, _ = keys_needed(package, modules_of_tests(package))
    if package == 'berntsen_bringup':
        # it runs the nodes of every package in its graph
        used_by_code.update({entry['package']: {'config/graph.yaml'}
                             for entry in load_graph()['nodes'].values()})
    tags = declared(package)
    stale_run = (tags.get('exec_depend', set()) | tags.get('depend', set())) \
        - set(used_by_code)
    stale_test = tags.get('test_depend', set()) - set(used_by_tests) - set(used_by_code)
    assert not stale_run and not stale_test, \
        f'{package}/package.xml declares unused {sorted(stale_run | stale_test)}'
