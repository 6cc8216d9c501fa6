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


def test_sessions_and_report_without_a_database_say_so(tmp_path, capsys):
    db = tmp_path / 'none.sqlite3'
    assert main(['sessions', '--db', str(db)]) == 1
    assert main(['report', 'p-1', '--db', str(db)]) == 1
    err = capsys.readouterr().err
    assert err.count('berntsen: ') == 2 and str(db) in err
    assert not db.exists(), 'a report never creates a database'


def test_report_writes_an_html_page_for_a_recorded_patient(tmp_path, capsys):
    from berntsen_coach.session_log import SessionLog

    db = tmp_path / 'sessions.sqlite3'
    with SessionLog(db) as log:
        session = log.start_session('p-7f3a', 'morning', None, 'nb', started=1000.0)
        set_id = log.start_set(session, 'arm_raise', 1, 5, started=1010.0)
        for n in range(1, 6):
            log.add_repetition(set_id, n, 1010.0 + 3 * n, 1012.0 + 3 * n, peak_signal=150.0)
        log.end_set(set_id, 5, ended=1030.0)
        log.end_session(session, ended=1040.0, outcome='completed')
    assert main(['sessions', '--db', str(db)]) == 0
    assert 'p-7f3a' in capsys.readouterr().out
    page = tmp_path / 'report.html'
    assert main(['report', 'p-7f3a', '--db', str(db), '--html', str(page)]) == 0
    assert 'data:image/png;base64' in page.read_text()


def test_sim_lists_its_scenarios_and_refuses_an_unknown_one(capsys):
    assert main(['sim', '--list-scenarios']) == 0
    out = capsys.readouterr().out
    for name in ('cooperative_morning', 'slow_patient', 'unresponsive', 'fall', 'approach'):
        assert name in out
    assert main(['sim', '--scenario', 'moon_walk']) == 1
    assert "unknown scenario 'moon_walk'; known: approach," in capsys.readouterr().err


def test_all_scenarios_runs_each_in_its_own_folder_and_fails_if_one_fails(tmp_path, capsys,
                                                                         monkeypatch):
    # The sessions themselves run in tests/test_scenarios.py; here only the loop around them.
    from berntsen_bringup import cli
    from berntsen_sim.scenario import list_scenarios

    ran = []

    def one_session(args):
        ran.append((args.scenario, args.run_dir))
        failed = args.scenario == 'fall'
        args.verdict = 'the urgent alert came late\n(detail)' if failed else 'as expected'
        return cli.EXIT_FAILED if failed else cli.EXIT_OK

    monkeypatch.setattr(cli, 'run_session', one_session)
    assert main(['sim', '--all-scenarios', '--run-dir', str(tmp_path)]) == cli.EXIT_FAILED
    assert ran == [(name, str(tmp_path / name)) for name in list_scenarios()]
    out = capsys.readouterr().out.split('Scenarios:')[1]
    lines = [line.split() for line in out.strip().splitlines()]
    assert [line[0] for line in lines] == list_scenarios()
    assert {line[0]: line[1] for line in lines}['fall'] == 'FAILED'
    assert 'fall ' in out and 'the urgent alert came late' in out and '(detail)' not in out
    assert sum(line[1] == 'passed' for line in lines) == len(lines) - 1


def test_a_fault_that_cannot_be_injected_is_refused_before_anything_starts(tmp_path, capsys):
    from berntsen_bringup import cli

    assert main(['sim', '--fault', 'pose:explode@3', '--run-dir', str(tmp_path)]) == cli.EXIT_USAGE
    assert 'expected NODE:ACTION@WHEN' in capsys.readouterr().err
    assert main(['sim', '--fault', 'camera:kill@3', '--run-dir', str(tmp_path)]) == cli.EXIT_USAGE
    assert 'not a node of the sim profile' in capsys.readouterr().err
    assert not list(tmp_path.iterdir()), 'no node was started'


def test_routine_prints_the_tree_a_programme_runs_and_its_dot(tmp_path, capsys):
    assert main(['routine', 'example']) == 0
    out = capsys.readouterr().out
    for behaviour in ('Person on the floor', 'Approach the bed', 'heel_slide: set 1 of 1',
                      'Sit up', 'Test: chair_stand_30s', 'No response: call a caregiver'):
        assert behaviour in out
    assert out.index('heel_slide') < out.index('Sit up'), 'in bed first, then up'
    assert 'Kari' not in out and 'Ola' not in out, 'no name: it is a shape, not a record'
    assert main(['routine', 'example', '--dot', '--no-approach']) == 0
    dot = capsys.readouterr().out
    assert dot.startswith('digraph') and '"Sit up"' in dot and 'Approach' not in dot
    bed = tmp_path / 'bed.yaml'
    bed.write_text('patient: {name: Kari, id: p-1}\nlanguage: nb\ngets_up: false\n'
                   'items:\n  - {exercise: heel_slide, sets: 2, repetitions: 5}\n')
    assert main(['routine', str(bed)]) == 0
    out = capsys.readouterr().out
    assert 'heel_slide: set 2 of 2' in out and 'Sit up' not in out and 'Stand up' not in out


def test_routine_of_a_broken_programme_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / 'bad.yaml'
    bad.write_text('patient: {name: Kari, id: p-1}\nlanguage: nb\n'
                   'items: [{exercise: juggling}]\n')
    assert main(['routine', str(bad)]) == 1
    assert main(['routine', str(tmp_path / 'missing.yaml')]) == 1
    err = capsys.readouterr().err
    assert 'juggling' in err and 'cannot read' in err


def test_check_lists_a_good_programme_without_the_patients_name(capsys):
    assert main(['check', 'example']) == 0
    out = capsys.readouterr().out
    assert 'OK:' in out and 'patient p-7f3a91' in out and '3. seated_arm_raise: 2 x 10, goal 90' in out
    assert 'Kari' not in out


def test_check_reports_every_problem_with_its_line(tmp_path, capsys):
    bad = tmp_path / 'bad.yaml'
    bad.write_text('patient:\n  name: Kari Nordmann\nlanguage: nn\nitems:\n'
                   '  - exercise: arm_raise\n    reps: 3\n')
    assert main(['check', str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f'{bad}:2: patient.id: missing',
                   f"{bad}:3: language: 'nn' (Nynorsk) has no phrase book yet; use nb (Bokmål) "
                   'or en',
                   f'{bad}:5: item 1, sets: missing',
                   f'{bad}:5: item 1, repetitions: missing',
                   f'{bad}:6: item 1, reps: unknown field (known: exercise, goal, repetitions, '
                   'rest_seconds, sets)',
                   '5 problems: the robot would not run this programme']


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(['--version'])
    assert exited.value.code == 0 and capsys.readouterr().out.startswith('berntsen ')
