"""Speech queue and TTS helpers with a fake engine (no espeak, no ROS)."""
import logging
import threading
import time
import wave
from datetime import datetime
from pathlib import Path

import pytest

from berntsen_drivers.speech_worker import LogSink, QueueFull, SpeechWorker, WavSink, make_sink
from berntsen_drivers.tts import (EngineUnavailable, check_rate, check_volume, resolve_language, utterance_filename,
                                  wav_duration)

log = logging.getLogger('test_speech')


class FakeEngine:
    """Writes a silent WAV whose length is 0.1 s per word; can be told to fail, to block, or
    to be unavailable (`broken`, as without libespeak-ng)."""

    name = 'fake'

    def __init__(self):
        self.calls = []
        self.active = 0
        self.max_active = 0
        self.gate = threading.Event()
        self.gate.set()
        self.broken = False

    def start(self):
        if self.broken:
            raise EngineUnavailable('no libespeak-ng.so.1')

    def render(self, text, language, rate, volume, path):
        self.start()
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        self.calls.append((text, language, rate, volume))
        self.gate.wait(5)
        if text == 'fail':
            self.active -= 1
            raise RuntimeError('engine broke')
        with wave.open(str(path), 'wb') as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(16000)
            wav.writeframes(b'\0\0' * 1600 * len(text.split()))
        time.sleep(0.01)
        self.active -= 1


class Recorder:
    def __init__(self):
        self.events = []
        self.done = threading.Event()
        self.expected = 0

    def callbacks(self):
        def add(kind, utterance, *rest):
            self.events.append((kind, utterance.text, *rest))
            if kind != 'started' and sum(1 for e in self.events if e[0] != 'started') >= self.expected:
                self.done.set()
        return dict(on_started=lambda u: add('started', u), on_finished=lambda u, s: add('finished', u, s),
                    on_failed=lambda u, e: add('failed', u, e), on_cancelled=lambda u: add('cancelled', u))


def make_worker(tmp_path, engine=None, **kwargs):
    engine = engine or FakeEngine()
    kwargs.setdefault('sink', WavSink(tmp_path, pace=False))
    return SpeechWorker(engine, log=log, **kwargs), engine


def test_utterances_are_spoken_in_order_one_at_a_time(tmp_path):
    worker, engine = make_worker(tmp_path)
    rec = Recorder()
    rec.expected = 4
    texts = ['en', 'to tre', 'fire fem seks', 'sju']
    for text in texts:
        worker.submit(text, **rec.callbacks())
    assert rec.done.wait(5)
    worker.shutdown()
    assert [e[1] for e in rec.events if e[0] == 'finished'] == texts
    kinds = [e[0] for e in rec.events]
    assert kinds == ['started', 'finished'] * 4  # never two at once
    assert engine.max_active == 1
    durations = [e[2].duration for e in rec.events if e[0] == 'finished']
    assert durations == pytest.approx([0.1, 0.2, 0.3, 0.1])
    outputs = [Path(e[2].output) for e in rec.events if e[0] == 'finished']
    assert all(p.parent == tmp_path and p.is_file() for p in outputs)
    assert sorted(outputs) == outputs  # the timestamped names sort in speaking order


def test_unknown_language_falls_back_to_default_with_warning(tmp_path, caplog):
    worker, engine = make_worker(tmp_path, default_language='en')
    rec = Recorder()
    rec.expected = 3
    with caplog.at_level(logging.WARNING, logger='test_speech'):
        worker.submit('hallo', 'de', **rec.callbacks())
        worker.submit('hei', 'NB', **rec.callbacks())
        worker.submit('hello', '', **rec.callbacks())
        assert rec.done.wait(5)
    worker.shutdown()
    assert [c[1] for c in engine.calls] == ['en', 'nb', 'en']
    assert "unknown language 'de'" in caplog.text
    assert caplog.text.count('unknown language') == 1


def test_failure_is_reported_and_the_worker_keeps_going(tmp_path):
    worker, _ = make_worker(tmp_path)
    rec = Recorder()
    rec.expected = 2
    worker.submit('fail', **rec.callbacks())
    worker.submit('etter feilen', **rec.callbacks())
    assert rec.done.wait(5)
    worker.shutdown()
    assert [e[:2] for e in rec.events if e[0] != 'started'] == [('failed', 'fail'), ('finished', 'etter feilen')]


def test_cancel_queued_and_speaking(tmp_path):
    worker, engine = make_worker(tmp_path, sink=WavSink(tmp_path, pace=True))
    rec = Recorder()
    rec.expected = 3
    engine.gate.clear()  # hold the first utterance in rendering
    first = worker.submit('en to tre fire fem seks sju åtte ni ti', **rec.callbacks())
    second = worker.submit('andre', **rec.callbacks())
    third = worker.submit('tredje', **rec.callbacks())
    deadline = time.monotonic() + 2
    while worker.position(first) != 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.position(second) == 1 and worker.position(third) == 2
    assert worker.state().queued == 2
    assert worker.cancel(second)
    engine.gate.set()
    time.sleep(0.1)  # first is now pacing its 1.0 s of audio
    started = time.monotonic()
    assert worker.cancel(first)
    assert rec.done.wait(5)
    assert time.monotonic() - started < 0.5
    worker.shutdown()
    assert [e[:2] for e in rec.events if e[0] != 'started'] == [
        ('cancelled', 'andre'), ('cancelled', first.text), ('finished', 'tredje')]
    assert not worker.cancel(third)  # already done


def preempt_recorder():
    rec = Recorder()
    callbacks = rec.callbacks

    def with_preempted():
        result = callbacks()
        result['on_preempted'] = lambda u: (rec.events.append(('preempted', u.text, time.monotonic())),
                                            rec.done.set() if sum(1 for e in rec.events if e[0] != 'started')
                                            >= rec.expected else None)
        return result
    rec.callbacks = with_preempted
    return rec


def test_urgent_preempts_the_speaking_one_and_jumps_the_queue(tmp_path):
    worker, engine = make_worker(tmp_path, sink=WavSink(tmp_path, pace=True), max_queue=1)
    rec = preempt_recorder()
    rec.expected = 4
    first = worker.submit('en to tre fire fem seks sju åtte ni ti elleve tolv', **rec.callbacks())  # 1.2 s
    deadline = time.monotonic() + 2
    while worker.position(first) != 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.submit('vanlig', **rec.callbacks())
    with pytest.raises(QueueFull):  # the queue is full for ordinary utterances...
        worker.submit('ikke plass', **rec.callbacks())
    time.sleep(0.2)  # the first is speaking now
    urgent_at = time.monotonic()
    worker.submit('bli der du er', urgent=True, **rec.callbacks())  # ...never for urgent ones
    worker.submit('jeg ringer etter hjelp', urgent=True, **rec.callbacks())
    assert rec.done.wait(5)
    worker.shutdown()
    ends = [e for e in rec.events if e[0] != 'started']
    assert [e[:2] for e in ends] == [('preempted', 'en to tre fire fem seks sju åtte ni ti elleve tolv'),
                                     ('finished', 'bli der du er'), ('finished', 'jeg ringer etter hjelp'),
                                     ('finished', 'vanlig')]
    assert ends[0][2] - urgent_at < 0.2  # stopped at once
    kinds = [e[0] for e in rec.events]
    assert kinds == ['started', 'preempted', 'started', 'finished'] * 1 + ['started', 'finished'] * 2  # no overlap
    assert engine.max_active == 1


def test_urgent_does_not_preempt_an_urgent_one(tmp_path):
    worker, _ = make_worker(tmp_path, sink=WavSink(tmp_path, pace=True))
    rec = preempt_recorder()
    rec.expected = 2
    worker.submit('ring etter hjelp', urgent=True, **rec.callbacks())
    time.sleep(0.1)
    worker.submit('bli der du er', urgent=True, **rec.callbacks())
    assert rec.done.wait(5)
    worker.shutdown()
    assert [e[:2] for e in rec.events if e[0] != 'started'] == [('finished', 'ring etter hjelp'),
                                                                ('finished', 'bli der du er')]


def test_preempted_while_rendering_leaves_no_file(tmp_path):
    worker, engine = make_worker(tmp_path, sink=WavSink(tmp_path, pace=True))
    rec = preempt_recorder()
    rec.expected = 2
    engine.gate.clear()  # hold the first utterance in rendering
    first = worker.submit('vanlig setning', **rec.callbacks())
    deadline = time.monotonic() + 2
    while worker.position(first) != 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.submit('hjelp', urgent=True, **rec.callbacks())
    engine.gate.set()
    assert rec.done.wait(5)
    worker.shutdown()
    assert [e[:2] for e in rec.events if e[0] != 'started'] == [('preempted', 'vanlig setning'), ('finished', 'hjelp')]
    assert list(tmp_path.iterdir()) == [Path(rec.events[-1][2].output)]


def test_queue_is_bounded_and_empty_text_refused(tmp_path):
    worker, engine = make_worker(tmp_path, max_queue=2)
    engine.gate.clear()
    worker.submit('holder')
    deadline = time.monotonic() + 2
    while not worker.state().speaking and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.submit('a')
    worker.submit('b')
    with pytest.raises(QueueFull):
        worker.submit('c')
    with pytest.raises(ValueError):
        worker.submit('   ')
    engine.gate.set()
    worker.shutdown()


def test_state_listener_sees_speaking_then_idle(tmp_path):
    states = []
    worker, _ = make_worker(tmp_path, on_state=states.append)
    rec = Recorder()
    rec.expected = 1
    worker.submit('hei', 'en', **rec.callbacks())
    assert rec.done.wait(5)
    deadline = time.monotonic() + 2
    while (not states or states[-1].speaking) and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.shutdown()
    assert any(s.speaking and s.text == 'hei' and s.language == 'en' for s in states)
    assert not states[-1].speaking and states[-1].text == ''


def test_log_sink_keeps_no_file_and_logs_the_text(tmp_path, caplog):
    sink = LogSink(log, pace=False)
    worker, _ = make_worker(tmp_path, sink=sink)
    rec = Recorder()
    rec.expected = 1
    with caplog.at_level(logging.INFO, logger='test_speech'):
        utterance = worker.submit('bare logg', **rec.callbacks())
        assert rec.done.wait(5)
    worker.shutdown()
    spoken = rec.events[-1][2]
    assert spoken.output == 'log' and spoken.duration == pytest.approx(0.2)
    assert 'bare logg' in caplog.text
    assert not list(tmp_path.iterdir()) and not sink.wav_path(utterance, datetime.now()).exists()


def test_device_without_audio_device_warns_and_writes_wav(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger='test_speech'):
        sink = make_sink('device', tmp_path, log, find_player=lambda: None)
    assert sink.name == 'wav' and sink.folder == tmp_path
    assert 'no audio device' in caplog.text
    assert make_sink('log', tmp_path, log).name == 'log'
    with pytest.raises(ValueError):
        make_sink('speaker', tmp_path, log)


def test_filename():
    when = datetime(2026, 11, 27, 8, 5, 3, 42_999)
    assert utterance_filename(when, 7, 'nb') == '20261127-080503-042-nb-7.wav'


def test_nothing_said_reaches_file_names_or_warnings(tmp_path, caplog):
    # the text may hold the patient's name: spoken, never written (but by the `log` output)
    worker, _ = make_worker(tmp_path)
    rec = Recorder()
    rec.expected = 2
    with caplog.at_level(logging.INFO, logger='test_speech'):
        worker.submit('God morgen, Kari', **rec.callbacks())
        worker.submit('fail', **rec.callbacks())
        assert rec.done.wait(5)
    worker.shutdown()
    assert [p.name for p in tmp_path.iterdir()] == [Path(rec.events[1][2].output).name]
    assert 'kari' not in rec.events[1][2].output.lower()
    assert 'could not say utterance' in caplog.text and "'fail'" not in caplog.text


def test_language_rate_volume_validation():
    assert resolve_language('', 'nb') == ('nb', None)
    assert resolve_language(' EN ', 'nb') == ('en', None)
    code, warning = resolve_language('sv', 'nb')
    assert code == 'nb' and 'sv' in warning
    with pytest.raises(ValueError):
        resolve_language('en', 'xx')
    assert check_rate(170) == 170
    for bad in (79, 451):
        with pytest.raises(ValueError):
            check_rate(bad)
    with pytest.raises(TypeError):
        check_rate(170.0)
    for bad in (-0.1, 1.1, float('nan')):
        with pytest.raises(ValueError):
            check_volume(bad)


def test_wav_duration(tmp_path):
    path = tmp_path / 'x.wav'
    with wave.open(str(path), 'wb') as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(b'\0\0' * 33075)
    assert wav_duration(path) == pytest.approx(1.5)


def fake_player(tmp_path, seconds, exit_code=0):
    """A 'player' that takes `seconds` and records which file it was given."""
    script = (f'import sys, time; open({str(tmp_path / "played")!r}, "w").write(sys.argv[1]); '
              f'time.sleep({seconds}); sys.exit({exit_code})')
    import sys
    return [sys.executable, '-c', script]


def write_wav(path, seconds=1.0):
    with wave.open(str(path), 'wb') as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(b'\0\0' * int(16000 * seconds))


def test_device_sink_plays_and_deletes_the_wav(tmp_path):
    from berntsen_drivers.speech_worker import DeviceSink, Utterance

    sink = make_sink('device', tmp_path, log, find_player=lambda: fake_player(tmp_path, 0.1))
    assert isinstance(sink, DeviceSink)
    utterance = Utterance('hei', 'nb')
    wav = sink.wav_path(utterance, datetime.now())
    write_wav(wav)
    assert sink.deliver(utterance, wav, 1.0, threading.Event()) == 'device'
    assert (tmp_path / 'played').read_text() == str(wav) and not wav.exists()


def test_device_sink_stops_on_cancel_and_reports_player_failure(tmp_path):
    from berntsen_drivers.speech_worker import DeviceSink, Utterance

    utterance = Utterance('hei', 'nb')
    sink = DeviceSink(fake_player(tmp_path, 10))
    wav = sink.wav_path(utterance, datetime.now())
    write_wav(wav)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    sink.deliver(utterance, wav, 10.0, stop)
    assert time.monotonic() - started < 2.0 and not wav.exists()
    broken = DeviceSink(fake_player(tmp_path, 0, exit_code=3))
    write_wav(wav)
    with pytest.raises(RuntimeError, match='failed'):
        broken.deliver(utterance, wav, 1.0, threading.Event())


def wait_until(predicate, timeout=2.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_health_counts_what_became_of_each_utterance_without_its_text(tmp_path):
    worker, engine = make_worker(tmp_path, sink=WavSink(tmp_path, pace=True))
    assert wait_until(lambda: worker.health().engine_state == 'ready')
    assert worker.health().level() == ('OK', 'idle')
    rec = Recorder()
    rec.expected = 3
    engine.gate.clear()  # hold the first in rendering
    worker.submit('God morgen, Kari', 'en', **rec.callbacks())
    queued = worker.submit('blir avbrutt', **rec.callbacks())
    assert wait_until(lambda: worker.health().speaking)
    time.sleep(0.05)
    health = worker.health()
    assert health.queued == 1 and health.language == 'en' and health.speaking_for > 0.04
    assert health.level() == ('OK', 'speaking (en)')
    worker.cancel(queued)
    engine.gate.set()
    worker.submit('fail', **rec.callbacks())
    assert rec.done.wait(5)
    health = worker.health()
    assert (health.spoken, health.failed, health.stopped, health.queued) == (1, 1, 0, 0)
    assert health.last_error == 'engine broke' and health.level() == ('WARN', 'the last utterance failed: engine broke')
    assert 'Kari' not in repr(health)
    rec = Recorder()
    rec.expected = 1
    worker.submit('igjen', **rec.callbacks())
    assert rec.done.wait(5)
    worker.shutdown()
    health = worker.health()
    assert health.spoken == 2 and health.level() == ('OK', 'idle') and health.last_error == 'engine broke'


def test_an_engine_that_cannot_start_is_an_error_until_it_can(tmp_path):
    engine = FakeEngine()
    engine.broken = True
    worker, _ = make_worker(tmp_path, engine=engine)
    assert wait_until(lambda: worker.health().engine_state == 'unavailable')
    level, message = worker.health().level()
    assert level == 'ERROR' and 'no libespeak-ng' in message
    rec = Recorder()
    rec.expected = 1
    worker.submit('hei', **rec.callbacks())
    assert rec.done.wait(5) and rec.events[-1][0] == 'failed'
    assert worker.health().level()[0] == 'ERROR' and worker.health().failed == 1
    engine.broken = False  # the library is back: the next utterance starts the engine
    rec = Recorder()
    rec.expected = 1
    worker.submit('hei igjen', **rec.callbacks())
    assert rec.done.wait(5) and rec.events[-1][0] == 'finished'
    worker.shutdown()
    assert worker.health().engine_state == 'ready' and worker.health().level() == ('OK', 'idle')
