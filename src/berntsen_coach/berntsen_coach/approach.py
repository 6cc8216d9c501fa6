"""Driving up to the person: a distance estimate from one 2D skeleton, and the controller
that turns, drives and stops at a configured distance (no ROS imports).

Frames (REP 103): the robot base frame has x forward, y left, z up, its origin at the base
centre on the floor. The head camera sits `forward_offset` m ahead of the base centre at
`height` m above the floor, looking along base x and tilted `tilt` rad down; its image has
the usual pinhole intrinsics (fx, fy, cx, cy) in pixels.

Estimating the distance (`estimate_person`). A single image gives no depth, so three cues
are computed where the landmarks allow, each a horizontal distance from the base centre to
the person's pelvis (hip-joint centre):
  feet   the ankles and heels intersected with the floor (each landmark at its known
         height above the sole). If the hips, placed right above the feet, would be at
         least `standing_hip_height` high, the person stands and the pelvis is above the
         feet; otherwise (sitting) the pelvis is at least `feet_ahead_of_pelvis` behind
         them (feet tucked in under the bed edge) and usually more (0.3-0.6 m), and the cue
         is the feet distance plus that least offset: never beyond the pelvis. Feet that are not on the floor
         (a person lying in bed) project far beyond the person; the minimum discards them.
  shoulders  the angle the shoulder line subtends, against a shoulder width prior;
  torso  the angle from mid-shoulder to mid-hip, against a shoulder-to-hip prior.
A body turned or leaning away from the camera looks smaller than it is, so the size cues
err on the far side from foreshortening; the estimate is the smallest cue (an error on
the near side makes the robot stop early, never late). The bearing comes from the torso
centre's image column (+ = left of the robot's heading).

The controller (`ApproachController`) is fed timestamped estimates and asked every tick
for a command; see its docstring.
"""
from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field

# BlazePose landmark indices (Skeleton2D constants)
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_HIP, RIGHT_HIP = 23, 24
# foot landmark → its height (m) above the floor when the foot is flat on it. Ankles and
# heels are below a standing person's hips; the toes (31, 32) are not, so they are not used.
FOOT_LANDMARKS = {27: 0.08, 28: 0.08,      # ankles
                  29: 0.03, 30: 0.03}      # heels
NUM_LANDMARKS = 33

SHOULDER_WIDTH = 0.38      # m, adult biacromial breadth (priors; override in BodyPriors)
SHOULDER_TO_HIP = 0.47     # m, mid-shoulder to mid-hip (hip-joint centres)


def _finite(name: str, value, low: float | None = None, high: float | None = None,
            low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f'{name} must be a finite number, got {value!r}')
    value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f'{name} must be {">" if low_open else ">="} {low:g}, got {value:g}')
    if high is not None and value > high:
        raise ValueError(f'{name} must be <= {high:g}, got {value:g}')
    return value


@dataclass(frozen=True)
class CameraModel:
    """Pinhole intrinsics (pixels) and where the camera is on the robot."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    mount_height: float = 1.12       # m above the floor
    tilt: float = math.radians(5.0)  # rad, downwards
    forward_offset: float = 0.035    # m ahead of the base centre

    def __post_init__(self):
        for name in ('fx', 'fy'):
            _finite(name, getattr(self, name), 0.0, low_open=True)
        for name in ('cx', 'cy', 'forward_offset'):
            _finite(name, getattr(self, name))
        for name in ('width', 'height'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        _finite('mount_height', self.mount_height, 0.2, 3.0)
        _finite('tilt', self.tilt, math.radians(-30.0), math.radians(60.0))

    @classmethod
    def from_fov(cls, hfov: float, width: int, height: int, **mounting) -> CameraModel:
        """Square pixels, principal point at the image centre, horizontal field of view (rad)."""
        _finite('hfov', hfov, 0.0, math.pi, low_open=True)
        if hfov >= math.pi:
            raise ValueError('hfov must be below pi')
        f = 0.5 * width / math.tan(0.5 * hfov)
        return cls(f, f, (width - 1) / 2.0, (height - 1) / 2.0, width, height, **mounting)

    @property
    def horizontal_fov(self) -> float:
        """Horizontal field of view (rad) the image covers."""
        return 2.0 * math.atan(0.5 * self.width / self.fx)

    def ray(self, x_norm: float, y_norm: float) -> tuple[float, float, float]:
        """Unit ray (base frame axes) through a point in normalised image coordinates."""
        u, v = x_norm * self.width, y_norm * self.height
        right, down = (u - self.cx) / self.fx, (v - self.cy) / self.fy
        forward, left, up = 1.0, -right, -down
        c, s = math.cos(self.tilt), math.sin(self.tilt)
        x, z = forward * c + up * s, -forward * s + up * c
        norm = math.sqrt(x * x + left * left + z * z)
        return x / norm, left / norm, z / norm


@dataclass(frozen=True)
class BodyPriors:
    shoulder_width: float = SHOULDER_WIDTH
    shoulder_to_hip: float = SHOULDER_TO_HIP
    min_visibility: float = 0.5
    standing_hip_height: float = 0.75   # m; hips above the feet at least this high: standing
    feet_ahead_of_pelvis: float = 0.15  # m; least a seated person's feet are ahead of the hips

    def __post_init__(self):
        _finite('shoulder_width', self.shoulder_width, 0.1, 1.0)
        _finite('shoulder_to_hip', self.shoulder_to_hip, 0.1, 1.0)
        _finite('standing_hip_height', self.standing_hip_height, 0.3, 1.5)
        _finite('feet_ahead_of_pelvis', self.feet_ahead_of_pelvis, 0.0, 1.0)
        _finite('min_visibility', self.min_visibility, 0.0, 1.0)


@dataclass(frozen=True)
class PersonEstimate:
    """Where the person is: horizontal distance (m) from the base centre and bearing (rad, +
    = left); `cues` holds each cue's distance (feet, shoulders, torso) that could be made."""

    distance: float
    bearing: float
    cues: dict = field(default_factory=dict)


def _check_landmarks(landmarks) -> list[tuple[float, float, float]]:
    try:
        points = [(float(x), float(y), float(v)) for x, y, v in landmarks]
    except (TypeError, ValueError) as exc:
        raise ValueError(f'landmarks must be (x, y, visibility) triples: {exc}') from None
    if len(points) != NUM_LANDMARKS:
        raise ValueError(f'expected {NUM_LANDMARKS} landmarks, got {len(points)}')
    return points


def _angle(a, b) -> float:
    dot = max(-1.0, min(1.0, a[0] * b[0] + a[1] * b[1] + a[2] * b[2]))
    return math.acos(dot)


def _size_cue(camera: CameraModel, p, q, length: float, offset: float):
    """Horizontal distance from the base centre to the midpoint of a body segment of known
    length whose ends project to p and q, or None if the segment is degenerate."""
    ray_p, ray_q = camera.ray(p[0], p[1]), camera.ray(q[0], q[1])
    alpha = _angle(ray_p, ray_q)
    if alpha < 1e-4:
        return None
    mid = camera.ray((p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0)
    slant = length / (2.0 * math.tan(alpha / 2.0))
    horizontal = slant * math.hypot(mid[0], mid[1])
    azimuth = math.atan2(mid[1], mid[0])
    return math.hypot(offset + horizontal * math.cos(azimuth), horizontal * math.sin(azimuth))


def estimate_person(landmarks, camera: CameraModel,
                    priors: BodyPriors = BodyPriors()) -> PersonEstimate | None:
    """Distance and bearing of a person from 33 (x, y, visibility) normalised landmarks.

    None when not even the shoulders or hips are seen well enough for a bearing, or when no
    cue can be made. Raises ValueError on malformed landmarks.
    """
    if not isinstance(camera, CameraModel):
        raise TypeError(f'camera must be a CameraModel, got {type(camera).__name__}')
    points = _check_landmarks(landmarks)
    seen = [p[2] >= priors.min_visibility and math.isfinite(p[0]) and math.isfinite(p[1])
            for p in points]
    offset = camera.forward_offset

    def mid(a, b):
        if seen[a] and seen[b]:
            return ((points[a][0] + points[b][0]) / 2.0, (points[a][1] + points[b][1]) / 2.0)
        return None

    shoulders, hips = mid(LEFT_SHOULDER, RIGHT_SHOULDER), mid(LEFT_HIP, RIGHT_HIP)
    centre_points = [p for p in (shoulders, hips) if p is not None]
    if not centre_points:
        return None
    centre_x = sum(p[0] for p in centre_points) / len(centre_points)
    centre_y = sum(p[1] for p in centre_points) / len(centre_points)

    cues: dict[str, float] = {}
    feet = []
    for index, height_above_floor in FOOT_LANDMARKS.items():
        if not seen[index]:
            continue
        ray = camera.ray(points[index][0], points[index][1])
        drop = camera.mount_height - height_above_floor
        if ray[2] >= -1e-3:
            continue   # at or above the horizon: not a point on the floor
        t = drop / -ray[2]
        feet.append((offset + t * ray[0], t * ray[1]))
    if feet:
        fx = sum(p[0] for p in feet) / len(feet)
        fy = sum(p[1] for p in feet) / len(feet)
        feet_distance = math.hypot(fx, fy)
        standing = False
        if hips is not None:
            # height of the hip ray where it passes above the feet
            ray = camera.ray(*hips)
            along = math.hypot(fx - offset, fy) / math.hypot(ray[0], ray[1])
            standing = camera.mount_height + along * ray[2] >= priors.standing_hip_height
        cues['feet'] = feet_distance + (0.0 if standing else priors.feet_ahead_of_pelvis)
    if seen[LEFT_SHOULDER] and seen[RIGHT_SHOULDER]:
        d = _size_cue(camera, points[LEFT_SHOULDER], points[RIGHT_SHOULDER],
                      priors.shoulder_width, offset)
        if d is not None:
            cues['shoulders'] = d
    if shoulders is not None and hips is not None:
        d = _size_cue(camera, shoulders, hips, priors.shoulder_to_hip, offset)
        if d is not None:
            cues['torso'] = d
    if not cues:
        return None
    distance = min(cues.values())
    centre = camera.ray(centre_x, centre_y)
    # bearing from the base centre to the torso, at the estimated distance
    horizontal = math.hypot(centre[0], centre[1])
    ux, uy = centre[0] / horizontal, centre[1] / horizontal
    # point on the torso ray at `distance` from the base centre (camera ahead by offset)
    b = offset * ux
    along = -b + math.sqrt(max(0.0, b * b - offset * offset + distance * distance))
    bearing = math.atan2(along * uy, offset + along * ux)
    return PersonEstimate(distance=distance, bearing=bearing, cues=cues)


# ---- the controller -----------------------------------------------------------------------

WAITING = 'waiting'       # nobody seen yet; standing still
TURNING = 'turning'       # turning towards the person
DRIVING = 'driving'
LOST = 'lost'             # the person was seen, but no fresh estimate: standing still
SEARCHING = 'searching'   # nobody seen for a while: turning slowly in place
ARRIVED = 'arrived'
FAILED = 'failed'
FINAL = frozenset({ARRIVED, FAILED})
SMOOTHING_WINDOW = 2.0    # s; older estimates leave the median even if fewer are left


# Stop distances a goal may ask for (m): nearer, the robot would be within reach of the
# person (and the base guard's minimum distance); farther, the pose estimate is too coarse.
STOP_DISTANCE_RANGE = (1.0, 4.0)


def check_stop_distance(value) -> float:
    """A goal's stop distance (m), or ValueError saying what is wrong with it."""
    low, high = STOP_DISTANCE_RANGE
    return _finite('stop distance', value, low, high)


@dataclass(frozen=True)
class ApproachSettings:
    stop_distance: float = 2.2        # m from the base centre to the person
    tolerance: float = 0.05           # m; arrived within stop_distance + tolerance
    max_speed: float = 0.25           # m/s forward
    min_speed: float = 0.05           # m/s; slower than this the base barely moves
    slow_down_distance: float = 0.8   # m before the goal where the speed starts to drop
    max_turn_rate: float = 0.5        # rad/s
    turn_gain: float = 1.0            # rad/s per rad of bearing
    facing_tolerance: float = math.radians(12.0)   # rad; drive only when facing this well
    fresh_for: float = 0.5            # s an estimate may be old and still allow driving
    search_after: float = 3.0         # s without anybody seen before searching
    search_turn_rate: float = 0.3     # rad/s
    search_margin: float = 0.5        # m beyond stop_distance within which it never searches
    smoothing: int = 5                # estimates in the median that decides arrival
    timeout: float = 120.0            # s from the start before giving up
    max_travel: float = 5.0           # m of travel (odometry) before giving up

    def __post_init__(self):
        _finite('stop_distance', self.stop_distance, 0.5, 10.0)
        _finite('tolerance', self.tolerance, 0.01, 1.0)
        _finite('max_speed', self.max_speed, 0.0, 1.0, low_open=True)
        _finite('min_speed', self.min_speed, 0.0, self.max_speed)
        _finite('slow_down_distance', self.slow_down_distance, 0.0, 5.0, low_open=True)
        _finite('max_turn_rate', self.max_turn_rate, 0.0, 2.0, low_open=True)
        _finite('turn_gain', self.turn_gain, 0.0, 10.0, low_open=True)
        _finite('facing_tolerance', self.facing_tolerance, 0.0, math.radians(45.0),
                low_open=True)
        _finite('fresh_for', self.fresh_for, 0.0, 2.0, low_open=True)
        _finite('search_after', self.search_after, 0.0, 60.0)
        _finite('search_margin', self.search_margin, 0.0, 5.0)
        _finite('search_turn_rate', self.search_turn_rate, 0.0, self.max_turn_rate,
                low_open=True)
        _finite('timeout', self.timeout, 0.0, 3600.0, low_open=True)
        _finite('max_travel', self.max_travel, 0.0, 50.0, low_open=True)
        if isinstance(self.smoothing, bool) or not isinstance(self.smoothing, int) \
                or not 1 <= self.smoothing <= 30:
            raise ValueError(f'smoothing must be an int in 1..30, got {self.smoothing!r}')


@dataclass(frozen=True)
class ApproachCommand:
    linear: float          # m/s, + forward
    angular: float         # rad/s, + left (counter-clockwise)
    status: str
    reason: str = ''       # why it failed
    distance: float | None = None   # smoothed distance estimate (m), when there is one


class ApproachController:
    """Turn towards the person, drive up to `stop_distance`, stop.

    Call `add_estimate(t, estimate)` for every skeleton (None: the frame showed nobody
    usable) and `update(now, travelled)` every tick (travelled: m driven since the start,
    from odometry); send the returned command. The rules:
      - forward motion only from a fresh estimate (at most `fresh_for` s old) that is
        farther than stop_distance + tolerance, taken as the smaller of the newest and the
        median of the last `smoothing` ones, and only while the person is within
        `facing_tolerance` of straight ahead; otherwise it turns in place towards them;
      - speed falls in proportion to the distance left over the last `slow_down_distance`;
      - `arrived` once that distance is within stop_distance + tolerance (or closer) and
        the robot faces the person. Closer than stop_distance it does not back away: the
        camera looks forward only, so reversing would be blind, and a person who walks up to
        the robot is not in danger from a robot that stands still;
      - nobody fresh: zero command (`lost`, or `waiting` before anybody was seen); after
        `search_after` s without anybody seen, turns slowly in place (`searching`), towards
        the side the person was last seen on - but not when she was last seen within
        `search_margin` of stop_distance: a person lost from view that close may have come
        up to the robot, even be leaning on it, and it must not turn under her hand;
      - `failed` (with a reason) after `timeout` s or `max_travel` m; `stop(reason)` fails it
        at once (an e-stop). arrived and failed are final: zero commands from then on.
    """

    def __init__(self, settings: ApproachSettings, start: float):
        if not isinstance(settings, ApproachSettings):
            raise TypeError(f'settings must be ApproachSettings, got {type(settings).__name__}')
        self.settings = settings
        self.start = _finite('start', start)
        self._recent: deque[tuple[float, PersonEstimate]] = deque(maxlen=settings.smoothing)
        self._last_seen: float | None = None
        self._search_direction = 1.0
        self._final: ApproachCommand | None = None

    @property
    def finished(self) -> bool:
        return self._final is not None

    def add_estimate(self, t: float, estimate: PersonEstimate | None) -> None:
        t = _finite('estimate time', t)
        if estimate is None:
            return
        if not isinstance(estimate, PersonEstimate):
            raise TypeError(f'estimate must be a PersonEstimate, got {type(estimate).__name__}')
        if self._recent and t < self._recent[-1][0]:
            return   # out of order: the newer one stands
        self._recent.append((t, estimate))
        self._last_seen = t
        if estimate.bearing:
            self._search_direction = math.copysign(1.0, estimate.bearing)

    def stop(self, reason: str) -> ApproachCommand:
        """End the approach now (e-stop, operator): failed with this reason."""
        if self._final is None:
            self._final = ApproachCommand(0.0, 0.0, FAILED, reason=reason,
                                          distance=self._smoothed_distance())
        return self._final

    def update(self, now: float, travelled: float = 0.0) -> ApproachCommand:
        now = _finite('now', now)
        travelled = _finite('travelled', travelled, 0.0)
        if self._final is not None:
            return self._final
        s = self.settings
        if now - self.start >= s.timeout:
            return self.stop(f'not arrived within {s.timeout:g} s')
        if travelled >= s.max_travel:
            return self.stop(f'travelled {travelled:.2f} m without arriving '
                             f'(max_travel {s.max_travel:g} m)')
        newest = self._recent[-1] if self._recent else None
        fresh = newest is not None and 0.0 <= now - newest[0] <= s.fresh_for + 1e-9
        if not fresh:
            since = now - (self._last_seen if self._last_seen is not None else self.start)
            last = self._recent[-1][1].distance if self._recent else math.inf
            if since >= s.search_after and last > s.stop_distance + s.search_margin:
                return ApproachCommand(0.0, self._search_direction * s.search_turn_rate,
                                       SEARCHING)
            return ApproachCommand(0.0, 0.0, LOST if self._last_seen is not None else WAITING)
        estimate = newest[1]
        distance = min(estimate.distance, self._smoothed_distance())
        bearing = estimate.bearing
        angular = max(-s.max_turn_rate, min(s.max_turn_rate, s.turn_gain * bearing))
        facing = abs(bearing) <= s.facing_tolerance
        left = distance - s.stop_distance
        if left <= s.tolerance:
            if facing:
                self._final = ApproachCommand(0.0, 0.0, ARRIVED, distance=distance)
                return self._final
            return ApproachCommand(0.0, angular, TURNING, distance=distance)
        if not facing:
            return ApproachCommand(0.0, angular, TURNING, distance=distance)
        linear = max(s.min_speed, s.max_speed * min(1.0, left / s.slow_down_distance))
        return ApproachCommand(linear, angular, DRIVING, distance=distance)

    def _smoothed_distance(self) -> float | None:
        if not self._recent:
            return None
        newest = self._recent[-1][0]
        return statistics.median(e.distance for t, e in self._recent
                                 if newest - t <= SMOOTHING_WINDOW)


class TravelMeter:
    """Metres driven, summed from successive odometry positions (the controller's max_travel).

    The first position only sets the reference; a non-finite one raises ValueError and is
    not used, so one bad message neither adds a jump nor resets the sum.
    """

    def __init__(self):
        self.travelled = 0.0
        self._last: tuple[float, float] | None = None

    def add(self, x: float, y: float) -> float:
        x, y = _finite('odometry x', x), _finite('odometry y', y)
        if self._last is not None:
            self.travelled += math.hypot(x - self._last[0], y - self._last[1])
        self._last = (x, y)
        return self.travelled


class NearestPerFrame:
    """Which distance estimates to publish so that a reader keeping only the newest one per
    stamp ends up with the nearest person of each camera frame.

    Every body tracked in one frame carries that frame's stamp; their estimates arrive one by
    one in any order. Publish an estimate when it is of a newer frame, or of the same frame
    and nearer than the one published; skip a farther one of the same frame (it would hide
    the nearer person) and any of an older frame.
    """

    def __init__(self):
        self._stamp: float | None = None
        self._distance = math.inf

    def offer(self, stamp: float, distance: float) -> bool:
        stamp, distance = _finite('stamp', stamp), _finite('distance', distance, 0.0)
        if self._stamp is not None and (stamp < self._stamp or
                                        (stamp == self._stamp and distance >= self._distance)):
            return False
        self._stamp, self._distance = stamp, distance
        return True
