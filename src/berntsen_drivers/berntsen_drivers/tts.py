"""Text-to-speech rendering: languages, file names, WAV duration and the pyttsx3 engine.

No rclpy here. The engine renders one utterance to a WAV file; where the audio goes next
(a speaker, a folder, nowhere) is the sink's business (`speech_worker`).

pyttsx3 2.99 with its espeak driver, as found on this machine (Linux, headless):
- `save_to_file` + `runAndWait` works and gives the same samples as `espeak-ng -w`.
- `say` plays by running `aplay` through `os.system`: a missing `aplay` or audio device
  fails silently, and it blocks until played with no way to stop it. So we never use
  `say`: we always render to a WAV and play that file ourselves (see `speech_worker`).
- After `save_to_file`, the driver keeps the file name, so a later `say` overwrites the
  previous WAV instead of playing. Another reason to only ever call `save_to_file`.
- A WAV that cannot be written (missing folder) raises inside a ctypes callback: pyttsx3
  prints the traceback and `runAndWait` returns as if it had worked. We check the folder
  before and the file after each render.
- Rate and volume changes were lost at random (seen: every render after the first kept
  the first rate). espeak-ng runs asynchronously here; `setProperty` queues the change in
  espeak's command FIFO, and pyttsx3's `runAndWait` calls `espeak_Cancel` (through
  `driver.stop()`) when espeak still looks busy, which empties the FIFO, changes
  included. Before the first `runAndWait`, pyttsx3 also holds `setProperty` in its own
  queue. Workaround: one empty `runAndWait` after init (so `setProperty` goes straight to
  espeak), then `espeak_Synchronize()` after setting the properties, then check them.
- espeak-ng initialises once per process; the engine must be used from one thread.
- It prints "Audio saved to <path>" on stdout for every file; we swallow that (the node
  logs through rclpy, not Python's stdout, so nothing else is lost meanwhile).
"""
from __future__ import annotations

import contextlib
import io
import wave
from datetime import datetime
from pathlib import Path
from typing import Protocol

# language code (as in Speak.language) -> espeak-ng voice name
VOICES = {'nb': 'nb', 'en': 'en'}
DEFAULT_LANGUAGE = 'nb'
RATE_RANGE = (80, 450)  # words per minute that espeak-ng renders intelligibly
DEFAULT_RATE = 170
DEFAULT_VOLUME = 1.0



RENDER_ATTEMPTS = 2


class TtsError(RuntimeError):
    """An utterance could not be rendered."""


class EngineUnavailable(TtsError):
    """The engine itself cannot start (no pyttsx3, no libespeak-ng): nothing can be said."""


def resolve_language(requested: str, default: str = DEFAULT_LANGUAGE) -> tuple[str, str | None]:
    """Return (language to use, warning or None). Empty means the default, silently."""
    if default not in VOICES:
        raise ValueError(f'default language {default!r} is not one of {sorted(VOICES)}')
    code = (requested or '').strip().lower()
    if not code:
        return default, None
    if code in VOICES:
        return code, None
    return default, f'unknown language {requested!r}, speaking {default!r} instead (known: {", ".join(sorted(VOICES))})'


def check_rate(rate: int) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise TypeError(f'rate must be an int (words per minute), got {rate!r}')
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise ValueError(f'rate {rate} outside {RATE_RANGE[0]}..{RATE_RANGE[1]} words per minute')
    return rate


def check_volume(volume: float) -> float:
    if isinstance(volume, bool) or not isinstance(volume, (int, float)):
        raise TypeError(f'volume must be a number, got {volume!r}')
    if not 0.0 <= volume <= 1.0:  # also rejects NaN
        raise ValueError(f'volume {volume} outside 0.0..1.0')
    return float(volume)


def utterance_filename(when: datetime, number: int, language: str) -> str:
    """`<YYYYmmdd-HHMMSS-mmm>-<language>-<number>.wav`: a folder lists in the order things were
    said. Nothing of the text: it may hold the patient's name, which is spoken, not written."""
    return f'{when:%Y%m%d-%H%M%S}-{when.microsecond // 1000:03d}-{language}-{number}.wav'


def wav_duration(path: str | Path) -> float:
    """Seconds of audio in a WAV file."""
    with wave.open(str(path), 'rb') as wav:
        rate = wav.getframerate()
        if rate <= 0:
            raise TtsError(f'{path}: bad sample rate {rate}')
        return wav.getnframes() / rate


class TtsEngine(Protocol):
    name: str

    def start(self) -> None:
        """Load the engine, in the thread that will render; raise EngineUnavailable if it cannot."""

    def render(self, text: str, language: str, rate: int, volume: float, path: Path) -> None:
        """Write `text` spoken in `language` to the WAV file `path` (starting the engine if need
        be); raise TtsError on failure, EngineUnavailable when the engine cannot start."""


class Pyttsx3Engine:
    """pyttsx3 with the espeak-ng driver; create and use it from one thread only."""

    name = 'pyttsx3 espeak-ng'

    def __init__(self):
        self._engine = None
        self._espeak = None

    def start(self) -> None:
        if self._engine is not None:
            return
        # imported here so that tests with a fake engine need neither pyttsx3 nor espeak
        try:
            import pyttsx3
            from pyttsx3.drivers import _espeak
            engine = pyttsx3.init('espeak')
        except Exception as exc:  # RuntimeError, OSError (no libespeak-ng), ImportError...
            raise EngineUnavailable(f'pyttsx3 espeak driver unavailable: {exc}') from exc
        engine.runAndWait()  # nothing queued: leaves pyttsx3 not busy, so setProperty acts at once
        self._engine, self._espeak = engine, _espeak

    def render(self, text: str, language: str, rate: int, volume: float, path: Path) -> None:
        if language not in VOICES:
            raise ValueError(f'unknown language {language!r}')
        if not text.strip():
            raise ValueError('nothing to say: empty text')
        path = Path(path)
        if not path.parent.is_dir():
            raise TtsError(f'cannot write {path}: folder does not exist')
        rate, volume = check_rate(rate), check_volume(volume)
        self.start()
        engine = self._engine
        engine.setProperty('voice', VOICES[language])
        engine.setProperty('rate', rate)
        engine.setProperty('volume', volume)
        self._espeak.Synchronize()  # wait until espeak has applied them (see the module doc)
        applied = (engine.getProperty('voice').rsplit('/', 1)[-1], engine.getProperty('rate'),
                   engine.getProperty('volume'))
        if applied[:2] != (VOICES[language], rate) or abs(applied[2] - volume) > 0.01:
            raise TtsError(f'espeak-ng did not take voice/rate/volume {VOICES[language]}/{rate}/{volume}: {applied}')
        # Now and then (seen on the first utterance after start-up, under load) espeak still
        # looks busy when runAndWait starts, pyttsx3 cancels it and the WAV comes out empty;
        # a second render after synchronising with espeak has always produced the audio.
        for attempt in range(RENDER_ATTEMPTS):
            path.unlink(missing_ok=True)
            engine.save_to_file(text, str(path))
            with contextlib.redirect_stdout(io.StringIO()):
                engine.runAndWait()
            if not path.is_file():
                raise TtsError(f'pyttsx3 wrote no file {path} (see the traceback above)')
            if wav_duration(path) > 0.0:
                return
            self._espeak.Synchronize()
        raise TtsError(f'pyttsx3 wrote an empty WAV {path} ({RENDER_ATTEMPTS} attempts)')
