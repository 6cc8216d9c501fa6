"""The speech queue: one worker thread says one utterance at a time, in order.

No rclpy here. Callers `submit()` text and get callbacks (started, finished, failed,
cancelled) from the worker thread. Each utterance is rendered to a WAV by a `TtsEngine`,
its duration read from the WAV, then handed to a sink:

- `device`: play the WAV on the audio device (a player program), then delete it;
- `wav`: keep the WAV in a folder as `<YYYYmmdd-HHMMSS-mmm>-<language>-<number>.wav`;
- `log`: only log the text (the WAV is rendered to measure the duration, then deleted).

Only the `log` output writes what is said to the log; nothing else here does (file names,
warnings and errors name an utterance by its number): the text may hold the patient's name.

`wav` and `log` can hold "speaking" for the audio's duration (`pace=True`), so that the
rest of the robot sees the timing a loudspeaker would give. `device` asked on a machine
without an audio device says so once and uses `wav`.

A speaking utterance can be stopped (`cancel`): the sink stops playback or pacing at once.
An urgent utterance ("stay where you are, I am calling for help") jumps the queue (behind
earlier urgent ones only, and never refused for a full queue) and stops the utterance being
spoken unless that one is urgent too; the stopped one ends with `on_preempted`. The next
utterance starts only after the stopped one has stopped, so two never overlap.
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Protocol

from berntsen_drivers.tts import (DEFAULT_LANGUAGE, DEFAULT_RATE, DEFAULT_VOLUME, EngineUnavailable, TtsEngine,
                                  check_rate, check_volume, resolve_language, utterance_filename, wav_duration)

OUTPUTS = ('device', 'wav', 'log')


class Logger(Protocol):
    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...


class QueueFull(RuntimeError):
    """The queue already holds `max_queue` utterances."""


@dataclass(frozen=True)
class Spoken:
    """What came of an utterance."""

    duration: float      # seconds of audio
    output: str          # 'device', a WAV path, or 'log'
    render_seconds: float


def _ignore(*_args) -> None:
    pass


_ids = itertools.count(1)


@dataclass(eq=False)
class Utterance:
    text: str
    language: str
    on_started: Callable[['Utterance'], None] = _ignore
    on_finished: Callable[['Utterance', Spoken], None] = _ignore
    on_failed: Callable[['Utterance', str], None] = _ignore
    on_cancelled: Callable[['Utterance'], None] = _ignore
    on_preempted: Callable[['Utterance'], None] = _ignore
    urgent: bool = False
    id: int = field(default_factory=lambda: next(_ids))


@dataclass(frozen=True)
class SpeechState:
    speaking: bool
    text: str
    language: str
    queued: int


@dataclass(frozen=True)
class SpeechHealth:
    """What a technician needs to know about the speech output; never the text said."""

    engine: str           # the TTS engine's name
    engine_state: str     # 'starting', 'ready' or 'unavailable'
    output: str           # the sink's name
    speaking: bool
    speaking_for: float   # seconds the current utterance has been rendering or playing; 0 when idle
    language: str         # of the current utterance; '' when idle
    queued: int
    spoken: int           # utterances spoken to the end
    failed: int
    stopped: int          # cancelled or pre-empted while speaking
    last_error: str       # '' when none yet
    last_failed: bool     # the latest utterance failed

    def level(self) -> tuple[str, str]:
        """('OK' | 'WARN' | 'ERROR', a one-line summary)."""
        if self.engine_state == 'unavailable':
            return 'ERROR', f'speech engine unavailable: {self.last_error}'
        if self.last_failed:
            return 'WARN', f'the last utterance failed: {self.last_error}'
        if self.engine_state == 'starting':
            return 'OK', 'starting the speech engine'
        return 'OK', f'speaking ({self.language})' if self.speaking else 'idle'


# ---------------------------------------------------------------- sinks

class Sink(Protocol):
    name: str

    def wav_path(self, utterance: Utterance, when: datetime) -> Path:
        """Where the engine should render this utterance."""

    def deliver(self, utterance: Utterance, wav: Path, duration: float, stop: threading.Event) -> str:
        """Play/keep/log the rendered WAV; return early when `stop` is set; return the output."""


def _pace(duration: float, stop: threading.Event, pace: bool) -> None:
    if pace:
        stop.wait(duration)


def _temporary_wav(utterance: Utterance) -> Path:
    """A WAV path that the sink deletes after use."""
    return Path(tempfile.gettempdir()) / f'berntsen-speech-{os.getpid()}-{utterance.id}.wav'


class WavSink:
    name = 'wav'

    def __init__(self, folder: Path, pace: bool = True):
        self.folder = Path(folder).expanduser()
        self.pace = pace

    def wav_path(self, utterance, when):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / utterance_filename(when, utterance.id, utterance.language)

    def deliver(self, utterance, wav, duration, stop):
        _pace(duration, stop, self.pace)
        return str(wav)


class LogSink:
    name = 'log'

    def __init__(self, log: Logger, pace: bool = True):
        self.log = log
        self.pace = pace

    def wav_path(self, utterance, when):
        return _temporary_wav(utterance)

    def deliver(self, utterance, wav, duration, stop):
        wav.unlink(missing_ok=True)
        self.log.info(f'[say {utterance.language}, {duration:.1f} s] {utterance.text}')
        _pace(duration, stop, self.pace)
        return 'log'


class DeviceSink:
    name = 'device'

    def __init__(self, player: list[str]):
        self.player = player

    def wav_path(self, utterance, when):
        return _temporary_wav(utterance)

    def deliver(self, utterance, wav, duration, stop):
        try:
            proc = subprocess.Popen([*self.player, str(wav)], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            while proc.poll() is None:
                if stop.wait(0.02):
                    proc.terminate()
                    proc.wait()
                    break
            if proc.returncode not in (0, -15) and not stop.is_set():
                error = proc.stderr.read().decode(errors='replace').strip()
                raise RuntimeError(f'{self.player[0]} failed ({proc.returncode}): {error}')
        finally:
            wav.unlink(missing_ok=True)
        return 'device'


def find_audio_player() -> list[str] | None:
    """A command that plays a WAV on this machine's audio device, or None if there is none."""
    runtime = os.environ.get('XDG_RUNTIME_DIR', '')
    pulse = os.environ.get('PULSE_SERVER') or (runtime and os.path.exists(os.path.join(runtime, 'pulse', 'native')))
    if pulse and shutil.which('paplay'):
        return ['paplay']
    if glob.glob('/dev/snd/pcmC*D*p'):  # an ALSA playback device
        if shutil.which('aplay'):
            return ['aplay', '-q']
        if shutil.which('play'):  # sox
            return ['play', '-q']
    return None


def make_sink(output: str, wav_dir: Path, log: Logger, pace: bool = True,
              find_player: Callable[[], list[str] | None] = find_audio_player) -> Sink:
    """The sink for `output`; `device` without an audio device says so and uses `wav`."""
    if output not in OUTPUTS:
        raise ValueError(f'output {output!r} is not one of {", ".join(OUTPUTS)}')
    if output == 'device':
        player = find_player()
        if player:
            return DeviceSink(player)
        log.warning(f'output "device" asked, but this machine has no audio device (or no player): '
                    f'writing WAV files to {Path(wav_dir).expanduser()} instead')
        output = 'wav'
    if output == 'wav':
        return WavSink(wav_dir, pace)
    return LogSink(log, pace)


# ---------------------------------------------------------------- worker

class SpeechWorker:
    """Speaks submitted utterances one after another on its own thread."""

    def __init__(self, engine: TtsEngine, sink: Sink, log: Logger, default_language: str = DEFAULT_LANGUAGE,
                 rate: int = DEFAULT_RATE, volume: float = DEFAULT_VOLUME, max_queue: int = 10,
                 on_state: Callable[[SpeechState], None] = _ignore,
                 clock: Callable[[], datetime] = datetime.now):
        resolve_language('', default_language)  # validates the default
        if max_queue < 1:
            raise ValueError(f'max_queue must be at least 1, got {max_queue}')
        self.engine = engine
        self.sink = sink
        self.log = log
        self.default_language = default_language
        self.rate = check_rate(rate)
        self.volume = check_volume(volume)
        self.max_queue = max_queue
        self.on_state = on_state
        self.clock = clock
        self._queue: deque[Utterance] = deque()
        self._current: Utterance | None = None
        self._current_since = 0.0  # monotonic
        self._engine_state = 'starting'
        self._counts = {'spoken': 0, 'failed': 0, 'stopped': 0}
        self._last_error = ''
        self._last_failed = False
        self._stop_current = threading.Event()
        self._preempted = False  # why _stop_current is set: pre-empted (True) or cancelled
        self._closing = False
        self._cond = threading.Condition()
        self._report_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name='speech-worker', daemon=True)
        self._thread.start()

    def submit(self, text: str, language: str = '', urgent: bool = False, **callbacks) -> Utterance:
        """Queue `text`; raises ValueError for empty text, QueueFull when full (never when urgent)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError('nothing to say: empty text')
        code, warning = resolve_language(language, self.default_language)
        if warning:
            self.log.warning(warning)
        utterance = Utterance(text=text.strip(), language=code, urgent=bool(urgent), **callbacks)
        with self._cond:
            if self._closing:
                raise RuntimeError('speech worker is shut down')
            preempting = None
            if utterance.urgent:
                self._queue.insert(sum(1 for waiting in self._queue if waiting.urgent), utterance)
                if self._current is not None and not self._current.urgent and not self._stop_current.is_set():
                    preempting = self._current
                    self._preempted = True
                    self._stop_current.set()
            elif len(self._queue) >= self.max_queue:
                raise QueueFull(f'{len(self._queue)} utterances already waiting')
            else:
                self._queue.append(utterance)
            self._cond.notify()
        if preempting is not None:
            self.log.info(f'urgent utterance {utterance.id} pre-empts utterance {preempting.id}')
        self._publish_state()
        return utterance

    def cancel(self, utterance: Utterance) -> bool:
        """Drop a queued utterance or stop the one being spoken; False if it is already done."""
        with self._cond:
            if utterance in self._queue:
                self._queue.remove(utterance)
                dropped = True
            elif utterance is self._current:
                self._stop_current.set()
                return True
            else:
                return False
        if dropped:
            utterance.on_cancelled(utterance)
            self._publish_state()
        return True

    def position(self, utterance: Utterance) -> int | None:
        """0 while speaking, 1 when next, 2 after that..., None when done or cancelled."""
        with self._cond:
            if utterance is self._current:
                return 0
            try:
                return self._queue.index(utterance) + 1
            except ValueError:
                return None

    def state(self) -> SpeechState:
        with self._cond:
            current = self._current
            return SpeechState(speaking=current is not None, text=current.text if current else '',
                               language=current.language if current else '', queued=len(self._queue))

    def health(self) -> SpeechHealth:
        with self._cond:
            current = self._current
            return SpeechHealth(
                engine=getattr(self.engine, 'name', type(self.engine).__name__), engine_state=self._engine_state,
                output=self.sink.name, speaking=current is not None,
                speaking_for=time.monotonic() - self._current_since if current else 0.0,
                language=current.language if current else '', queued=len(self._queue), **self._counts,
                last_error=self._last_error, last_failed=self._last_failed)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop speaking, cancel what waits, end the thread."""
        with self._cond:
            self._closing = True
            waiting = list(self._queue)
            self._queue.clear()
            self._stop_current.set()
            self._cond.notify()
        for utterance in waiting:
            utterance.on_cancelled(utterance)
        self._thread.join(timeout)

    def _publish_state(self) -> None:
        # Callers and the worker thread both report; taking the snapshot and handing it on
        # under one lock keeps an older snapshot from overtaking a newer one.
        with self._report_lock:
            try:
                self.on_state(self.state())
            except Exception as exc:  # a broken listener must not kill the worker
                self.log.warning(f'speech state listener failed: {exc}')

    def _run(self) -> None:
        self._start_engine()
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                utterance = self._current = self._queue.popleft()
                self._current_since = time.monotonic()
                self._stop_current.clear()
                self._preempted = False
            self._publish_state()
            self._speak(utterance)
            with self._cond:
                self._current = None
            self._publish_state()

    def _start_engine(self) -> None:
        """Start the engine before the first utterance, so that diagnostics tell at once; a
        failure is retried with each utterance (the engine starts itself when rendering)."""
        try:
            self.engine.start()
        except Exception as exc:
            self.log.warning(f'speech engine unavailable: {exc}')
            self._note(None, error=str(exc), engine_state='unavailable')
        else:
            self._note(None)

    def _note(self, outcome: str | None, error: str = '', engine_state: str = 'ready') -> None:
        """Count an utterance's outcome ('spoken', 'failed', 'stopped'; None: the engine start)."""
        with self._cond:
            if outcome:
                self._counts[outcome] += 1
                self._last_failed = outcome == 'failed'
            if error:
                self._last_error = error
            self._engine_state = engine_state

    def _speak(self, utterance: Utterance) -> None:
        _call(self.log, utterance.on_started, utterance)
        try:
            started = time.monotonic()
            wav = self.sink.wav_path(utterance, self.clock())
            self.engine.render(utterance.text, utterance.language, self.rate, self.volume, wav)
            render_seconds = time.monotonic() - started
            duration = wav_duration(wav)
            if self._stop_current.is_set():  # stopped while rendering: say nothing of it
                wav.unlink(missing_ok=True)
                output = ''
            else:
                output = self.sink.deliver(utterance, wav, duration, self._stop_current)
        except Exception as exc:  # TTS, file system or player: report, keep the worker alive
            self.log.warning(f'could not say utterance {utterance.id} ({utterance.language}): {exc}')
            self._note('failed', error=str(exc),
                       engine_state='unavailable' if isinstance(exc, EngineUnavailable) else 'ready')
            _call(self.log, utterance.on_failed, utterance, str(exc))
            return
        if self._stop_current.is_set():
            with self._cond:
                preempted = self._preempted
            self._note('stopped')
            _call(self.log, utterance.on_preempted if preempted else utterance.on_cancelled, utterance)
        else:
            self._note('spoken')
            _call(self.log, utterance.on_finished, utterance, Spoken(duration, output, render_seconds))


def _call(log: Logger, callback, *args) -> None:
    try:
        callback(*args)
    except Exception as exc:
        log.warning(f'speech callback {getattr(callback, "__name__", callback)} failed: {exc}')
