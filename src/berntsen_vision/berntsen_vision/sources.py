"""Camera frame sources: a video file, an image folder or a V4L2 device; no rclpy.

`open_source(spec, ...)` picks the kind from the spec (an integer or /dev/videoN is a
device, a folder is an image folder, anything else a video file). Each source returns RGB
uint8 frames from `read()`, or None once a non-looping file or folder is finished. A
missing or unreadable source raises SourceError with a message that says what to fix;
callers retry. Sources that replay recordings pace themselves in real time with a Pacer.
"""
from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {'.png', '.jpg', '.jpeg', '.bmp', '.ppm', '.pgm', '.tif', '.tiff', '.webp'}
_DEVICE_PATH = re.compile(r'^/dev/video(\d+)$')


class SourceError(OSError):
    """The source cannot deliver frames (missing, unreadable, disconnected)."""


class DropCounter:
    """Count frames lost between deliveries from gaps in their timing.

    A gap longer than 1.5 frame periods means frames were due and never came (a device that
    dropped them, a reader that fell behind); each missing period counts one.
    """

    def __init__(self, fps: float):
        if not fps > 0.0:
            raise ValueError(f'fps must be positive, got {fps}')
        self.period = 1.0 / fps
        self.dropped = 0
        self._last: float | None = None

    def frame(self, t: float) -> None:
        if self._last is not None:
            gap = t - self._last
            if gap > 1.5 * self.period:
                self.dropped += int(round(gap / self.period)) - 1
        self._last = t

    def restart(self) -> None:
        """Forget the last frame time (after a pause that is no loss, e.g. reopening)."""
        self._last = None


class Pacer:
    """Wait until the next frame is due at `fps`, on an absolute schedule that does not drift.

    If the caller falls more than one period behind, the schedule restarts from now rather
    than bursting frames to catch up.
    """

    def __init__(self, fps: float, clock=time.monotonic):
        if not fps > 0.0:
            raise ValueError(f'fps must be positive, got {fps}')
        self.period = 1.0 / fps
        self._clock = clock
        self._next: float | None = None

    def wait(self, stop: threading.Event | None = None) -> bool:
        """Block until the next frame time; False if `stop` was set meanwhile."""
        now = self._clock()
        if self._next is None or now - self._next > self.period:
            self._next = now
        delay = self._next - now
        self._next += self.period
        if delay > 0.0:
            if stop is not None:
                return not stop.wait(delay)
            time.sleep(delay)
        return stop is None or not stop.is_set()


def _resize(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    if width and height and (frame.shape[1] != width or frame.shape[0] != height):
        return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    return frame


class FrameSource:
    """Common interface: `read()` -> RGB frame or None at the end; `close()`; `fps`; `description`."""

    fps: float
    description: str
    paced: bool  # True when read() itself waits for the frame time (devices)

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class VideoFileSource(FrameSource):
    """Frames of a video file; at the end either start again (loop) or finish."""

    paced = False

    def __init__(self, path: str | os.PathLike, fps: float = 0.0, loop: bool = True,
                 width: int = 0, height: int = 0):
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f'video file {self.path} does not exist')
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise SourceError(f'cannot open video file {self.path} (not a video OpenCV can decode?)')
        file_fps = self._capture.get(cv2.CAP_PROP_FPS)
        # fps 0 means "as recorded"; files without a rate play at 30 fps
        self.fps = fps if fps > 0.0 else (file_fps if file_fps and file_fps > 0.0 else 30.0)
        self.loop = loop
        self.width, self.height = width, height
        self.description = f'video file {self.path}'

    @property
    def frame_count(self) -> int:
        """Frames in the file as its container says (0 if unknown; may be approximate)."""
        return max(0, int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT)))

    def read(self) -> np.ndarray | None:
        ok, frame = self._capture.read()
        if not ok and self.loop:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
            if not ok:
                raise SourceError(f'video file {self.path} has no readable frames')
        if not ok:
            return None
        return _resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), self.width, self.height)

    def close(self) -> None:
        self._capture.release()


class ImageFolderSource(FrameSource):
    """The images of a folder in name order at a set rate; unreadable files are skipped."""

    paced = False

    def __init__(self, path: str | os.PathLike, fps: float = 30.0, loop: bool = True,
                 width: int = 0, height: int = 0):
        self.path = Path(path)
        if not self.path.is_dir():
            raise SourceError(f'image folder {self.path} does not exist')
        self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(f'image folder {self.path} has no images ({", ".join(sorted(IMAGE_SUFFIXES))})')
        self.fps = fps if fps > 0.0 else 30.0
        self.loop = loop
        self.width, self.height = width, height
        self.skipped_files: list[Path] = []
        self._index = 0
        self.description = f'image folder {self.path} ({len(self.files)} images)'

    def read(self) -> np.ndarray | None:
        misses = 0
        while True:
            if self._index >= len(self.files):
                if not self.loop:
                    return None
                self._index = 0
            path = self.files[self._index]
            self._index += 1
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is not None:
                return _resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), self.width, self.height)
            if not self.path.is_dir():
                raise SourceError(f'image folder {self.path} disappeared')
            if path not in self.skipped_files:
                self.skipped_files.append(path)
            misses += 1
            if misses >= len(self.files):
                raise SourceError(f'no image in folder {self.path} can be read')


class V4L2Source(FrameSource):
    """A V4L2 camera by index or /dev/videoN; read() waits for the device's next frame."""

    paced = True

    def __init__(self, device: int | str, fps: float = 30.0, width: int = 0, height: int = 0,
                 pixel_format: str = ''):
        index = device if isinstance(device, int) else _device_index(device)
        if index is None:
            raise ValueError(f'not a V4L2 device: {device!r} (use an index or /dev/videoN)')
        check_pixel_format(pixel_format)
        path = f'/dev/video{index}'
        if not os.path.exists(path):
            raise SourceError(f'camera device {path} does not exist (unplugged?)')
        self._capture = cv2.VideoCapture(index, cv2.CAP_V4L2)
        if not self._capture.isOpened():
            raise SourceError(f'cannot open camera device {path} (busy, or no permission?)')
        if pixel_format:
            # before the size: many UVC cameras offer VGA at 30 fps only as MJPG, not YUYV
            self._capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*pixel_format))
        if width and height:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps > 0.0:
            self._capture.set(cv2.CAP_PROP_FPS, fps)
        reported_fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = reported_fps if reported_fps and reported_fps > 0.0 else (fps or 30.0)
        self.width, self.height = width, height
        self.description = f'camera device {path}'
        self._path = path

    def read(self) -> np.ndarray:
        ok, frame = self._capture.read()
        if not ok:
            raise SourceError(f'camera device {self._path} stopped delivering frames')
        # the driver may not offer the asked size; deliver what was configured
        return _resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), self.width, self.height)

    def close(self) -> None:
        self._capture.release()


def check_pixel_format(pixel_format: str) -> str:
    """A V4L2 FOURCC such as MJPG or YUYV, or '' for the driver's default; ValueError otherwise."""
    if not isinstance(pixel_format, str) or (pixel_format and (len(pixel_format) != 4 or not pixel_format.isascii()
                                                              or not pixel_format.isprintable())):
        raise ValueError(f'pixel_format must be a four-character code such as MJPG or YUYV, or empty; '
                         f'got {pixel_format!r}')
    return pixel_format


def _device_index(spec: str) -> int | None:
    spec = spec.strip()
    if spec.isdigit():
        return int(spec)
    match = _DEVICE_PATH.match(spec)
    return int(match.group(1)) if match else None


def open_source(spec: str, fps: float = 30.0, loop: bool = True, width: int = 0, height: int = 0,
                pixel_format: str = '') -> FrameSource:
    """Open the source `spec` names: device index or /dev/videoN, image folder, or video file.

    `pixel_format` (a FOURCC) applies to devices only.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError('source must be a device index, /dev/videoN, an image folder or a video file')
    if fps < 0.0:
        raise ValueError(f'fps must not be negative, got {fps}')
    check_pixel_format(pixel_format)
    if width < 0 or height < 0 or (width == 0) != (height == 0):
        raise ValueError(f'width and height must both be positive, or both 0 for native size; got {width}x{height}')
    index = _device_index(spec)
    if index is not None:
        return V4L2Source(index, fps=fps, width=width, height=height, pixel_format=pixel_format)
    path = Path(spec).expanduser()
    if path.is_dir():
        return ImageFolderSource(path, fps=fps, loop=loop, width=width, height=height)
    if path.is_file():
        return VideoFileSource(path, fps=fps, loop=loop, width=width, height=height)
    raise SourceError(f'source {spec} does not exist (expected a video file, an image folder or a camera device)')
