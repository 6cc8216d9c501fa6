"""The Gazebo files (gazebo/): the URDF is valid and matches the MuJoCo robot, the world has
its furniture, the bridge maps exactly our five topics. Gazebo itself does not run here."""
import importlib
import math
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from berntsen_sim.world import WHEEL_RADIUS, WHEEL_SEPARATION

PACKAGE_DIR = Path(__file__).resolve().parent.parent
GAZEBO_DIR = PACKAGE_DIR / 'gazebo'
URDF = GAZEBO_DIR / 'berntsen.urdf'
MUJOCO_WORLD = PACKAGE_DIR / 'berntsen_sim' / 'assets' / 'bedroom.xml'

# ROS topic → (ROS type, direction), as the graph and the bridge must agree
BRIDGED = {
    'camera/image_raw': ('sensor_msgs/msg/Image', 'GZ_TO_ROS'),
    'camera/camera_info': ('sensor_msgs/msg/CameraInfo', 'GZ_TO_ROS'),
    # only the motor node's gazebo backend publishes it, behind the base guard: nothing
    # else reaches Gazebo's DiffDrive
    'gazebo/cmd_vel': ('geometry_msgs/msg/Twist', 'ROS_TO_GZ'),
    'odom': ('nav_msgs/msg/Odometry', 'GZ_TO_ROS'),
    '/clock': ('rosgraph_msgs/msg/Clock', 'GZ_TO_ROS'),
}


@pytest.fixture(scope='module')
def urdf():
    return ET.parse(URDF).getroot()


@pytest.fixture(scope='module')
def bridge():
    with open(GAZEBO_DIR / 'bridge.yaml', encoding='utf-8') as f:
        return yaml.safe_load(f)


def joint(urdf, name):
    found = urdf.find(f"joint[@name='{name}']")
    assert found is not None, f'no joint {name}'
    return found


def xyz(element, attribute='xyz'):
    origin = element.find('origin')
    return [float(v) for v in origin.get(attribute, '0 0 0').split()]


def test_urdf_passes_check_urdf():
    if shutil.which('check_urdf') is None:
        pytest.skip('check_urdf not on PATH (Debian package liburdfdom-tools)')
    result = subprocess.run(['check_urdf', str(URDF)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Successfully Parsed XML' in result.stdout
    assert 'root Link: base_link' in result.stdout


def test_urdf_has_two_driven_wheels_a_caster_and_the_camera_frames(urdf):
    for name in ('left_wheel', 'right_wheel'):
        wheel = joint(urdf, name)
        assert wheel.get('type') == 'continuous'
        assert wheel.find('parent').get('link') == 'base_link'
        assert wheel.find('axis').get('xyz') == '0 1 0'
    assert any(j.find('child').get('link').startswith('caster') for j in urdf.iter('joint'))
    camera = joint(urdf, 'head_camera_joint')
    assert xyz(camera)[2] == pytest.approx(1.12)
    optical = joint(urdf, 'camera_optical_joint')
    assert optical.find('parent').get('link') == 'head_camera_link'
    assert optical.find('child').get('link') == 'camera_optical_frame'


def test_urdf_wheels_match_the_mujoco_robot(urdf):
    left, right = xyz(joint(urdf, 'left_wheel')), xyz(joint(urdf, 'right_wheel'))
    assert left[1] - right[1] == pytest.approx(WHEEL_SEPARATION)
    assert left[2] == right[2] == pytest.approx(WHEEL_RADIUS)   # axles at wheel height
    for link in ('left_wheel_link', 'right_wheel_link'):
        cylinder = urdf.find(f"link[@name='{link}']/collision/geometry/cylinder")
        assert float(cylinder.get('radius')) == pytest.approx(WHEEL_RADIUS)
    drive = urdf.find(".//plugin[@name='gz::sim::systems::DiffDrive']")
    assert drive is not None
    assert float(drive.findtext('wheel_radius')) == pytest.approx(WHEEL_RADIUS)
    assert float(drive.findtext('wheel_separation')) == pytest.approx(WHEEL_SEPARATION)
    assert (drive.findtext('left_joint'), drive.findtext('right_joint')) == ('left_wheel', 'right_wheel')


def test_urdf_camera_matches_the_mujoco_camera(urdf):
    sensor = urdf.find(".//sensor[@type='camera']")
    assert float(sensor.findtext('update_rate')) == 15
    width = int(sensor.findtext('camera/image/width'))
    height = int(sensor.findtext('camera/image/height'))
    assert (width, height) == (640, 480)
    assert sensor.findtext('camera/optical_frame_id') == 'camera_optical_frame'
    # Gazebo takes the horizontal field of view, MuJoCo the vertical one
    mujoco_camera = ET.parse(MUJOCO_WORLD).getroot().find(".//camera[@name='head_camera']")
    fovy = math.radians(float(mujoco_camera.get('fovy')))
    expected_hfov = 2 * math.atan(width / height * math.tan(fovy / 2))
    assert float(sensor.findtext('camera/horizontal_fov')) == pytest.approx(expected_hfov, abs=1e-3)


def test_world_is_well_formed_sdf_with_the_bedroom_models():
    root = ET.parse(GAZEBO_DIR / 'bedroom.sdf').getroot()
    assert root.tag == 'sdf'
    world = root.find('world')
    models = {m.get('name') for m in world.findall('model')}
    assert {'floor', 'walls', 'bed', 'chair', 'patient'} <= models
    assert world.findall('light')
    plugins = {p.get('name') for p in world.findall('plugin')}
    # without the Sensors system the head camera renders nothing
    assert {'gz::sim::systems::Physics', 'gz::sim::systems::Sensors'} <= plugins
    for model in world.findall('model'):
        assert model.findtext('static') == 'true', model.get('name')


def test_bridge_maps_exactly_our_five_topics(bridge):
    assert isinstance(bridge, list)
    mapped = {entry['ros_topic_name']: (entry['ros_type_name'], entry['direction'])
              for entry in bridge}
    assert len(mapped) == len(bridge)
    assert mapped == BRIDGED


@pytest.mark.parametrize('ros_type', sorted({t for t, _ in BRIDGED.values()}))
def test_bridged_ros_types_exist(ros_type):
    package, kind, name = ros_type.split('/')
    assert kind == 'msg'
    assert hasattr(importlib.import_module(f'{package}.msg'), name)


def test_bridge_gz_topics_are_the_ones_the_urdf_publishes_and_subscribes(urdf, bridge):
    gz_topics = {entry['ros_topic_name']: entry['gz_topic_name'] for entry in bridge}
    assert all(entry['gz_type_name'].startswith('gz.msgs.') for entry in bridge)
    sensor = urdf.find(".//sensor[@type='camera']")
    drive = urdf.find(".//plugin[@name='gz::sim::systems::DiffDrive']")
    assert gz_topics['camera/image_raw'] == sensor.findtext('topic')
    assert gz_topics['camera/camera_info'] == sensor.findtext('camera/camera_info_topic')
    assert gz_topics['gazebo/cmd_vel'] == drive.findtext('topic')
    assert gz_topics['odom'] == drive.findtext('odom_topic')
    assert gz_topics['/clock'] == '/clock'   # gz-sim's own clock topic
