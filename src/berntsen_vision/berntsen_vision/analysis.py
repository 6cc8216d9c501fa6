"""Offline analysis of a recording: `berntsen analyze VIDEO`; no rclpy, no DDS.

Runs the camera node's video-file source, the pose node's BlazePose estimator and the
posture classifier with its debouncer over every frame of a video, as fast as they go, and
returns (and prints) a posture timeline; optionally writes the per-frame landmarks (in the
image and BlazePose's metric 3D world landmarks) as CSV and JSON. A single picture gets the
posture of its one frame (there is nothing to debounce). Frame times come from the file's frame rate (frame index / fps), so the
timeline is in video time whatever the processing speed.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from .body_tracking import BodyTracker
from .pose_estimator import LANDMARK_NAMES, PoseEstimator, PoseLandmarks
from .posture import Posture, PostureDebouncer, PostureEstimate, PostureThresholds, classify_posture
from .sources import SourceError, VideoFileSource

NO_PERSON = 'no_person'
ON_FLOOR = 'lying_on_floor'
PROGRESS_WIDTH = 30
# not on a terminal (a log, CI): one progress line this often (s)
PROGRESS_LINE_EVERY = 5.0


class AnalysisError(Exception):
    """The recording cannot be analysed (missing, not a video, no frames)."""


@dataclass(frozen=True)
class FrameResult:
    index: int
    time_s: float
    landmarks: np.ndarray | None  # (33, 4) image landmarks, or None when nobody was found
    posture: str                   # debounced: standing, sitting, lying, lying_on_floor, unknown, no_person
    world: np.ndarray | None = None  # (33, 4) world landmarks (m, around the hips), or None
    frame_posture: str = NO_PERSON   # this frame's own posture, before debouncing

    @property
    def pose(self) -> PoseLandmarks | None:
        return None if self.landmarks is None else PoseLandmarks(self.landmarks, self.world)


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    posture: str


@dataclass
class Analysis:
    video: str
    fps: float
    width: int
    height: int
    frames: list[FrameResult] = field(default_factory=list)

    @property
    def timeline(self) -> list[Segment]:
        """Runs of equal debounced posture; each ends where the next frame's time begins."""
        segments: list[Segment] = []
        period = 1.0 / self.fps
        for frame in self.frames:
            if segments and segments[-1].posture == frame.posture:
                segments[-1] = Segment(segments[-1].start_s, frame.time_s + period, frame.posture)
            else:
                segments.append(Segment(frame.time_s, frame.time_s + period, frame.posture))
        return segments


def posture_label(estimate: PostureEstimate) -> str:
    if estimate.posture == Posture.LYING and estimate.on_floor:
        return ON_FLOOR
    return estimate.posture.name.lower()


def analyze(video: str | Path, thresholds: PostureThresholds = PostureThresholds(floor_line=0.75),
            confirm_s: float = 0.5, confirm_frames: int = 3, grace_s: float = 0.5,
            progress: TextIO | None = None) -> Analysis:
    """Pose and posture of every frame of `video`; AnalysisError if it cannot be read.

    As in the pose node, the posture is debounced over `confirm_s` / `confirm_frames`, and a
    person missed for up to `grace_s` keeps their debounced posture (the frame itself reads
    no_person).

    `progress`: a stream to report progress on: a bar on a terminal, else a line every
    PROGRESS_LINE_EVERY seconds (a log shows the analysis is alive).
    """
    path = Path(video)
    if not path.is_file():
        raise AnalysisError(f'{path}: no such file')
    try:
        source = VideoFileSource(path, fps=0.0, loop=False)
    except SourceError as error:
        raise AnalysisError(str(error)) from None
    total = source.frame_count
    debouncer = PostureDebouncer(confirm_s, confirm_frames)
    tracker = BodyTracker(grace_s, new_id=lambda: 'body')
    report = _Progress(progress, total) if progress is not None else None
    result: Analysis | None = None
    with source, PoseEstimator(upright=True) as estimator:   # people lying down too
        index = 0
        while (rgb := source.read()) is not None:
            if result is None:
                result = Analysis(video=str(path), fps=source.fps, width=rgb.shape[1], height=rgb.shape[0])
            time_s = index / source.fps
            pose = estimator.process(rgb, time_s)
            if tracker.update(pose is not None, time_s) is None:
                debouncer.reset()
            if pose is None:
                result.frames.append(FrameResult(index, time_s, None, NO_PERSON))
            else:
                estimate = classify_posture(pose, rgb.shape[1] / rgb.shape[0], thresholds)
                result.frames.append(FrameResult(
                    index, time_s, pose.image, posture_label(debouncer.update(estimate, time_s)),
                    world=pose.world, frame_posture=posture_label(estimate)))
            index += 1
            if report is not None:
                report.frame(index)
    if report is not None:
        report.done(index)
    if result is None:
        raise AnalysisError(f'{path}: no frame could be decoded')
    if len(result.frames) == 1:   # a picture
        only = result.frames[0]
        result.frames[0] = FrameResult(only.index, only.time_s, only.landmarks, only.frame_posture,
                                       only.world, only.frame_posture)
    return result


class _Progress:
    """A bar redrawn in place on a terminal; elsewhere a line now and then."""

    def __init__(self, stream: TextIO, total: int):
        self.stream, self.total = stream, total
        self.terminal = stream.isatty()
        self.started = self.last_line = time.monotonic()

    def _text(self, done: int) -> str:
        if self.total > 0:
            return f'frame {done}/{self.total} ({min(1.0, done / self.total):.0%})'
        return f'frame {done}'

    def frame(self, done: int) -> None:
        if self.terminal:
            share = min(1.0, done / self.total) if self.total > 0 else 0.0
            filled = int(round(share * PROGRESS_WIDTH))
            self.stream.write(f'\r[{"#" * filled}{"." * (PROGRESS_WIDTH - filled)}] '
                              + self._text(done))
        elif time.monotonic() - self.last_line >= PROGRESS_LINE_EVERY:
            self.last_line = time.monotonic()
            self.stream.write(f'analysing: {self._text(done)}\n')
        else:
            return
        self.stream.flush()

    def done(self, frames: int) -> None:
        end = '\n' if self.terminal else ''
        self.stream.write(f'{end}analysed {frames} frame{"s" if frames != 1 else ""} in '
                          f'{time.monotonic() - self.started:.1f} s\n')
        self.stream.flush()


def format_timeline(analysis: Analysis) -> str:
    if len(analysis.frames) == 1:
        lines = [f'{analysis.video}: still image, {analysis.width}x{analysis.height}']
    else:
        lines = [f'{analysis.video}: {len(analysis.frames)} frames, '
                 f'{analysis.width}x{analysis.height} at {analysis.fps:.1f} fps']
    for segment in analysis.timeline:
        lines.append(f'{segment.start_s:8.2f} - {segment.end_s:8.2f} s  {segment.posture}')
    return '\n'.join(lines)


def write_csv(analysis: Analysis, path: str | Path) -> None:
    """One row per frame: frame, time_s, posture (debounced), frame_posture, then x, y, z,
    visibility per image landmark, then world_x, world_y, world_z (m) per landmark (empty:
    nobody)."""
    header = (['frame', 'time_s', 'posture', 'frame_posture']
              + [f'{name}_{axis}' for name in LANDMARK_NAMES for axis in ('x', 'y', 'z', 'visibility')]
              + [f'{name}_world_{axis}' for name in LANDMARK_NAMES for axis in ('x', 'y', 'z')])
    with open(path, 'w', newline='', encoding='utf-8') as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for frame in analysis.frames:
            if frame.landmarks is None:
                values = [''] * (7 * len(LANDMARK_NAMES))
            else:
                values = ([f'{v:.5f}' for v in frame.landmarks.reshape(-1)]
                          + [f'{v:.4f}' for v in frame.world[:, :3].reshape(-1)])
            writer.writerow([frame.index, f'{frame.time_s:.4f}', frame.posture, frame.frame_posture] + values)


def write_json(analysis: Analysis, path: str | Path, extra: dict | None = None) -> None:
    """The video's facts, the timeline and each frame's landmarks ([x, y, z, visibility] x 33
    or null) and world landmarks ([x, y, z] x 33 in metres, or null), plus `extra` top-level
    entries (e.g. a repetition count)."""
    doc = {
        'video': analysis.video, 'fps': analysis.fps, 'width': analysis.width, 'height': analysis.height,
        'landmark_names': list(LANDMARK_NAMES),
        'timeline': [{'start_s': round(s.start_s, 4), 'end_s': round(s.end_s, 4), 'posture': s.posture}
                     for s in analysis.timeline],
        'frames': [{'frame': f.index, 'time_s': round(f.time_s, 4), 'posture': f.posture,
                    'frame_posture': f.frame_posture,
                    'landmarks': None if f.landmarks is None else np.round(f.landmarks.astype(float), 5).tolist(),
                    'world_landmarks': None if f.world is None else np.round(f.world[:, :3].astype(float), 4).tolist()}
                   for f in analysis.frames],
        **(extra or {}),
    }
    with open(path, 'w', encoding='utf-8') as stream:
        json.dump(doc, stream, indent=1)


def write_outputs(analysis: Analysis, csv_path: str | None, json_path: str | None,
                  out: TextIO, extra: dict | None = None) -> None:
    """Write the files asked for and say where (OSError if one cannot be written)."""
    if csv_path:
        write_csv(analysis, csv_path)
        print(f'wrote per-frame landmarks (CSV) to {Path(csv_path).resolve()}', file=out)
    if json_path:
        write_json(analysis, json_path, extra)
        print(f'wrote the timeline and landmarks (JSON) to {Path(json_path).resolve()}', file=out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `berntsen analyze` options."""
    parser.add_argument('video', help='video file to analyse (anything OpenCV can decode)')
    parser.add_argument('--csv', metavar='FILE', help='write per-frame landmarks as CSV')
    parser.add_argument('--json', metavar='FILE', help='write the timeline and per-frame landmarks as JSON')
    parser.add_argument('--floor-line', type=float, default=0.75,
                        help='normalised image row below which a lying torso is on the floor '
                             '(default 0.75, the robot\'s head camera; >= 1 disables)')


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run `berntsen analyze` with parsed arguments; 0 on success, 1 with a message on error."""
    out = out or sys.stdout  # looked up per call, so a redirected sys.stdout is honoured
    err = err or sys.stderr
    if not (args.floor_line > 0.0 and math.isfinite(args.floor_line)):
        print(f'berntsen analyze: --floor-line must be positive, got {args.floor_line}', file=err)
        return 1
    try:
        analysis = analyze(args.video, PostureThresholds(floor_line=args.floor_line), progress=err)
        print(format_timeline(analysis), file=out)
        write_outputs(analysis, args.csv, args.json, out)
    except (AnalysisError, OSError) as error:
        print(f'berntsen analyze: {error}', file=err)
        return 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='berntsen analyze', description=__doc__.split('\n')[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
