"""The approach node's camera_info input and person_distance output, as small adapters.

`CameraInfoListener` turns camera/camera_info into the CameraModel distance estimates need
(None until a usable one arrived; a bad one is refused with the reason kept).
`PersonDistancePublisher` publishes sensor_msgs/Range in base_link, stamped like the
skeleton, for usable estimates of every tracked body: per frame the last one published is
the nearest person (the base guard keeps the robot off her).
"""
from __future__ import annotations

import math

from berntsen_interfaces.msg import Skeleton2D
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Range

from .approach import CameraModel, NearestPerFrame

# camera_info comes with every frame: a lost sample is replaced by the next; sensor-data QoS
# also matches a reliable publisher.
CAMERA_INFO_QOS = qos_profile_sensor_data
# A driver-style measurement stream: system-default QoS (REP 2003).
DISTANCE_QOS = 10
MAX_RANGE = 10.0                 # m; person_distance's max_range (BlazePose sees ~5 m)
BASE_FRAME = 'base_link'


class CameraInfoListener:
    def __init__(self, node: Node, *, mount_height: float, tilt_deg: float,
                 forward_offset: float):
        self.node = node
        self.mount = dict(mount_height=mount_height, tilt=math.radians(tilt_deg),
                          forward_offset=forward_offset)
        self.model: CameraModel | None = None
        self.problem = ''                  # why the last camera_info was refused
        node.create_subscription(CameraInfo, 'camera/camera_info', self._on_camera_info,
                                 CAMERA_INFO_QOS)

    def missing_text(self) -> str:
        if self.problem:
            return f'no usable camera/camera_info ({self.problem})'
        return 'no camera/camera_info yet'

    def _on_camera_info(self, msg: CameraInfo):
        fx, fy, cx, cy = msg.k[0], msg.k[4], msg.k[2], msg.k[5]
        try:
            camera = CameraModel(float(fx), float(fy), float(cx), float(cy), int(msg.width),
                                 int(msg.height), **self.mount)
        except ValueError as exc:
            self.problem = str(exc)
            self.node.get_logger().warning(f'camera_info unusable ({exc}); not driving on it',
                                           throttle_duration_sec=10.0)
            return
        if camera != self.model:
            self.node.get_logger().info(f'camera intrinsics: fx {fx:.1f} fy {fy:.1f} '
                                        f'cx {cx:.1f} cy {cy:.1f} ({msg.width}x{msg.height})')
        self.model, self.problem = camera, ''


class PersonDistancePublisher:
    def __init__(self, node: Node):
        self.node = node
        self._nearest = NearestPerFrame()
        self._pub = node.create_publisher(Range, 'person_distance', DISTANCE_QOS)

    def offer(self, skeleton: Skeleton2D, stamp: float, distance: float,
              camera: CameraModel) -> None:
        """One body's estimate in the frame stamped `stamp`; sent if nearest so far."""
        if not self._nearest.offer(stamp, distance) or not 0.0 <= distance <= MAX_RANGE:
            return   # beyond what a pose estimate can tell; nobody near enough to matter
        msg = Range(radiation_type=Range.INFRARED,   # Range has no kind for a camera estimate
                    field_of_view=float(camera.horizontal_fov),
                    min_range=0.0, max_range=MAX_RANGE, range=float(distance))
        msg.header.stamp = skeleton.header.stamp
        if msg.header.stamp.sec == 0 and msg.header.stamp.nanosec == 0:
            msg.header.stamp = self.node.get_clock().now().to_msg()
        msg.header.frame_id = BASE_FRAME
        self._pub.publish(msg)
