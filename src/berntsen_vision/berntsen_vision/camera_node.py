"""Camera node: publish frames of a V4L2 device, a video file, an image folder or another topic.

Publishes `camera/image_raw` (rgb8) and `camera/camera_info` (from a camera_calibration_parsers
YAML file when `calibration_file` is set, else a pinhole model from the image size and a
horizontal field of view), and `/diagnostics` (state, actual fps, dropped frames, errors).

Sources (`source` parameter): a device index or /dev/videoN (with width, height, fps and
pixel_format), a video file or image folder (played in real time or as fast as read, looped
or once), or `topic:<name>`, which republishes the images of another topic (the simulator's
camera, a bag being played) with camera_info added.

Frames are read in a capture thread (a device read blocks until the next frame), never on
the executor. A missing or failing source puts the node in an error state that it reports
and leaves by retrying with back-off, so a camera plugged in again, or a folder that
reappears, is picked up.
"""
from __future__ import annotations

import gc
import signal
import sys
import threading
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image

from .calibration import Calibration, load_calibration, pinhole_calibration
from .parameters import declare
from .qos import image_qos
from .sources import DropCounter, Pacer, SourceError, check_pixel_format, open_source

STATE_STARTING, STATE_STREAMING, STATE_ERROR, STATE_FINISHED = 'starting', 'streaming', 'error', 'finished'
TOPIC_PREFIX = 'topic:'


def camera_info_msg(calibration: Calibration, frame_id: str) -> CameraInfo:
    info = CameraInfo()
    info.header.frame_id = frame_id
    info.width, info.height = calibration.width, calibration.height
    info.distortion_model = calibration.distortion_model
    info.d = list(calibration.d)
    info.k = list(calibration.k)
    info.r = list(calibration.r)
    info.p = list(calibration.p)
    return info


def pinhole_camera_info(width: int, height: int, horizontal_fov_deg: float, frame_id: str) -> CameraInfo:
    """An ideal pinhole camera (no distortion, square pixels, centred principal point)."""
    return camera_info_msg(pinhole_calibration(width, height, horizontal_fov_deg), frame_id)


class CameraNode(Node):

    def __init__(self):
        super().__init__('camera')
        # set first: rclpy may call destroy_node() on a node whose constructor failed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # dynamic typing so that `-p source:=0` (an integer) names device 0 too
        self.source_spec = str(self.declare_parameter('source', '/dev/video0', ParameterDescriptor(
            description='Camera device (index or /dev/videoN), video file, image folder, '
                        'or topic:<name> to republish another Image topic',
            dynamic_typing=True)).value)
        self.fps = declare(
            self, 'fps', 30.0, 'Frame rate for files and folders, asked of devices; 0 = the video file\'s own rate',
            float_range=(0.0, 240.0))
        self.realtime = declare(self, 'realtime', True,
                                'Files and folders: publish at fps (true) or as fast as frames are read (false)')
        self.loop = declare(self, 'loop', True, 'Start a video file or image folder again at its end')
        self.frame_id = declare(self, 'frame_id', 'camera_optical_frame', 'frame_id of images and camera info')
        self.width = declare(self, 'width', 640, 'Image width in pixels; 0 with height 0 = native size',
                             int_range=(0, 7680))
        self.height = declare(self, 'height', 480, 'Image height in pixels; 0 with width 0 = native size',
                              int_range=(0, 4320))
        self.pixel_format = check_pixel_format(declare(
            self, 'pixel_format', '', 'V4L2 pixel format (FOURCC, e.g. MJPG, YUYV); empty = driver default'))
        self.horizontal_fov_deg = declare(
            self, 'horizontal_fov_deg', 60.0, 'Horizontal field of view for the default pinhole camera info',
            float_range=(1.0, 179.0))
        calibration_file = declare(self, 'calibration_file', '',
                                   'camera_calibration_parsers YAML for camera_info; empty = pinhole default')
        self.retry_initial_s = declare(self, 'retry_initial_s', 0.5, 'First wait before reopening a failed source',
                                       float_range=(0.01, 60.0))
        self.retry_max_s = declare(self, 'retry_max_s', 5.0, 'Longest wait between reopening attempts (back-off cap)',
                                   float_range=(0.01, 600.0))
        self.topic_timeout_s = declare(self, 'topic_timeout_s', 2.0,
                                       'topic: sources are in error after this long without an image',
                                       float_range=(0.1, 600.0))
        reliability = declare(self, 'qos_reliability', 'reliable',
                              'Image and camera_info reliability (choices: reliable, best_effort)')
        depth = declare(self, 'qos_depth', 2, 'Image and camera_info keep-last queue depth', int_range=(1, 100))
        qos = image_qos(reliability, depth)
        if (self.width == 0) != (self.height == 0):
            raise ValueError(f'width and height must both be positive or both 0, got {self.width}x{self.height}')
        if self.retry_max_s < self.retry_initial_s:
            raise ValueError('retry_max_s must not be smaller than retry_initial_s')
        # a broken calibration file is a configuration error: fail at start, not with wrong geometry
        self.calibration = load_calibration(calibration_file) if calibration_file else None

        self.image_pub = self.create_publisher(Image, 'camera/image_raw', qos)
        self.info_pub = self.create_publisher(CameraInfo, 'camera/camera_info', qos)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)

        self._lock = threading.Lock()
        self.state = STATE_STARTING
        self.last_error = ''
        self.frames_published = 0
        self.open_attempts = 0
        self._drops: DropCounter | None = None
        self._dropped_before = 0  # frames dropped by earlier openings of the source
        self._frames_at_last_report = 0
        self._last_report = time.monotonic()
        self._camera_info: CameraInfo | None = None

        if self.source_spec.startswith(TOPIC_PREFIX):
            self._start_passthrough(self.source_spec[len(TOPIC_PREFIX):], qos)
        else:
            self._thread = threading.Thread(target=self._capture_loop, name='camera_capture', daemon=True)
            self._thread.start()
        self.create_timer(1.0, self._publish_diagnostics)

    # --- topic passthrough -------------------------------------------------------------------
    def _start_passthrough(self, topic: str, qos) -> None:
        if not topic:
            raise ValueError('source topic: needs a topic name, e.g. topic:sim/camera/image_raw')
        self._source_topic = topic
        self._last_topic_image: float | None = None
        self._passthrough_since = time.monotonic()
        self._drops = DropCounter(self.fps if self.fps > 0.0 else 30.0)
        self.create_subscription(Image, topic, self._on_source_image, qos)
        self.create_timer(0.5, self._check_topic)

    def _on_source_image(self, msg: Image) -> None:
        now = time.monotonic()
        with self._lock:
            self._last_topic_image = now
        self._drops.frame(now)
        if self.state != STATE_STREAMING:
            self.get_logger().info(f'republishing images of {self.resolve_topic_name(self._source_topic)}')
            self._set_state(STATE_STREAMING)
        self._publish(msg)

    def _check_topic(self) -> None:
        with self._lock:
            last = self._last_topic_image
        silent_s = time.monotonic() - (last if last is not None else self._passthrough_since)
        if self.state != STATE_ERROR and silent_s > self.topic_timeout_s:
            message = f'no images on {self.resolve_topic_name(self._source_topic)} for {silent_s:.1f} s'
            self._set_state(STATE_ERROR, message)
            self.get_logger().error(message)
            self._drops.restart()  # a silent publisher is reported here, not as dropped frames

    # --- device, file and folder sources -----------------------------------------------------
    def _set_state(self, state: str, error: str = '') -> None:
        with self._lock:
            self.state, self.last_error = state, error

    def _capture_loop(self) -> None:
        delay = self.retry_initial_s
        while not self._stop.is_set():
            self.open_attempts += 1
            try:
                with open_source(self.source_spec, fps=self.fps, loop=self.loop, width=self.width,
                                 height=self.height, pixel_format=self.pixel_format) as source:
                    paced = source.paced or self.realtime
                    self.get_logger().info(
                        f'streaming {source.description} at ' +
                        (f'{source.fps:.1f} fps' if paced else 'the rate frames are read (realtime off)'))
                    self._set_state(STATE_STREAMING)
                    delay = self.retry_initial_s
                    self._stream(source)
                if not self._stop.is_set():
                    self._set_state(STATE_FINISHED)
                    self.get_logger().info(f'{self.source_spec} finished (loop is off); no more frames')
                    self._stop.wait()
                return
            except (SourceError, ValueError, OSError) as error:
                message = str(error)
            except Exception as error:  # cv2.error and decoder failures: report and retry like a lost source
                message = f'{type(error).__name__}: {error}'
            if self._stop.is_set() or not self.context.ok():
                return  # shutting down: publishing failed because the context is gone
            self._set_state(STATE_ERROR, message)
            self.get_logger().error(f'camera source failed: {message}; retrying in {delay:.1f} s')
            self._publish_diagnostics()
            self._stop.wait(delay)
            delay = min(delay * 2.0, self.retry_max_s)

    def _stream(self, source) -> None:
        pacer = None if source.paced or not self.realtime else Pacer(source.fps)
        drops = DropCounter(source.fps) if (source.paced or self.realtime) else None
        with self._lock:
            if self._drops is not None:
                self._dropped_before += self._drops.dropped
            self._drops = drops
        while not self._stop.is_set():
            if pacer is not None and not pacer.wait(self._stop):
                return
            frame = source.read()
            if frame is None:
                return
            if drops is not None:
                drops.frame(time.monotonic())
            self._publish(self._frame_msg(frame))

    def _frame_msg(self, frame) -> Image:
        height, width = frame.shape[:2]
        msg = Image()
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = self.frame_id
        msg.height, msg.width = height, width
        msg.encoding = 'rgb8'
        msg.is_bigendian = 0
        msg.step = width * 3
        msg.data = frame.tobytes()
        return msg

    # --- publishing --------------------------------------------------------------------------
    def _info_for(self, width: int, height: int) -> CameraInfo:
        info = self._camera_info
        if info is None or info.width != width or info.height != height:
            if self.calibration is not None:
                try:
                    calibration = self.calibration.scaled_to(width, height)
                except ValueError as error:
                    self.get_logger().warning(f'{error}; publishing the pinhole default instead',
                                              throttle_duration_sec=30.0)
                    calibration = pinhole_calibration(width, height, self.horizontal_fov_deg)
            else:
                calibration = pinhole_calibration(width, height, self.horizontal_fov_deg)
            info = self._camera_info = camera_info_msg(calibration, self.frame_id)
        return info

    def _publish(self, msg: Image) -> None:
        info = self._info_for(msg.width, msg.height)
        info.header.stamp = msg.header.stamp
        info.header.frame_id = msg.header.frame_id or self.frame_id
        self.image_pub.publish(msg)
        self.info_pub.publish(info)
        with self._lock:
            self.frames_published += 1

    def _publish_diagnostics(self) -> None:
        now = time.monotonic()
        with self._lock:
            state, error, published = self.state, self.last_error, self.frames_published
            dropped = self._dropped_before + (self._drops.dropped if self._drops is not None else 0)
            fps = (published - self._frames_at_last_report) / max(now - self._last_report, 1e-6)
            self._frames_at_last_report, self._last_report = published, now
        status = DiagnosticStatus()
        status.name = f'{self.get_name()}: camera'
        status.hardware_id = self.source_spec
        if state == STATE_ERROR:
            status.level, status.message = DiagnosticStatus.ERROR, f'source failed: {error}'
        elif state == STATE_FINISHED:
            status.level, status.message = DiagnosticStatus.WARN, 'source finished, no more frames'
        elif state == STATE_STARTING:
            status.level, status.message = DiagnosticStatus.WARN, 'opening source'
        else:
            status.level, status.message = DiagnosticStatus.OK, f'streaming at {fps:.1f} fps'
        status.values = [KeyValue(key=k, value=str(v)) for k, v in (
            ('state', state), ('fps', f'{fps:.2f}'), ('frames_published', published),
            ('frames_dropped', dropped), ('open_attempts', self.open_attempts), ('last_error', error),
            ('camera_info', 'calibration file' if self.calibration is not None else 'pinhole default'))]
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [status]
        self.diagnostics_pub.publish(array)

    def destroy_node(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        super().destroy_node()


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = CameraNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ParameterException, ValueError) as exc:
        if node is not None:
            raise
        # a bad parameter (e.g. a launch argument read as a number): one line, exit 1
        rclpy.logging.get_logger('camera_node').fatal(f'cannot start: {exc}')
        return 1
    except RuntimeError:
        # rclpy may fail to take a message that arrives while Ctrl-C shuts the context down
        # (seen under load; ros/joint_state_publisher#117); while still running it is real
        if rclpy.ok():
            raise
    finally:
        # ros2 launch forwards a second SIGINT while nodes clean up: let the cleanup finish
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if node is not None:
            node.destroy_node()
        else:
            # a node that failed half-way through __init__ is garbage: collected, it is not
            # destroyed by try_shutdown() (AttributeError on what its __init__ never set)
            gc.collect()
        rclpy.try_shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
