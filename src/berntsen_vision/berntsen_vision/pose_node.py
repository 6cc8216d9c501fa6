"""Pose node: BlazePose on camera images, published as REP 155 bodies.

Subscribes `camera/image_raw`; publishes `/humans/bodies/tracked` (IdsList),
`/humans/bodies/<id>/skeleton2d` (Skeleton2D, stamped with the image's stamp: the image
landmarks and BlazePose's metric 3D world landmarks of the same frame),
`/humans/bodies/<id>/skeleton2d_smoothed` (the same, One Euro filtered, for counting),
`/humans/bodies/<id>/roi` (sensor_msgs/RegionOfInterest in pixels),
`/humans/bodies/<id>/posture` (BodyPosture, debounced; `on_floor` flags a possible fall),
`/diagnostics`, and with `publish_debug_image` `pose/debug_image` (the skeleton drawn).

Inference runs in a worker thread on the newest image only: the subscription callback puts
the image into a one-slot buffer (replacing, and counting as skipped, one not yet taken),
so a slow frame never builds a queue. All tracking state lives in that worker thread.
"""
from __future__ import annotations

import gc
import signal
import sys
import threading
import time

import rclpy
from berntsen_interfaces.msg import BodyPosture, IdsList, Landmark2D, Landmark3D, Skeleton2D
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from sensor_msgs.msg import Image, RegionOfInterest

from .body_geometry import body_roi, draw_skeleton
from .body_tracking import BodyTracker
from .image_conversion import image_to_rgb
from .pose_estimator import PoseEstimator
from .image_conversion import array_to_image
from .image_watch import FirstImageWatch
from .posture import PostureDebouncer, PostureThresholds, classify_posture
from .parameters import declare
from .qos import image_qos
from .smoothing import LandmarkSmoother

# Bodies and postures: small messages every processed frame; system default (reliable,
# depth 10) as REP 2003 asks of producers.
BODY_QOS = 10
# How often the worker wakes without images, to drop a body whose grace period ran out.
IDLE_CHECK_S = 0.1
# Diagnostics report "no images" after this long without one.
STALE_IMAGES_S = 2.0


class ImageLinkBroken(Exception):
    """The camera topic has a publisher but no image ever arrived (see image_watch.py)."""


class PoseNode(Node):

    def __init__(self):
        super().__init__('pose')
        # set first: rclpy may call destroy_node() on a node whose constructor failed
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.estimator: PoseEstimator | None = None
        min_detection = declare(self, 'min_detection_confidence', 0.5,
                                'BlazePose minimum person-detection confidence', (0.0, 1.0))
        min_tracking = declare(self, 'min_tracking_confidence', 0.5,
                               'BlazePose minimum landmark-tracking confidence before re-detecting', (0.0, 1.0))
        smooth = declare(self, 'smooth_landmarks', True, 'Filter landmarks across frames to reduce jitter')
        upright = declare(self, 'upright', True,
                          'Turn frames a quarter at a time so that a person lying across the '
                          'image (in bed, on the floor) stands upright for BlazePose')
        grace_s = declare(self, 'grace_period_s', 0.5,
                          'Keep a body id through misses up to this long; after, the next person gets a new id',
                          (0.0, 60.0))
        min_visibility = declare(self, 'min_visibility', 0.5,
                                 'Landmark visibility needed for the posture classifier to use it', (0.0, 1.0))
        confirm_s = declare(self, 'posture_confirm_s', 0.5,
                            'A new posture must hold this long before it is reported', (0.0, 10.0))
        confirm_frames = declare(self, 'posture_confirm_frames', 3,
                                 'A new posture must hold for this many frames before it is reported',
                                 int_range=(1, 100))
        floor_line = declare(
            self, 'floor_line', 0.75,
            'Normalised image row: a lying body whose torso reaches below it is on the floor (a possible '
            'fall). 0.75 suits the head camera (1.12 m high, 5 deg down, 2-3 m from the bed); >= 1 disables',
            (0.05, 2.0))
        min_cutoff = declare(self, 'smoothing_min_cutoff_hz', 1.0,
                             'One Euro filter cut-off at rest for skeleton2d_smoothed (lower = smoother)',
                             (0.01, 30.0))
        beta = declare(self, 'smoothing_beta', 5.0,
                       'One Euro filter speed coefficient (higher = less lag when moving)', (0.0, 1000.0))
        derivative_cutoff = declare(self, 'smoothing_derivative_cutoff_hz', 1.0,
                                    'One Euro filter cut-off of the speed estimate', (0.01, 30.0))
        self.publish_debug_image = declare(self, 'publish_debug_image', False,
                                           'Publish pose/debug_image: the camera image with the skeleton drawn')
        self.first_image_watch = FirstImageWatch(declare(
            self, 'first_image_timeout_s', 20.0,
            'Exit (for the supervisor to start the node again) when the image topic has had a '
            'publisher this long and not one image arrived; 0 waits for ever', (0.0, 3600.0)))
        self.warning_period_s = declare(self, 'warning_period_s', 5.0,
                                        'Repeat warnings about bad images at most this often', (0.1, 3600.0))

        # Image QoS default: reliable to match the camera (best-effort VGA frames are mostly
        # lost between processes); depth 1 because only the newest frame is worth processing.
        reliability = declare(self, 'qos_reliability', 'reliable',
                              'Image subscription reliability (choices: reliable, best_effort)')
        depth = declare(self, 'qos_depth', 1, 'Image subscription keep-last queue depth', int_range=(1, 100))
        qos = image_qos(reliability, depth)

        self.estimator = PoseEstimator(min_detection, min_tracking, smooth, upright)
        self.thresholds = PostureThresholds(min_visibility=min_visibility, floor_line=floor_line)
        self.smoother = LandmarkSmoother(min_cutoff, beta, derivative_cutoff, min_visibility)
        # BlazePose estimates every world landmark, seen or not; all are filtered
        self.world_smoother = LandmarkSmoother(min_cutoff, beta, derivative_cutoff, 0.0)
        self.tracker = BodyTracker(grace_s)
        self.debouncer = PostureDebouncer(confirm_s, confirm_frames)
        self._body_pubs: dict | None = None  # publishers of the tracked body's topics, by kind

        self.tracked_pub = self.create_publisher(IdsList, '/humans/bodies/tracked', BODY_QOS)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        # debug images are for a person looking: depth 1, a late one is worthless
        self.debug_pub = (self.create_publisher(Image, 'pose/debug_image', 1)
                          if self.publish_debug_image else None)
        self.create_subscription(Image, 'camera/image_raw', self._on_image, qos)

        self._lock = threading.Condition()
        self._pending: Image | None = None
        self.received = self.processed = self.skipped = self.corrupt = self.failed = 0
        self._last_image_time: float | None = None
        self._processing_times: list[float] = []
        self._processed_at_last_report = 0
        self._last_report = time.monotonic()

        self._worker = threading.Thread(target=self._work, name='pose_inference', daemon=True)
        self._worker.start()
        self.create_timer(1.0, self._publish_diagnostics)

    def _on_image(self, msg: Image) -> None:
        with self._lock:
            if self._pending is not None:
                self.skipped += 1
            self._pending = msg
            self.received += 1
            self._last_image_time = time.monotonic()
            self._lock.notify()

    def _work(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if self._pending is None:
                    self._lock.wait(IDLE_CHECK_S)
                msg, self._pending = self._pending, None
            if msg is None:
                if self.tracker.expire(time.monotonic()):
                    self._on_body_lost()
                    self._publish_tracked(self.get_clock().now().to_msg())
                continue
            try:
                self._process(msg)
            except Exception as error:  # keep the worker alive whatever one frame does
                if self._stop.is_set() or not self.context.ok():
                    return  # shutting down: publishing failed because the context is gone
                with self._lock:
                    self.failed += 1
                self.get_logger().error(f'pose processing failed: {type(error).__name__}: {error}',
                                        throttle_duration_sec=self.warning_period_s)

    def _process(self, msg: Image) -> None:
        started = time.monotonic()
        try:
            rgb = image_to_rgb(msg.encoding, msg.height, msg.width, msg.step, msg.data)
        except ValueError as error:
            with self._lock:
                self.corrupt += 1
            self.get_logger().warning(f'ignoring bad image on {self._image_topic()}: {error}',
                                      throttle_duration_sec=self.warning_period_s)
            return
        stamp_s = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        pose = self.estimator.process(rgb, stamp_s)
        landmarks = None if pose is None else pose.image
        if pose is None:
            self.get_logger().warning(f'no person in the images on {self._image_topic()}',
                                      throttle_duration_sec=self.warning_period_s)
        now = time.monotonic()
        previous_id = self.tracker.body_id
        body_id = self.tracker.update(landmarks is not None, now)
        if previous_id is not None and body_id != previous_id:
            self._on_body_lost()
        if pose is not None:
            estimate = classify_posture(pose, msg.width / msg.height, self.thresholds)
            posture = self.debouncer.update(estimate, now)
            smoothed = (self.smoother.update(pose.image, stamp_s),
                        self.world_smoother.update(pose.world, stamp_s))
            self._publish_body(msg, body_id, pose, smoothed, posture)
        self._publish_tracked(msg.header.stamp)
        if self.debug_pub is not None:
            self._publish_debug_image(msg, rgb, landmarks, body_id)
        with self._lock:
            self.processed += 1
            self._processing_times.append(time.monotonic() - started)

    def _image_topic(self) -> str:
        return self.resolve_topic_name('camera/image_raw')

    def _on_body_lost(self) -> None:
        self.debouncer.reset()
        self.smoother.reset()
        self.world_smoother.reset()
        if self._body_pubs is not None:
            for publisher in self._body_pubs.values():
                self.destroy_publisher(publisher)
            self._body_pubs = None

    def _publish_body(self, msg: Image, body_id: str, pose, smoothed, posture) -> None:
        if self._body_pubs is None:
            prefix = f'/humans/bodies/{body_id}'
            self._body_pubs = {
                'skeleton': self.create_publisher(Skeleton2D, f'{prefix}/skeleton2d', BODY_QOS),
                'smoothed': self.create_publisher(Skeleton2D, f'{prefix}/skeleton2d_smoothed', BODY_QOS),
                'roi': self.create_publisher(RegionOfInterest, f'{prefix}/roi', BODY_QOS),
                'posture': self.create_publisher(BodyPosture, f'{prefix}/posture', BODY_QOS)}
            self.get_logger().info(f'tracking body {body_id}')
        pubs = self._body_pubs
        pubs['skeleton'].publish(self._skeleton(msg, body_id, *pose))
        pubs['smoothed'].publish(self._skeleton(msg, body_id, *smoothed))
        box = body_roi(pose.image, msg.width, msg.height, self.thresholds.min_visibility)
        if box is not None:
            roi = RegionOfInterest()
            roi.x_offset, roi.y_offset, roi.width, roi.height = box
            pubs['roi'].publish(roi)
        posture_msg = BodyPosture()
        posture_msg.header = msg.header
        posture_msg.body_id = body_id
        posture_msg.posture = int(posture.posture)
        posture_msg.confidence = float(posture.confidence)
        posture_msg.on_floor = bool(posture.on_floor)
        pubs['posture'].publish(posture_msg)
        if posture.on_floor:
            self.get_logger().warning(f'body {body_id} is lying on the floor: possible fall',
                                      throttle_duration_sec=self.warning_period_s)

    @staticmethod
    def _skeleton(msg: Image, body_id: str, image_landmarks, world_landmarks) -> Skeleton2D:
        skeleton = Skeleton2D()
        skeleton.header = msg.header
        skeleton.body_id = body_id
        skeleton.image_width, skeleton.image_height = msg.width, msg.height
        skeleton.landmarks = [Landmark2D(x=float(x), y=float(y), z=float(z), visibility=float(v))
                              for x, y, z, v in image_landmarks]
        skeleton.world_landmarks = [Landmark3D(x=float(x), y=float(y), z=float(z), visibility=float(v))
                                    for x, y, z, v in world_landmarks]
        return skeleton

    def _publish_debug_image(self, msg: Image, rgb, landmarks, body_id) -> None:
        if landmarks is not None:
            label = f'{body_id} {self.debouncer.stable.posture.name.lower()}'
            if self.debouncer.stable.on_floor:
                label += ' ON FLOOR'
            rgb = draw_skeleton(rgb, landmarks, self.thresholds.min_visibility, label)
        fields = array_to_image(rgb, 'rgb8')
        image = Image()
        image.header = msg.header
        image.height, image.width, image.encoding, image.step = fields.height, fields.width, 'rgb8', fields.step
        image.data = fields.data
        self.debug_pub.publish(image)

    def _publish_tracked(self, stamp) -> None:
        tracked = IdsList()
        tracked.header.stamp = stamp
        tracked.ids = [self.tracker.body_id] if self.tracker.body_id is not None else []
        self.tracked_pub.publish(tracked)

    def _publish_diagnostics(self) -> None:
        now = time.monotonic()
        with self._lock:
            times, self._processing_times = self._processing_times, []
            received, processed, skipped = self.received, self.processed, self.skipped
            corrupt, failed, last_image = self.corrupt, self.failed, self._last_image_time
            fps = (processed - self._processed_at_last_report) / max(now - self._last_report, 1e-6)
            self._processed_at_last_report, self._last_report = processed, now
        body_id = self.tracker.body_id
        status = DiagnosticStatus()
        status.name = f'{self.get_name()}: pose'
        status.hardware_id = 'mediapipe_blazepose_full'
        if last_image is None or now - last_image > STALE_IMAGES_S:
            status.level, status.message = DiagnosticStatus.WARN, f'no images on {self._image_topic()}'
        elif body_id is None:
            status.level, status.message = DiagnosticStatus.WARN, 'no person in view'
        else:
            status.level, status.message = DiagnosticStatus.OK, f'tracking body {body_id} at {fps:.1f} fps'
        mean_ms = 1000.0 * sum(times) / len(times) if times else 0.0
        max_ms = 1000.0 * max(times) if times else 0.0
        status.values = [KeyValue(key=k, value=str(v)) for k, v in (
            ('processing_ms_mean', f'{mean_ms:.1f}'), ('processing_ms_max', f'{max_ms:.1f}'),
            ('processed_fps', f'{fps:.2f}'), ('images_received', received), ('images_processed', processed),
            ('images_skipped', skipped), ('images_corrupt', corrupt), ('processing_failures', failed),
            ('tracked_body', body_id or ''))]
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [status]
        self.diagnostics_pub.publish(array)
        waited = self.first_image_watch.waited(now, self.count_publishers(self._image_topic()), received)
        if waited is not None:
            raise ImageLinkBroken(
                f'{self._image_topic()} has had a publisher for {waited:.0f} s and not one image '
                'arrived (a broken DDS link, or QoS that do not match); exiting so that the '
                'supervisor starts this node again')

    def destroy_node(self):
        self._stop.set()
        if self._worker is not None:
            with self._lock:
                self._lock.notify()
            self._worker.join(timeout=5.0)
        if self.estimator is not None:
            self.estimator.close()
        super().destroy_node()


def main(args=None):
    rclpy.init(args=args)
    node = None
    try:
        node = PoseNode()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except ImageLinkBroken as exc:
        node.get_logger().fatal(str(exc))
        return 1
    except (ParameterException, ValueError) as exc:
        if node is not None:
            raise
        # a bad parameter (e.g. a launch argument read as a number): one line, exit 1
        rclpy.logging.get_logger('pose_node').fatal(f'cannot start: {exc}')
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
