"""Reports from the session log: text tables, progress with trends, the HTML page, the CLI."""
import argparse
import base64
import re
import stat
from datetime import timezone

import pytest

from berntsen_coach import report
from berntsen_coach.session_log import SessionLog, SessionLogError

EN, NB = report.report_language('en'), report.report_language('nb')

T0 = 1_780_000_000.0   # 2026-05-28 20:26:40 UTC
DAY = 86400.0
PATIENT = 'p-7f3a'
UTC = timezone.utc


def fill(log):
    """Three sessions of p-7f3a getting better, one unfinished session of p-0001."""
    for day, (arm, stand, chair, five_sts) in enumerate([(3, 2, 8, 16.5), (4, 4, 9, 15.0),
                                                          (5, 5, 11, 13.2)]):
        t = T0 + day * DAY
        session = log.start_session(PATIENT, 'morning', None, 'nb', t)
        for name, count, target in (('arm_raise', arm, 5), ('sit_to_stand', stand, 5)):
            set_id = log.start_set(session, name, 1, target, t + 60)
            for n in range(1, count + 1):
                log.add_repetition(set_id, n, t + 60 + 3 * n, t + 62 + 3 * n, peak_signal=150.0)
            log.end_set(set_id, count, t + 120)
        log.add_clinical_measure(session, t + 200, 'chair_stand_30s', chair)
        log.add_clinical_measure(session, t + 300, 'five_times_sit_to_stand', five_sts)
        log.end_session(session, t + 725, 'completed' if day else 'stopped_early')
    other = log.start_session('p-0001', 'morning', None, 'en', T0 + 3 * DAY)
    log.start_set(other, 'heel_raise', 1, 10, T0 + 3 * DAY + 10)


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / 'sessions.sqlite3'
    with SessionLog(path) as log:
        fill(log)
    return path


@pytest.fixture
def log(db_path):
    with SessionLog(db_path, create=False) as opened:
        yield opened


def test_sessions_text_is_a_table_of_all_sessions(log):
    text = report.sessions_text(log, tz=UTC, words=EN)
    lines = text.splitlines()
    assert lines[0].split() == ['id', 'patient', 'date', 'duration', 'outcome', 'exercises']
    assert len(lines) == 2 + 4
    assert lines[2].split() == ['1', PATIENT, '2026-05-28', '20:26', '12', 'min', '05', 's',
                                'she', 'chose', 'to', 'stop', 'Arm', 'raises', '3/5,', 'Chair',
                                'stands', '2/5']
    assert lines[4].split()[2:3] == ['2026-05-30'] and 'completed' in lines[4]
    assert lines[5].split() == ['4', 'p-0001', '2026-05-31', '20:26', 'open', 'open',
                                'Heel', 'raises', '0/10']


def test_sessions_text_marks_simulated_sessions(tmp_path):
    with SessionLog(tmp_path / 'sim.sqlite3') as log:
        log.start_session('p-0002', 'morning', None, 'nb', 1_780_000_000.0, simulated=True)
        assert 'open (simulated)' in report.sessions_text(log, tz=UTC, words=EN).splitlines()[2]


def test_sessions_text_of_one_patient_and_of_an_empty_log(log, tmp_path):
    assert len(report.sessions_text(log, 'p-0001', tz=UTC, words=EN).splitlines()) == 3
    with SessionLog(tmp_path / 'empty.sqlite3') as empty:
        assert report.sessions_text(empty, words=EN) == 'No sessions recorded.'


def test_progress_text_reps_and_clinical_trends(log):
    text = report.progress_text(log, PATIENT, tz=UTC, words=EN)
    assert text.splitlines()[0] == (f'Patient {PATIENT}: 3 session(s), '
                                    '2026-05-28 20:26 to 2026-05-30 20:26')
    assert 'Completed: 2 of 3' in text
    assert '  Arm raises: 2026-05-28 3/5  2026-05-29 4/5  2026-05-30 5/5' in text
    assert '  Chair stands: 2026-05-28 2/5  2026-05-29 4/5  2026-05-30 5/5' in text
    assert ('  30-second chair stand (repetitions): 2026-05-28 8, 2026-05-29 9, 2026-05-30 11'
            in text)
    assert '    trend: 8 -> 11 repetitions: better (+3 repetitions)' in text
    # Fewer seconds is better for the five-times sit-to-stand.
    assert '    trend: 16.5 -> 13.2 s: better (-3.3 s)' in text


def test_trend_words():
    assert report._trend('chair_stand_30s', [10, 7], 'reps', EN).endswith('worse (-3 reps)')
    assert report._trend('five_times_sit_to_stand', [12, 14], 's', EN).endswith('worse (+2 s)')
    assert report._trend('chair_stand_30s', [10, 10], 'repetitions', EN).endswith('unchanged')
    assert report._trend('grip_strength', [20, 22], 'kg', EN).endswith(': +2 kg')
    assert report._trend('chair_stand_30s', [10], 'repetitions', EN) == 'one measurement'
    assert report._trend('chair_stand_30s', [8, 11], 'repetisjoner', NB).endswith('bedre (+3 repetisjoner)')


def test_progress_of_a_patient_without_measures(log):
    text = report.progress_text(log, 'p-0001', tz=UTC, words=EN)
    assert '  Heel raises: 2026-05-31 0/10' in text
    assert 'Clinical measures:\n  none recorded' in text


def test_unknown_patient(log):
    with pytest.raises(SessionLogError, match="unknown patient 'p-nobody'"):
        report.progress_text(log, 'p-nobody', words=EN)


def png_images(page):
    return [base64.b64decode(data) for data in
            re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', page)]


def test_html_report_has_table_and_both_kinds_of_plot(log, tmp_path):
    path = report.write_html_report(log, PATIENT, tmp_path / 'report.html', tz=UTC, words=EN)
    page = path.read_text(encoding='utf-8')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert page.startswith('<!DOCTYPE html>') and page.rstrip().endswith('</html>')
    assert f'<h1>Exercise progress: patient {PATIENT}</h1>' in page
    assert '<h2>Repetitions per exercise</h2>' in page and '<h2>Clinical measures</h2>' in page
    assert page.count('<tr>') == 1 + 3
    assert '<td>Arm raises 3/5, Chair stands 2/5</td>' in page
    assert '30-second chair stand: 11 repetitions, Five-times sit-to-stand: 13.2 s' in page
    assert 'Trend: 16.5 -&gt; 13.2 s: better (-3.3 s)' in page
    images = png_images(page)
    assert len(images) == 3  # repetitions, chair stand, five-times sit-to-stand
    assert all(image.startswith(b'\x89PNG\r\n\x1a\n') and len(image) > 5000 for image in images)
    alts = re.findall(r'<img alt="([^"]*)"', page)
    assert alts[0].startswith('Repetitions counted per exercise')
    assert alts[1:] == ['30-second chair stand over time', 'Five-times sit-to-stand over time']
    assert 'http' not in page.replace('<!DOCTYPE html>', '')  # self-contained


def test_html_report_without_measures(log, tmp_path):
    page = report.write_html_report(log, 'p-0001', tmp_path / 'r.html', words=EN).read_text()
    assert 'No clinical measures recorded.' in page
    assert len(png_images(page)) == 1


def parse(add_arguments, argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_cli_sessions_and_report(db_path, tmp_path, capsys):
    args = parse(report.add_sessions_arguments, ['--db', str(db_path)])
    assert report.run_sessions(args) == 0
    assert capsys.readouterr().out.count('\n') == 6

    args = parse(report.add_sessions_arguments, ['--db', str(db_path), '--patient', 'p-0001'])
    assert report.run_sessions(args) == 0
    assert 'Tåhev 0/10' in capsys.readouterr().out   # the care team's language by default

    html_path = tmp_path / 'out.html'
    args = parse(report.add_report_arguments, [PATIENT, '--db', str(db_path), '--html',
                                               str(html_path)])
    assert report.run_report(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(f'Pasient {PATIENT}: 3 økt(er)')
    assert out.rstrip().endswith(f'wrote {html_path}')
    assert len(png_images(html_path.read_text())) == 3


def test_cli_uses_the_xdg_default_path(db_path, monkeypatch, capsys):
    monkeypatch.setenv('XDG_DATA_HOME', str(db_path.parent.parent))
    default = db_path.parent.parent / 'berntsen' / 'sessions.sqlite3'
    default.parent.mkdir()
    db_path.rename(default)
    assert report.run_report(parse(report.add_report_arguments, [PATIENT])) == 0
    assert 'Fullført: 2 av 3' in capsys.readouterr().out


@pytest.mark.parametrize('argv, message', [
    (['p-nobody'], "berntsen: unknown patient 'p-nobody' in "),
    (['p-7f3a', '--db', 'MISSING'], 'berntsen: no session log at '),
])
def test_cli_errors_are_one_line_and_exit_1(db_path, tmp_path, capsys, argv, message):
    argv = [a if a != 'MISSING' else str(tmp_path / 'nothing.sqlite3') for a in argv]
    if '--db' not in argv:
        argv += ['--db', str(db_path)]
    assert report.run_report(parse(report.add_report_arguments, argv)) == 1
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err.startswith(message) and captured.err.count('\n') == 1
    assert not (tmp_path / 'nothing.sqlite3').exists()


def test_cli_sessions_missing_db(tmp_path, capsys):
    args = parse(report.add_sessions_arguments, ['--db', str(tmp_path / 'none.sqlite3')])
    assert report.run_sessions(args) == 1
    assert capsys.readouterr().err.startswith('berntsen: no session log at ')


def test_cli_html_to_unwritable_place(db_path, tmp_path, capsys):
    (tmp_path / 'a_file').write_text('')
    args = parse(report.add_report_arguments, [PATIENT, '--db', str(db_path), '--html',
                                               str(tmp_path / 'a_file' / 'r.html')])
    assert report.run_report(args) == 1
    assert 'cannot write report' in capsys.readouterr().err


def test_one_session_is_plotted_over_days_not_years():
    from datetime import datetime

    from matplotlib.figure import Figure

    axes = Figure().add_subplot()
    axes.plot([datetime.fromtimestamp(T0, UTC)], [3], marker='o')
    report._date_axis(axes, UTC, [T0])
    low, high = axes.get_xlim()
    assert 1.9 < high - low < 2.1   # days either side of the one point


def test_report_takes_a_session_id_from_the_sessions_list(db_path, capsys):
    args = parse(report.add_report_arguments, ['4', '--db', str(db_path), '--language', 'en'])
    assert report.run_report(args) == 0   # session 4 is p-0001's
    assert capsys.readouterr().out.startswith('Patient p-0001: 1 session(s)')


def plan_and_stop(log, planned, fault=''):
    session = log.start_session('p-0003', 'morning', None, 'nb', T0)
    log.add_event(session, T0, 'planned', {'items': planned})
    set_id = log.start_set(session, 'seated_arm_raise', 1, 5, T0 + 10)
    log.end_set(set_id, 5, T0 + 40)
    log.add_event(session, T0 + 50, 'session_stopped',
                  {'reason': 'coach node shut down', **({'fault': fault} if fault else {})})
    log.end_session(session, T0 + 50, 'error' if fault else 'aborted')


def test_the_report_says_why_a_session_stopped_and_what_it_did_not_reach(tmp_path):
    with SessionLog(tmp_path / 'log.sqlite3') as log:
        plan_and_stop(log, [{'exercise': 'seated_arm_raise', 'sets': 1, 'repetitions': 5},
                            {'exercise': 'mini_squat', 'sets': 1, 'repetitions': 5},
                            {'test': 'chair_stand_30s'}], fault='speech')
        text = report.progress_text(log, 'p-0003', tz=UTC, words=NB)
        assert ('  2026-05-28 20:26  feil i programvaren (talen nede); ikke nådd: Knebøy, '
                '30 sekunders reise-seg-test') in text
        page = report.html_report(log, 'p-0003', tz=UTC, words=EN)
        assert '<td>software error (speech down)</td>' in page
        assert '<td>Knee bends, 30-second chair stand</td>' in page
        assert '<html lang="en">' in page
