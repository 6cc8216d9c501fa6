"""`berntsen analyze` argument handling and errors (the full run is in test_sim_postures.py)."""
import argparse
import io

import pytest

from berntsen_vision.analysis import AnalysisError, add_arguments, analyze, run


def _args(*argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_unreadable_files_are_clear_errors(tmp_path):
    with pytest.raises(AnalysisError, match='no such file'):
        analyze(tmp_path / 'missing.mp4')
    with pytest.raises(AnalysisError, match='no such file'):
        analyze(tmp_path)  # a folder is not a video
    not_a_video = tmp_path / 'notes.mp4'
    not_a_video.write_text('hello')
    with pytest.raises(AnalysisError, match='cannot open video file'):
        analyze(not_a_video)


def test_run_prints_the_error_and_fails(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert run(_args(str(tmp_path / 'missing.avi'), '--csv', str(tmp_path / 'x.csv')), out, err) == 1
    assert 'berntsen analyze:' in err.getvalue() and 'no such file' in err.getvalue()
    assert out.getvalue() == '' and not (tmp_path / 'x.csv').exists()
    assert run(_args('video.avi', '--floor-line', '-1'), out, err) == 1
    assert 'floor-line' in err.getvalue()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_now_and_then_elsewhere(monkeypatch):
    from berntsen_vision import analysis
    terminal = _Terminal()
    bar = analysis._Progress(terminal, 60)
    bar.frame(15)
    assert terminal.getvalue() == '\r[########......................] frame 15/60 (25%)'
    clock = [100.0]
    monkeypatch.setattr(analysis.time, 'monotonic', lambda: clock[0])
    log = io.StringIO()
    lines = analysis._Progress(log, 0)
    lines.frame(1)                      # too soon for a line
    clock[0] += analysis.PROGRESS_LINE_EVERY
    lines.frame(40)
    clock[0] += 1.5
    lines.done(41)
    assert log.getvalue() == 'analysing: frame 40\nanalysed 41 frames in 6.5 s\n'
