"""The graph description: every profile resolves to real node modules and parameter files."""
import importlib.util
from pathlib import Path

import pytest
import yaml

from berntsen_bringup.graph import config_dir, load_graph, load_profile, profile_names


def test_profiles_are_sim_robot_replay():
    assert profile_names() == ['sim', 'robot', 'replay']


@pytest.mark.parametrize('name', ['sim', 'robot', 'replay'])
def test_every_node_of_a_profile_has_a_main_module(name):
    profile = load_profile(name)
    assert profile.nodes
    for node in profile.nodes:
        spec = importlib.util.find_spec(node.module)
        assert spec is not None, f'{node.module} not found'
        assert 'def main(' in Path(spec.origin).read_text(), f'{node.module} has no main()'


@pytest.mark.parametrize('name', ['sim', 'robot', 'replay'])
def test_parameter_file_only_configures_nodes_of_its_profile(name):
    profile = load_profile(name)
    params = yaml.safe_load(profile.params_file.read_text())
    node_names = {node.name for node in profile.nodes}
    assert set(params) <= node_names, f'{profile.params_file} configures unknown nodes'
    for section in params.values():
        assert set(section) == {'ros__parameters'}


def test_sim_profile_drives_the_simulator_with_its_wheel_geometry():
    from berntsen_sim.world import WHEEL_RADIUS, WHEEL_SEPARATION

    motor = yaml.safe_load(load_profile('sim').params_file.read_text())['motor']['ros__parameters']
    assert motor['backend'] == 'sim'
    assert (motor['wheel_radius'], motor['wheel_separation']) == (WHEEL_RADIUS, WHEEL_SEPARATION)


def test_unknown_profile_names_the_choices():
    with pytest.raises(ValueError, match='unknown profile "moon".*sim, robot, replay'):
        load_profile('moon')


def test_profile_naming_an_undefined_node_is_a_clear_error(tmp_path):
    bad = tmp_path / 'graph.yaml'
    bad.write_text('nodes: {}\nprofiles:\n  sim:\n    nodes: [ghost]\n')
    with pytest.raises(ValueError, match='"ghost", which is not defined'):
        load_profile('sim', bad)


def test_malformed_graph_file_is_a_clear_error(tmp_path):
    bad = tmp_path / 'graph.yaml'
    bad.write_text('nodes: [\n')
    with pytest.raises(ValueError, match='not valid YAML'):
        load_graph(bad)
    with pytest.raises(ValueError, match='cannot read'):
        load_graph(tmp_path / 'missing.yaml')


def test_config_dir_is_the_source_tree_when_running_from_sources():
    assert (config_dir() / 'graph.yaml').exists()


def test_sim_profile_runs_the_stack_on_the_simulators_clock():
    params = yaml.safe_load(load_profile('sim').params_file.read_text())
    for node in load_profile('sim').nodes:
        uses_sim_time = params.get(node.name, {}).get('ros__parameters', {}).get('use_sim_time')
        # the simulator publishes /clock; on sim time itself its timers would never start
        assert uses_sim_time is (node.name != 'sim' or None), node.name
