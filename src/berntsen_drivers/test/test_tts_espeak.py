"""The real pyttsx3 + espeak-ng engine renders Norwegian and English WAVs."""
import pytest

from berntsen_drivers.tts import Pyttsx3Engine, TtsError, wav_duration


@pytest.fixture(scope='module')
def engine():
    return Pyttsx3Engine()  # espeak initialises once per process; share it


def test_norwegian_phrase_renders_plausible_wav(engine, tmp_path):
    text = 'God morgen! Nå skal vi stå opp og gjøre øvelsene dine sammen.'  # 11 words
    path = tmp_path / 'nb.wav'
    engine.render(text, 'nb', 170, 1.0, path)
    duration = wav_duration(path)
    # 11 words at 170 words per minute is about 3.9 s; pauses at punctuation add some
    assert 2.5 < duration < 7.0
    slow = tmp_path / 'nb_slow.wav'
    engine.render(text, 'nb', 100, 1.0, slow)
    assert wav_duration(slow) > 1.4 * duration


def test_voices_differ_and_bad_paths_fail(engine, tmp_path):
    text = 'Hei, hvordan har du det?'
    engine.render(text, 'nb', 170, 1.0, tmp_path / 'nb.wav')
    engine.render(text, 'en', 170, 1.0, tmp_path / 'en.wav')
    assert (tmp_path / 'nb.wav').read_bytes() != (tmp_path / 'en.wav').read_bytes()
    with pytest.raises(TtsError):
        engine.render(text, 'nb', 170, 1.0, tmp_path / 'missing' / 'x.wav')
    with pytest.raises(ValueError):
        engine.render(text, 'de', 170, 1.0, tmp_path / 'de.wav')
    engine.render('Fortsatt i live', 'nb', 170, 1.0, tmp_path / 'after.wav')  # still works after a failure
    assert wav_duration(tmp_path / 'after.wav') > 0.5


def test_rate_and_volume_changes_apply_to_every_render(engine, tmp_path):
    # pyttsx3 2.99 + espeak-ng 1.51 dropped property changes after the first render (see tts.py)
    import numpy as np
    import wave

    text = 'Løft armene over hodet, og senk dem rolig igjen.'
    found = []
    for i, (rate, volume) in enumerate([(170, 1.0), (100, 1.0), (300, 0.3), (170, 1.0), (100, 0.3)]):
        path = tmp_path / f'{i}.wav'
        engine.render(text, 'nb', rate, volume, path)
        with wave.open(str(path)) as wav:
            peak = np.abs(np.frombuffer(wav.readframes(wav.getnframes()), '<i2')).max()
        found.append((wav_duration(path), peak))
    durations, peaks = zip(*found)
    assert durations[1] > 1.4 * durations[0] and durations[2] < 0.75 * durations[0]
    assert durations[3] == pytest.approx(durations[0], rel=0.05)
    assert durations[4] == pytest.approx(durations[1], rel=0.05)
    assert peaks[2] < 0.5 * peaks[0] and peaks[4] < 0.5 * peaks[3]


def _empty_wav(path):
    import wave
    with wave.open(str(path), 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)


def test_an_empty_render_is_tried_again(engine, tmp_path, monkeypatch):
    # espeak cancelled mid-render leaves a header-only WAV (seen on a first utterance)
    engine.render('Klar.', 'nb', 170, 1.0, tmp_path / 'warm.wav')  # engine started
    pyttsx3_engine = engine._engine
    real_run, runs = pyttsx3_engine.runAndWait, []
    path = tmp_path / 'retry.wav'

    def run_and_empty_first_time():
        real_run()
        runs.append(1)
        if len(runs) == 1:
            _empty_wav(path)

    monkeypatch.setattr(pyttsx3_engine, 'runAndWait', run_and_empty_first_time)
    engine.render('God morgen, Kari!', 'nb', 170, 1.0, path)
    assert len(runs) == 2 and wav_duration(path) > 0.5

    def run_and_always_empty():
        real_run()
        _empty_wav(path)

    monkeypatch.setattr(pyttsx3_engine, 'runAndWait', run_and_always_empty)
    with pytest.raises(TtsError, match='empty WAV'):
        engine.render('God morgen, Kari!', 'nb', 170, 1.0, path)
