"""Sim figures: head-camera render rate and physics real-time factor.

    .venv/bin/python bench/sim_render.py [--seconds 20] [--width 640] [--height 480] [--fps 15]

Prints (1) the maximum render rate of the head camera (frames back to back), (2) the
maximum physics rate without rendering, and (3) the sim node itself (in this process, real
ROS publishers, nobody subscribed) running for --seconds: physics real-time factor, camera
frames rendered per second and frames skipped. MUJOCO_GL picks the OpenGL backend (osmesa
when unset, like the node); run once with MUJOCO_GL=osmesa and once with egl to compare.
"""
import argparse
import os
import time

import benchenv  # noqa: F401  (sets up the sources and headless MuJoCo)

from berntsen_sim import patient as P  # noqa: E402
from berntsen_sim.world import BedroomWorld, HeadCameraRenderer  # noqa: E402


def max_render_fps(width, height, seconds=3.0):
    world = BedroomWorld()
    world.set_patient_joints(P.joint_positions(P.STANDING_POSE))
    renderer = HeadCameraRenderer(world.model, width, height)
    renderer.render(world.snapshot())   # context and texture upload
    frames, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        renderer.render(world.snapshot())
        frames += 1
    fps = frames / (time.perf_counter() - start)
    renderer.close()
    return fps


def max_physics_rtf(seconds=2.0):
    world = BedroomWorld()
    world.set_wheel_velocities(2.0, 2.5)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        world.step(50)
    return world.time / (time.perf_counter() - start)


def node_figures(seconds, width, height, fps):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from berntsen_sim.sim_node import SimNode

    rclpy.init(args=['--ros-args', '-p', f'camera_fps:={fps}', '-p', f'image_width:={width}',
                     '-p', f'image_height:={height}'])
    node = SimNode()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    warmup_end = time.monotonic() + 2.0
    while time.monotonic() < warmup_end:
        executor.spin_once(timeout_sec=0.05)
    sim0, rendered0, skipped0 = node.world.time, node.camera.rendered, node.camera.skipped
    cpu0, wall0 = time.process_time(), time.monotonic()
    while time.monotonic() - wall0 < seconds:
        executor.spin_once(timeout_sec=0.05)
    wall = time.monotonic() - wall0
    figures = {
        'rtf': (node.world.time - sim0) / wall,
        'camera_fps': (node.camera.rendered - rendered0) / wall,
        'skipped': node.camera.skipped - skipped0,
        'cpu': (time.process_time() - cpu0) / wall,
    }
    node.destroy_node()
    rclpy.try_shutdown()
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=20.0)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--fps', type=int, default=15)
    args = parser.parse_args()
    print(f'MUJOCO_GL={os.environ["MUJOCO_GL"]}, {os.cpu_count()} CPUs')
    print(f'max render rate {args.width}x{args.height}: '
          f'{max_render_fps(args.width, args.height):.1f} fps')
    print(f'max physics real-time factor (no rendering): {max_physics_rtf():.1f}')
    f = node_figures(args.seconds, args.width, args.height, args.fps)
    print(f'sim node, {args.width}x{args.height} at {args.fps} fps for {args.seconds:.0f} s: '
          f'real-time factor {f["rtf"]:.3f}, camera {f["camera_fps"]:.1f} fps rendered, '
          f'{f["skipped"]} frames skipped, CPU {100 * f["cpu"]:.0f} % of one core')


if __name__ == '__main__':
    main()
