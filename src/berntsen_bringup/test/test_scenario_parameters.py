"""A scenario's `coach:` settings reach the node that now owns them: the approach's driving
and camera settings the approach node (under its own names), the rest the coach."""
from berntsen_bringup import scenarios


def test_approach_settings_of_a_scenario_go_to_the_approach_node(tmp_path):
    from berntsen_sim.scenario import load_scenario

    path = tmp_path / 'careful.yaml'
    path.write_text('description: drives up slowly\npersona: cooperative\n'
                    'coach: {approach: true, approach_distance: 2.5, approach_speed: 0.1,\n'
                    '        approach_timeout: 60, camera_height: 1.2, reprompt_after: 8}\n'
                    'expect: {outcome: done}\n')
    scenario = load_scenario(str(path))
    params = scenarios.node_parameters(scenario)
    assert params['coach'] == {'approach': True, 'approach_distance': 2.5,
                               'reprompt_after': 8.0, 'programme_file': scenario.programme}
    assert params['approach'] == {'max_speed': 0.1, 'timeout': 60.0, 'camera_height': 1.2}
    assert isinstance(params['approach']['timeout'], float), 'rclpy wants a double'
    assert scenarios.judging(scenario).expect.approach_distance == 2.5


def test_the_shipped_approach_scenario_leaves_the_approach_node_its_defaults():
    from berntsen_sim.scenario import load_scenario

    params = scenarios.node_parameters(load_scenario('approach'))
    assert params['approach'] == {}
    assert params['coach']['approach'] is True and params['coach']['approach_distance'] == 2.2
