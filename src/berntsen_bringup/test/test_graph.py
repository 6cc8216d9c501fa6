"""The graph description: every profile resolves to real node modules and parameter files."""
import importlib.util
from pathlib import Path

import pytest
import yaml

from berntsen_bringup.graph import (config_dir, load_graph, load_parameters, load_profile,
                                    profile_names)


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
    params = load_parameters(profile.params_file)
    node_names = {node.name for node in profile.nodes}
    assert set(params) <= node_names, f'{profile.params_file} configures unknown nodes'


@pytest.mark.parametrize('name', ['sim', 'robot', 'replay'])
def test_parameter_file_sections_match_the_node_under_any_namespace(name):
    # a bare `coach:` key reaches /coach only: under namespace:=r1 every parameter was lost
    keys = yaml.safe_load(load_profile(name).params_file.read_text())
    assert keys and all(key.startswith('/**/') for key in keys), sorted(keys)


def test_a_bare_node_key_is_refused_with_the_fix(tmp_path):
    bare = tmp_path / 'params.yaml'
    bare.write_text('coach:\n  ros__parameters:\n    language: nb\n')
    with pytest.raises(ValueError, match='"coach" must be keyed "/\\*\\*/coach"'):
        load_parameters(bare)


@pytest.mark.ros
def test_rcl_applies_the_sim_parameters_to_namespaced_nodes():
    import rclpy
    from rclpy.node import Node

    params_file = str(load_profile('sim').params_file)
    for namespace in ('', 'r1', 'site/r1'):
        context = rclpy.Context()
        rclpy.init(args=['--ros-args', '--params-file', params_file], context=context)
        try:
            nodes = {name: Node(name, namespace=namespace, context=context,
                                automatically_declare_parameters_from_overrides=True)
                     for name in ('motor', 'coach')}
            assert nodes['motor'].get_parameter('backend').value == 'sim', namespace
            assert nodes['coach'].get_parameter('use_sim_time').value is True, namespace
            for node in nodes.values():
                node.destroy_node()
        finally:
            rclpy.shutdown(context=context)


def test_sim_profile_drives_the_simulator_with_its_wheel_geometry():
    from berntsen_sim.world import WHEEL_RADIUS, WHEEL_SEPARATION

    motor = load_parameters(load_profile('sim').params_file)['motor']
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


def test_nodes_that_may_be_restarted_and_those_that_may_not():
    respawn = {node.name: node.respawn for node in load_profile('sim').nodes}
    assert respawn['pose'] and respawn['speech'] and respawn['motor']
    assert not respawn['sim'], 'a new simulator would reset the world'
    assert not respawn['coach'], 'a new coach would start a new session'


def test_respawn_must_be_true_or_false(tmp_path):
    bad = tmp_path / 'graph.yaml'
    bad.write_text('nodes:\n  a: {package: p, executable: e, respawn: "yes"}\n'
                   'profiles:\n  sim:\n    nodes: [a]\n')
    with pytest.raises(ValueError, match='respawn must be true or false'):
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
    params = load_parameters(load_profile('sim').params_file)
    for node in load_profile('sim').nodes:
        uses_sim_time = params.get(node.name, {}).get('use_sim_time')
        # the simulator publishes /clock; on sim time itself its timers would never start
        assert uses_sim_time is (node.name != 'sim' or None), node.name
