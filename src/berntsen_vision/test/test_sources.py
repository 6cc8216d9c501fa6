"""Frame sources on generated image folders and videos, and clear errors for missing ones."""
import threading
import time

import cv2
import numpy as np
import pytest

from berntsen_vision.sources import (ImageFolderSource, Pacer, SourceError, V4L2Source, VideoFileSource,
                                     open_source)


def _frame(value, width=64, height=48):
    """An RGB frame whose red channel carries `value`, so frames can be told apart."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[..., 0] = value
    return frame


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i, value in enumerate((30, 90, 150)):
        cv2.imwrite(str(folder / f'frame_{i:03d}.png'), cv2.cvtColor(_frame(value), cv2.COLOR_RGB2BGR))
    (folder / 'notes.txt').write_text('not an image')
    return folder


@pytest.fixture
def video_file(tmp_path):
    path = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 15.0, (64, 48))
    assert writer.isOpened()
    for value in (40, 120, 200, 250):
        writer.write(cv2.cvtColor(_frame(value), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_image_folder_in_name_order_and_loops(image_folder):
    with open_source(str(image_folder), fps=10.0, loop=True) as source:
        assert isinstance(source, ImageFolderSource)
        reds = [int(source.read()[0, 0, 0]) for _ in range(5)]
    assert reds == [30, 90, 150, 30, 90]


def test_image_folder_once_ends_and_resizes(image_folder):
    with open_source(str(image_folder), loop=False, width=32, height=24) as source:
        frames = [source.read() for _ in range(3)]
        assert source.read() is None
    assert all(f.shape == (24, 32, 3) and f.dtype == np.uint8 for f in frames)


def test_image_folder_skips_unreadable_images(image_folder):
    (image_folder / 'frame_001.png').write_bytes(b'not a png')
    with ImageFolderSource(image_folder, loop=False) as source:
        reds = [int(source.read()[0, 0, 0]), int(source.read()[0, 0, 0])]
        assert source.read() is None
        assert [p.name for p in source.skipped_files] == ['frame_001.png']
    assert reds == [30, 150]


def test_folder_without_images_or_readable_images_is_an_error(tmp_path):
    with pytest.raises(SourceError, match='has no images'):
        ImageFolderSource(tmp_path)
    (tmp_path / 'broken.jpg').write_bytes(b'nothing')
    with pytest.raises(SourceError, match='can be read'):
        ImageFolderSource(tmp_path).read()


def test_video_file_plays_once_or_loops(video_file):
    with open_source(str(video_file), fps=0.0, loop=False) as source:
        assert isinstance(source, VideoFileSource)
        assert source.fps == pytest.approx(15.0)
        reds = []
        while (frame := source.read()) is not None:
            reds.append(int(frame[10, 10, 0]))
    assert len(reds) == 4
    assert reds == pytest.approx([40, 120, 200, 250], abs=8)  # MJPG is lossy
    with open_source(str(video_file), fps=30.0, loop=True, width=32, height=24) as source:
        assert source.fps == 30.0
        frames = [source.read() for _ in range(6)]
    assert all(f.shape == (24, 32, 3) for f in frames)
    assert int(frames[4][10, 10, 0]) == pytest.approx(40, abs=8)


def test_missing_sources_raise_clear_errors(tmp_path):
    with pytest.raises(SourceError, match='does not exist'):
        open_source(str(tmp_path / 'nowhere'))
    with pytest.raises(SourceError, match='does not exist'):
        VideoFileSource(tmp_path / 'missing.mp4')
    not_a_video = tmp_path / 'text.mp4'
    not_a_video.write_text('hello')
    with pytest.raises(SourceError, match='cannot open video file'):
        VideoFileSource(not_a_video)
    with pytest.raises(SourceError, match='/dev/video99 does not exist'):
        open_source('/dev/video99')
    with pytest.raises(SourceError, match='/dev/video98 does not exist'):
        open_source('98')


def test_bad_source_settings_are_value_errors(image_folder):
    with pytest.raises(ValueError):
        open_source('')
    with pytest.raises(ValueError, match='width and height'):
        open_source(str(image_folder), width=640, height=0)
    with pytest.raises(ValueError, match='fps'):
        open_source(str(image_folder), fps=-1.0)
    with pytest.raises(ValueError, match='not a V4L2 device'):
        V4L2Source('/dev/sda')


def test_pacer_keeps_the_rate_without_drift_and_stops_on_request():
    pacer = Pacer(50.0)
    start = time.monotonic()
    for _ in range(11):
        assert pacer.wait()
    assert time.monotonic() - start == pytest.approx(0.2, abs=0.05)
    stop = threading.Event()
    stop.set()
    slow = Pacer(0.5)
    slow.wait(stop)  # first frame is due at once
    assert not slow.wait(stop)
    with pytest.raises(ValueError):
        Pacer(0.0)


def test_image_folder_that_disappears_is_an_error_and_can_be_reopened_when_back(image_folder, tmp_path):
    import shutil
    backup = tmp_path / 'backup'
    shutil.copytree(image_folder, backup)
    with open_source(str(image_folder), loop=True) as source:
        source.read()
        shutil.rmtree(image_folder)
        with pytest.raises(SourceError, match='disappeared'):
            source.read()
    with pytest.raises(SourceError, match='does not exist'):
        open_source(str(image_folder))
    shutil.copytree(backup, image_folder)
    with open_source(str(image_folder), loop=True) as source:
        assert int(source.read()[0, 0, 0]) == 30


def test_video_file_reports_its_frame_count(video_file):
    with VideoFileSource(video_file, loop=False) as source:
        assert source.frame_count == 4


def test_pixel_format_must_be_a_fourcc(image_folder):
    from berntsen_vision.sources import check_pixel_format
    assert check_pixel_format('MJPG') == 'MJPG' and check_pixel_format('') == ''
    for bad in ('MJPEG', 'YU', 'ab\ncd', 'ÆØÅX'):
        with pytest.raises(ValueError, match='four-character'):
            check_pixel_format(bad)
    with pytest.raises(ValueError, match='four-character'):
        open_source(str(image_folder), pixel_format='H264x')
    with pytest.raises(ValueError, match='four-character'):
        V4L2Source(0, pixel_format='bad')


def test_drop_counter_counts_missing_frame_periods():
    from berntsen_vision.sources import DropCounter
    drops = DropCounter(10.0)
    for t in (0.0, 0.1, 0.2, 0.5, 0.6, 0.74):  # 0.3 and 0.4 never came; 0.74 is only late
        drops.frame(t)
    assert drops.dropped == 2
    drops.restart()
    drops.frame(5.0)  # a pause after restart() is no loss
    assert drops.dropped == 2
    with pytest.raises(ValueError):
        DropCounter(0.0)
