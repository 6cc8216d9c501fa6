"""The `berntsen` command's sub-commands that need no running graph."""
import pytest

from berntsen_bringup.cli import build_parser, main


def test_graph_lists_every_profile_and_node(capsys):
    assert main(['graph']) == 0
    out = capsys.readouterr().out
    for profile in ('sim:', 'robot:', 'replay:'):
        assert profile in out
    assert 'berntsen_vision.pose_node' in out


def test_analyze_an_unreadable_video_is_a_clear_error(tmp_path, capsys):
    assert main(['analyze', str(tmp_path / 'missing.mp4')]) == 1
    assert f'berntsen analyze: {tmp_path / "missing.mp4"}: no such file' in capsys.readouterr().err


def test_unknown_language_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(['sim', '--language', 'de'])
    assert "invalid choice: 'de'" in capsys.readouterr().err
