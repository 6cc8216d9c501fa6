"""After ./scripts/setup.sh, `ros2 run` and launch_ros find every node of the graph.

They look for `<package prefix>/lib/<package>/<executable>`, the prefix found through the
ament index (AMENT_PREFIX_PATH). This checks the installed copy, not the sources.
"""
import os
import sys
from pathlib import Path

import pytest

from berntsen_bringup.graph import load_graph


def launched_executables():
    """Every node of the graph, and the session judge that sim.launch.py adds."""
    return sorted({(entry['package'], entry['executable'])
                   for entry in load_graph()['nodes'].values()}
                  | {('berntsen_bringup', 'session_judge')})


@pytest.mark.parametrize('package, executable', launched_executables())
def test_node_executable_is_where_ros2_tools_look(package, executable, monkeypatch):
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix

    monkeypatch.setenv('AMENT_PREFIX_PATH', os.environ.get('AMENT_PREFIX_PATH') or sys.prefix)
    try:
        prefix = Path(get_package_prefix(package))
    except PackageNotFoundError:
        pytest.fail(f'{package} is not installed in {os.environ["AMENT_PREFIX_PATH"]}: '
                    'run ./scripts/setup.sh')
    path = prefix / 'lib' / package / executable
    assert path.is_file(), f'{path} is missing: ros2 run {package} {executable} would fail'
    assert os.access(path, os.X_OK), f'{path} is not executable'
    # the console script that imports this node's main(), not some other program
    assert f'from {package}.{executable} import main' in path.read_text()
