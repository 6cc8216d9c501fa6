"""QoS of the camera image topic, shared by the camera (publisher) and pose (subscriber) nodes."""
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

# Image QoS default: reliable, keep-last 2. Best-effort lost most VGA frames between
# processes on this machine (a frame is many fragments; one lost fragment drops it);
# reliable with a short queue delivers nearly all without letting a slow subscriber build
# a backlog (bench/camera_to_pose.py measures it). Overridable by parameters.
IMAGE_RELIABILITY = {'reliable': ReliabilityPolicy.RELIABLE, 'best_effort': ReliabilityPolicy.BEST_EFFORT}


def image_qos(reliability: str, depth: int) -> QoSProfile:
    if reliability not in IMAGE_RELIABILITY:
        raise ValueError(f'image reliability must be one of {sorted(IMAGE_RELIABILITY)}, got {reliability!r}')
    if depth < 1:
        raise ValueError(f'image queue depth must be at least 1, got {depth}')
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=IMAGE_RELIABILITY[reliability])
