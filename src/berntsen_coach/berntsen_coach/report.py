"""Reports from the session log: a session list, a progress summary, an HTML page.

No ROS imports. Used by `berntsen sessions` and `berntsen report PATIENT [--html FILE]`
(the argparse helpers at the end), in the care team's language (Norwegian by default,
`--language en`) with the names the robot uses for exercises and tests (report_words.py).
The HTML page is one self-contained file for the physiotherapist: a table of sessions (how
each ended, and what the programme planned that was not reached) and plots (PNG, embedded as
base64) of the repetitions per exercise and of each clinical measure over time. Plots are
drawn with matplotlib's Agg canvas directly, so no global backend is chosen and no display
is needed.
"""
from __future__ import annotations

import argparse
import base64
import html
import io
import os
import sys
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Sequence

from .report_words import REPORT_LANGUAGES, ReportLanguage
from .session_log import SessionLog, SessionLogError, SessionProgress, default_db_path

EXIT_OK, EXIT_FAILED = 0, 1

# Whether a higher value of a clinical test is an improvement.
HIGHER_IS_BETTER = {
    'chair_stand_30s': True,            # more stands in 30 s
    'five_times_sit_to_stand': False,   # fewer seconds for five stands
}
DEFAULT_LANGUAGE = 'nb'


def report_language(language: str = DEFAULT_LANGUAGE) -> ReportLanguage:
    """The report's words in `language`, with the exercise library's names."""
    from .exercises import load_exercises
    from .paths import package_config
    return ReportLanguage(language, load_exercises(package_config() / 'exercises.yaml'))


def _date(t: float, tz: tzinfo | None) -> str:
    return datetime.fromtimestamp(t, tz or timezone.utc).astimezone(tz).strftime('%Y-%m-%d %H:%M')


def _duration(started: float, ended: float | None, words: ReportLanguage) -> str:
    if ended is None:
        return words['open']
    seconds = round(ended - started)
    return f'{seconds // 60} min {seconds % 60:02d} s'


def _number(value: float) -> str:
    return f'{value:g}'


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = [header, ['-' * w for w in widths], *rows]
    return '\n'.join('  '.join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip()
                     for line in lines)


def _session_exercises(progress: SessionProgress, words: ReportLanguage) -> str:
    return ', '.join(f'{words.exercise(e.exercise)} {e.counted_reps}/{e.target_reps}'
                     for e in progress.exercises) or '-'


def _session_notes(log: SessionLog, progress: SessionProgress,
                   words: ReportLanguage) -> tuple[str, list[str]]:
    """How the session ended (with the part that was down, if the software stopped it), and
    what its programme planned that it did not reach."""
    planned, fault = [], ''
    for _, kind, detail in log.events(progress.session_id):
        if kind == 'planned':
            planned = detail.get('items', [])
        elif kind == 'session_stopped':
            fault = detail.get('fault', '')
    done = {e.exercise for e in progress.exercises} | {m.test for m in progress.measures}
    missed = [words.exercise(i['exercise']) if 'exercise' in i else words.test(i.get('test', ''))
              for i in planned if i.get('exercise', i.get('test')) not in done]
    return words.outcome(progress.outcome, fault), missed


def sessions_text(log: SessionLog, patient_id: str | None = None, *,
                  tz: tzinfo | None = None, words: ReportLanguage | None = None) -> str:
    """A table of sessions: id, patient, date, duration, outcome, exercises (counted/target).

    Dates are in `tz` (default: this computer's local time zone).
    """
    words = words or report_language()
    sessions = log.list_sessions(patient_id)
    if not sessions:
        return words['no_sessions']
    progress = {}
    for patient in sorted({s.patient_id for s in sessions}):
        progress.update((p.session_id, p) for p in log.patient_progress(patient))
    rows = []
    for s in sessions:
        outcome, _ = _session_notes(log, progress[s.id], words)
        rows.append([str(s.id), s.patient_id, _date(s.started, tz),
                     _duration(s.started, s.ended, words),
                     outcome + (f' ({words["simulated"]})' if s.simulated else ''),
                     _session_exercises(progress[s.id], words)])
    return _table([words[k] for k in ('id', 'patient', 'date', 'duration', 'outcome',
                                      'exercises')], rows)


def _trend(test: str, values: Sequence[float], unit: str, words: ReportLanguage) -> str:
    if len(values) < 2:
        return words['one_measurement']
    change = values[-1] - values[0]
    arrow = f'{_number(values[0])} -> {_number(values[-1])} {unit}'
    if change == 0:
        return f'{arrow}: {words["unchanged"]}'
    better = HIGHER_IS_BETTER.get(test)
    if better is None:
        return f'{arrow}: {change:+g} {unit}'
    word = words['better'] if (change > 0) == better else words['worse']
    return f'{arrow}: {word} ({change:+g} {unit})'


def _measure_series(history: Sequence[SessionProgress]) -> dict[str, list]:
    """test -> [(time, value, unit)] in time order."""
    series: dict[str, list[tuple[float, float, str]]] = {}
    for session in history:
        for m in session.measures:
            series.setdefault(m.test, []).append((m.time, m.value, m.unit))
    return series


def _exercise_series(history: Sequence[SessionProgress]) -> dict[str, list]:
    """exercise -> [(session start, counted reps, target reps)] in session order."""
    series: dict[str, list[tuple[float, int, int]]] = {}
    for session in history:
        for e in session.exercises:
            series.setdefault(e.exercise, []).append(
                (session.started, e.counted_reps, e.target_reps))
    return series


def progress_text(log: SessionLog, patient_id: str, *, tz: tzinfo | None = None,
                  words: ReportLanguage | None = None) -> str:
    """Progress over the patient's sessions: how each ended and what it did not reach, reps
    per exercise, clinical measures and their trend."""
    words = words or report_language()
    history = log.patient_progress(patient_id)
    lines = [words['summary'].format(patient=patient_id, n=len(history))]
    if history:
        lines[0] += words['span'].format(first=_date(history[0].started, tz),
                                         last=_date(history[-1].started, tz))
        done = sum(1 for s in history if s.outcome == 'completed')
        lines.append(words['completed_of'].format(done=done, n=len(history)))
        lines += ['', words['sessions_heading']]
        for p in history:
            outcome, missed = _session_notes(log, p, words)
            lines.append(f'  {_date(p.started, tz)}  {outcome}'
                         + (f'; {words["not_reached"]}: {", ".join(missed)}' if missed else ''))
    exercises = _exercise_series(history)
    lines += ['', words['repetitions_heading']]
    if not exercises:
        lines.append(f'  {words["none"]}')
    for name, points in exercises.items():
        values = '  '.join(f'{_date(t, tz)[:10]} {c}/{tg}' for t, c, tg in points)
        lines.append(f'  {words.exercise(name)}: {values}')
    lines += ['', words['measures_heading']]
    measures = _measure_series(history)
    if not measures:
        lines.append(f'  {words["none"]}')
    for test, points in measures.items():
        unit = points[-1][2]
        values = ', '.join(f'{_date(t, tz)[:10]} {_number(v)}' for t, v, _ in points)
        lines.append(f'  {words.test(test)} ({unit}): {values}')
        lines.append(f'    {words["trend"]}: '
                     f'{_trend(test, [v for _, v, _ in points], unit, words)}')
    return '\n'.join(lines)


# -- HTML ---------------------------------------------------------------------------------

def _png_data_uri(figure) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=100, bbox_inches='tight')
    return 'data:image/png;base64,' + base64.b64encode(buffer.getvalue()).decode('ascii')


def _new_figure(title: str, ylabel: str):
    from matplotlib.figure import Figure
    figure = Figure(figsize=(7, 3.2))
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    return figure, axes


def _date_axis(axes, tz: tzinfo | None, times: Sequence[float]) -> None:
    import matplotlib.dates as mdates
    local = tz or datetime.now().astimezone().tzinfo
    if times and max(times) - min(times) < 86400:
        # one session (or one day): a day either side, not matplotlib's default five years
        middle = (max(times) + min(times)) / 2
        axes.set_xlim(datetime.fromtimestamp(middle - 86400, timezone.utc),
                      datetime.fromtimestamp(middle + 86400, timezone.utc))
    locator = mdates.AutoDateLocator(tz=local, minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=local))


def _repetitions_plot(series, tz: tzinfo | None, words: ReportLanguage) -> str:
    figure, axes = _new_figure(words['reps_plot'], words['reps_axis'])
    for index, (name, points) in enumerate(series.items()):
        dates = [datetime.fromtimestamp(t, timezone.utc) for t, _, _ in points]
        color, label = f'C{index % 10}', words.exercise(name)
        axes.plot(dates, [c for _, c, _ in points], marker='o', color=color, label=label)
        axes.plot(dates, [tg for _, _, tg in points], linestyle='--', color=color, alpha=0.5,
                  label=f'{label}: {words["target"]}')
    axes.margins(y=0.25)  # room above the target line for the legend
    axes.set_ylim(bottom=0)
    axes.legend(fontsize='small', loc='best')
    _date_axis(axes, tz, [t for points in series.values() for t, _, _ in points])
    return _png_data_uri(figure)


def _measure_plot(test: str, points, tz: tzinfo | None, words: ReportLanguage) -> str:
    unit = points[-1][2]
    figure, axes = _new_figure(words.test(test), unit)
    axes.plot([datetime.fromtimestamp(t, timezone.utc) for t, _, _ in points],
              [v for _, v, _ in points], marker='o', color='C0')
    better = HIGHER_IS_BETTER.get(test)
    if better is not None:
        axes.annotate(words['better'] + (' ↑' if better else ' ↓'), xy=(0.99, 0.95),
                      xycoords='axes fraction', ha='right', va='top', fontsize='small')
    _date_axis(axes, tz, [t for t, _, _ in points])
    return _png_data_uri(figure)


_STYLE = '''
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; }
table { border-collapse: collapse; } th, td { border: 1px solid #bbb; padding: .3em .6em; }
th { background: #eee; text-align: left; } img { max-width: 100%; }
.note { color: #555; font-size: .9em; }
'''


def html_report(log: SessionLog, patient_id: str, *, tz: tzinfo | None = None,
                words: ReportLanguage | None = None) -> str:
    """The self-contained HTML page `write_html_report` writes."""
    words = words or report_language()
    history = log.patient_progress(patient_id)
    e = html.escape
    title = words['title'].format(patient=patient_id)
    parts = [
        '<!DOCTYPE html>', f'<html lang="{words.code}">', '<head>', '<meta charset="utf-8">',
        f'<title>{e(title)}</title>', f'<style>{_STYLE}</style>', '</head>', '<body>',
        f'<h1>{e(title)}</h1>',
        f'<p class="note">{e(words["note"].format(date=_date(datetime.now(timezone.utc).timestamp(), tz)))}</p>',
        f'<h2>{e(words["sessions"])}</h2>',
    ]
    if history:
        header = ''.join(f'<th>{e(words[k][:1].upper() + words[k][1:])}</th>' for k in
                         ('date', 'duration', 'outcome', 'exercises', 'not_reached', 'measures'))
        parts.append(f'<table><tr>{header}</tr>')
        for p in history:
            outcome, missed = _session_notes(log, p, words)
            measures = ', '.join(f'{words.test(m.test)}: {_number(m.value)} {m.unit}'
                                 for m in p.measures) or '-'
            cells = (_date(p.started, tz), _duration(p.started, p.ended, words), outcome,
                     _session_exercises(p, words), ', '.join(missed) or '-', measures)
            parts.append('<tr>' + ''.join(f'<td>{e(c)}</td>' for c in cells) + '</tr>')
        parts.append('</table>')
    else:
        parts.append(f'<p>{e(words["no_sessions"])}</p>')

    parts.append(f'<h2>{e(words["reps_plot"])}</h2>')
    exercises = _exercise_series(history)
    if exercises:
        parts.append(f'<img alt="{e(words["reps_alt"])}" '
                     f'src="{_repetitions_plot(exercises, tz, words)}">')
    else:
        parts.append(f'<p>{e(words["no_exercises"])}</p>')

    parts.append(f'<h2>{e(words["measures_heading"].rstrip(":"))}</h2>')
    measures = _measure_series(history)
    if not measures:
        parts.append(f'<p>{e(words["no_measures"])}</p>')
    for test, points in measures.items():
        name, unit = words.test(test), points[-1][2]
        parts.append(f'<h3>{e(name)}</h3>')
        parts.append(f'<p>{e(words["trend_label"])}: '
                     f'{e(_trend(test, [v for _, v, _ in points], unit, words))}</p>')
        parts.append(f'<img alt="{e(words["over_time"].format(title=name))}" '
                     f'src="{_measure_plot(test, points, tz, words)}">')
    parts += ['</body>', '</html>', '']
    return '\n'.join(parts)


def write_html_report(log: SessionLog, patient_id: str, path: str | os.PathLike, *,
                      tz: tzinfo | None = None, words: ReportLanguage | None = None) -> Path:
    """Write the patient's report page to `path` (owner-only, it holds health data)."""
    page = html_report(log, patient_id, tz=tz, words=words)
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(page)
    except OSError as exc:
        raise SessionLogError(f'cannot write report {path}: {exc.strerror or exc}') from exc
    return path


# -- command line -------------------------------------------------------------------------

def _add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--db', metavar='PATH', type=Path,
                        help=f'session log (default: {default_db_path()})')
    parser.add_argument('--language', choices=REPORT_LANGUAGES, default=DEFAULT_LANGUAGE,
                        help=f'language of the report (default {DEFAULT_LANGUAGE})')


def add_sessions_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `berntsen sessions`: [--patient ID] [--db PATH]."""
    parser.add_argument('--patient', metavar='ID', help='only this patient (pseudonymous id)')
    _add_db_argument(parser)


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `berntsen report`: PATIENT [--html FILE] [--db PATH]."""
    parser.add_argument('patient', metavar='PATIENT',
                        help='pseudonymous patient id, e.g. p-7f3a, or a session id from '
                             '`berntsen sessions` (the report of that session\'s patient)')
    parser.add_argument('--html', metavar='FILE', type=Path,
                        help='also write a page with plots for the physiotherapist')
    _add_db_argument(parser)


def _fail(message: str) -> int:
    print(f'berntsen: {message}', file=sys.stderr)
    return EXIT_FAILED


def run_sessions(args: argparse.Namespace) -> int:
    try:
        with SessionLog(args.db or default_db_path(), create=False) as log:
            print(sessions_text(log, args.patient, words=report_language(args.language)))
    except SessionLogError as exc:
        return _fail(str(exc))
    return EXIT_OK


def _patient_of(log: SessionLog, patient_or_session: str) -> str:
    """A patient id as given, or the patient of a session id (`berntsen sessions` lists
    those first)."""
    if patient_or_session.isdigit() and patient_or_session not in log.patients():
        session = next((s for s in log.list_sessions() if s.id == int(patient_or_session)), None)
        if session is not None:
            return session.patient_id
    return patient_or_session


def run_report(args: argparse.Namespace) -> int:
    try:
        with SessionLog(args.db or default_db_path(), create=False) as log:
            patient, words = _patient_of(log, args.patient), report_language(args.language)
            print(progress_text(log, patient, words=words))
            if args.html:
                print(f'wrote {write_html_report(log, patient, args.html, words=words)}')
    except SessionLogError as exc:
        return _fail(str(exc))
    return EXIT_OK
