"""config/*.yaml name exactly the parameters the nodes declare, with the same defaults."""
from pathlib import Path

import pytest
import yaml

CONFIG = Path(__file__).resolve().parents[1] / 'config'


@pytest.mark.ros
@pytest.mark.parametrize('module, cls, yaml_name', [
    ('berntsen_drivers.speech_node', 'SpeechNode', 'speech.yaml'),
    ('berntsen_drivers.motor_node', 'MotorNode', 'motor.yaml'),
])
def test_config_matches_declared_defaults(module, cls, yaml_name, tmp_path, monkeypatch):
    import importlib

    import rclpy

    # Only the declarations matter here. A speech node starts espeak in its worker thread,
    # and espeak lives once per process: left to a thread of this test process, it would
    # hang test_tts_espeak's engine later in the same run.
    monkeypatch.setattr('berntsen_drivers.tts.Pyttsx3Engine.start', lambda self: None)

    node_name = yaml_name.removesuffix('.yaml')
    params = yaml.safe_load((CONFIG / yaml_name).read_text())[node_name]['ros__parameters']
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        overrides = {'wav_dir': str(tmp_path)} if node_name == 'speech' else {}
        from rclpy.parameter import Parameter
        node = getattr(importlib.import_module(module), cls)(
            context=context, parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()])
        try:
            ours = [name for name in node._parameters if name not in ('use_sim_time', 'start_type_description_service')]
            declared = {name: node.get_parameter(name).value for name in ours}
            for name, value in params.items():
                if name in overrides:
                    continue
                assert name in declared, f'{yaml_name}: {name} is not a parameter of {cls}'
                assert declared[name] == value, f'{yaml_name}: {name} = {value!r}, default {declared[name]!r}'
            assert set(declared) == set(params), f'{cls} parameters missing from {yaml_name}'
            for name in declared:
                assert node.describe_parameter(name).description, f'{name} has no description'
        finally:
            node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


@pytest.mark.ros
@pytest.mark.parametrize('module, cls, name, value, message', [
    ('berntsen_drivers.speech_node', 'SpeechNode', 'language', 'de', "language: 'de' is not one of nb, en"),
    ('berntsen_drivers.speech_node', 'SpeechNode', 'output', 'speaker', "output: 'speaker' is not one of"),
    ('berntsen_drivers.motor_node', 'MotorNode', 'backend', 'can', "backend: 'can' is not one of mock, sim, serial"),
])
def test_bad_choice_fails_with_a_clear_message(module, cls, name, value, message):
    import importlib

    import rclpy
    from rclpy.parameter import Parameter

    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        with pytest.raises(ValueError, match=message):
            getattr(importlib.import_module(module), cls)(context=context,
                                                          parameter_overrides=[Parameter(name, value=value)])
    finally:
        rclpy.shutdown(context=context)
