"""`berntsen analyze VIDEO --exercise NAME` on a video of the virtual patient: the count
from the recording equals the number of repetitions the patient really did."""
import json

import pytest

pytestmark = pytest.mark.slow

cv2 = pytest.importorskip('cv2')
pytest.importorskip('mujoco')

from berntsen_bringup.cli import main  # noqa: E402
from berntsen_sim.patient import VirtualPatient  # noqa: E402
from berntsen_sim.world import BedroomWorld, HeadCameraRenderer  # noqa: E402

FPS = 15.0


def render_arm_raises(path, repetitions):
    """A video of the standing patient doing `repetitions` arm raises; returns the truth."""
    world, patient = BedroomWorld(), VirtualPatient('cooperative', seed=3)
    renderer = HeadCameraRenderer(world.model, 640, 480)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), FPS, (640, 480))
    try:
        patient.state(0.0)
        patient.hear(0.0, 'Reis deg opp.', 'nb', finished=True)
        t, state = 0.0, patient.state(0.0)
        while state.posture != 'standing':
            t += 0.5
            state = patient.state(t)
        patient.perform(t, 'arm_raise', repetitions)
        end = None
        while end is None or t < end:
            state = patient.state(t)
            if end is None and state.repetitions == repetitions:
                end = t + 1.0   # a moment of rest after the last one
            world.set_patient_joints(state.joints)
            world.step(1)
            writer.write(cv2.cvtColor(renderer.render(world.snapshot()), cv2.COLOR_RGB2BGR))
            t += 1.0 / FPS
    finally:
        writer.release()
        renderer.close()
    return state.repetitions


def test_counts_the_arm_raises_in_a_recording(tmp_path, capsys):
    video = tmp_path / 'arm_raises.avi'
    truth = render_arm_raises(video, 3)
    out = tmp_path / 'analysis.json'
    assert main(['analyze', str(video), '--exercise', 'arm_raise', '--json', str(out)]) == 0
    printed = capsys.readouterr()
    assert f'arm_raise: {truth} repetitions' in printed.out
    assert f'wrote the timeline and landmarks (JSON) to {out}' in printed.out
    assert 'analysed ' in printed.err and ' frames in ' in printed.err   # not a terminal
    count = json.loads(out.read_text())['count']
    assert count['count'] == truth == 3
    assert [r['number'] for r in count['repetitions']] == [1, 2, 3]


def test_unknown_exercise_is_refused(tmp_path, capsys):
    assert main(['analyze', str(tmp_path / 'x.avi'), '--exercise', 'cartwheel']) == 1
    assert "unknown exercise 'cartwheel'" in capsys.readouterr().err


def test_a_still_image_is_called_one_and_its_files_are_named(tmp_path, capsys):
    from berntsen_vision.sample_images import grace_hopper_frame
    picture = tmp_path / 'portrait.png'
    cv2.imwrite(str(picture), cv2.cvtColor(grace_hopper_frame(), cv2.COLOR_RGB2BGR))
    csv = tmp_path / 'portrait.csv'
    assert main(['analyze', str(picture), '--csv', str(csv)]) == 0
    out = capsys.readouterr().out
    assert f'{picture}: still image, 640x480' in out
    assert f'wrote per-frame landmarks (CSV) to {csv}' in out and csv.exists()
