"""Posture on frames the simulator renders of the virtual patient, and `berntsen analyze`
on a short video made of such frames (no ROS graph)."""
import json
import random

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.slow

pytest.importorskip('mujoco')

from berntsen_sim import patient as P  # noqa: E402
from berntsen_sim import viewpoints as V  # noqa: E402
from berntsen_sim.world import (BedroomWorld, FreeCameraRenderer, HeadCameraRenderer,  # noqa: E402
                                patient_keypoints)
from berntsen_vision.analysis import AnalysisError, analyze, write_csv, write_json  # noqa: E402
from berntsen_vision.pose_estimator import LANDMARK_NAMES, PoseEstimator  # noqa: E402
from berntsen_vision.posture import Posture, PostureThresholds, classify_posture  # noqa: E402

WIDTH, HEIGHT = 640, 480
THRESHOLDS = PostureThresholds(floor_line=0.75)  # the pose node's default for the head camera
SCENES = {
    'standing': (P.joint_positions(P.STANDING_POSE), Posture.STANDING, False),
    'sitting_on_bed_edge': (P.joint_positions(P.SITTING_POSE), Posture.SITTING, False),
    'lying_in_bed': (P.lying_joint_positions(P.LYING_IN_BED_POSE), Posture.LYING, False),
    'lying_on_floor': (P.lying_joint_positions(P.LYING_ON_FLOOR_POSE), Posture.LYING, True),
}


@pytest.fixture(scope='module')
def rendered():
    world = BedroomWorld()
    renderer = HeadCameraRenderer(world.model, WIDTH, HEIGHT)
    images = {}
    try:
        for name, (joints, _, _) in SCENES.items():
            world.set_patient_joints(joints)
            world.step(1)
            images[name] = renderer.render(world.snapshot())
    finally:
        renderer.close()
    return images


@pytest.mark.parametrize('name', sorted(SCENES))
def test_posture_of_the_rendered_patient(rendered, name):
    _, expected, on_floor = SCENES[name]
    with PoseEstimator() as estimator:  # a few frames as video, as the pose node sees them
        results = [estimator.process(rendered[name], i / 15.0) for i in range(4)]
    assert all(r is not None for r in results), f'patient not found ({name})'
    estimates = [classify_posture(r, WIDTH / HEIGHT, THRESHOLDS) for r in results]
    assert [e.posture for e in estimates] == [expected] * 4, name
    assert [e.on_floor for e in estimates] == [on_floor] * 4, name


def _write_video(path, frames, fps):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


def test_analyze_a_rendered_video(rendered, tmp_path):
    # 3 s at 10 fps: sitting on the bed edge, then (a fall) on the floor, then an empty room
    empty = np.zeros_like(rendered['standing'])
    frames = [rendered['sitting_on_bed_edge']] * 12 + [rendered['lying_on_floor']] * 12 + [empty] * 6
    video = tmp_path / 'session.avi'
    _write_video(video, frames, 10.0)
    analysis = analyze(video)
    assert len(analysis.frames) == 30 and analysis.fps == pytest.approx(10.0)
    # BlazePose may miss the patient for a frame where they jump from the bed to the floor
    settled = [s.posture for s in analysis.timeline if s.end_s - s.start_s > 0.15]
    assert [p for i, p in enumerate(settled) if i == 0 or p != settled[i - 1]] == [
        'unknown', 'sitting', 'lying_on_floor', 'no_person']
    floor = next(s for s in analysis.timeline if s.posture == 'lying_on_floor')
    assert 1.2 <= floor.start_s <= 1.8 and floor.end_s == pytest.approx(2.4)

    write_csv(analysis, tmp_path / 'landmarks.csv')
    rows = (tmp_path / 'landmarks.csv').read_text().splitlines()
    assert len(rows) == 31 and rows[0].startswith(
        'frame,time_s,posture,frame_posture,nose_x,nose_y,nose_z,nose_visibility')
    assert rows[0].endswith('right_foot_index_world_x,right_foot_index_world_y,right_foot_index_world_z')
    assert len(rows[5].split(',')) == len(rows[0].split(',')) == 4 + 33 * 7
    assert rows[-1].split(',')[2:5] == ['no_person', 'no_person', '']
    write_json(analysis, tmp_path / 'landmarks.json')
    doc = json.loads((tmp_path / 'landmarks.json').read_text())
    assert doc['landmark_names'] == list(LANDMARK_NAMES)
    assert len(doc['frames'][5]['landmarks']) == 33 and doc['frames'][-1]['landmarks'] is None
    hips = np.array(doc['frames'][5]['world_landmarks'])[[23, 24]]
    assert np.abs(hips.mean(axis=0)).max() < 0.05   # world landmarks: metres around the hips
    assert doc['timeline'][-1]['posture'] == 'no_person'


@pytest.mark.parametrize('name', ['standing', 'sitting_on_bed_edge', 'lying_in_bed'])
def test_analyze_a_single_picture_gives_its_posture(rendered, tmp_path, name):
    picture = tmp_path / f'{name}.png'
    cv2.imwrite(str(picture), cv2.cvtColor(rendered[name], cv2.COLOR_RGB2BGR))
    analysis = analyze(picture)
    assert len(analysis.frames) == 1
    assert analysis.frames[0].posture == SCENES[name][1].name.lower()


def test_upright_finds_the_patient_lying_in_bed_seen_obliquely():
    # From 30 degrees off the foot of the bed she lies across the image, small: BlazePose
    # alone does not find her in 15 frames; turned upright, it does in most.
    import mujoco
    world = BedroomWorld()
    world.set_patient_joints(P.lying_joint_positions(P.LYING_IN_BED_POSE))
    mujoco.mj_forward(world.model, world.data)
    points = patient_keypoints(world.model, world.data, 1.0)
    viewpoint = V.sample_viewpoint(random.Random(1), points, True, 'oblique', 'whole_body')
    renderer = FreeCameraRenderer(world.model, WIDTH, HEIGHT)
    try:
        renderer.set_viewpoint(viewpoint, world.snapshot())
        image = renderer.render(world.snapshot())
    finally:
        renderer.close()
    found, last = {}, None
    for upright in (False, True):
        with PoseEstimator(upright=upright) as estimator:
            results = [estimator.process(image, i / 15.0) for i in range(15)]
        found[upright] = sum(r is not None for r in results)
        last = results[-1]
    assert found[True] >= 10 and found[False] < found[True], found
    # landmarks come back in the frame as given: she lies across it
    assert classify_posture(last, WIDTH / HEIGHT, THRESHOLDS).posture is Posture.LYING
