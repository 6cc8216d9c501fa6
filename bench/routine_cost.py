"""The routine's own cost per event: a landmark frame (the tree ticked, the counter fed)
and a tick with nothing new, on a scripted seated-arm-raise set (no ROS).

Usage: .venv/bin/python bench/routine_cost.py [--reps 45] [--rate 30]
"""
import argparse
import sys
import time

from benchenv import ROOT  # (sources on the path)

sys.path.insert(0, str(ROOT / 'src/berntsen_coach/test'))   # the routine tests' helpers

from coach_synthetic import rep_signal  # noqa: E402
from berntsen_coach.routine import Posture  # noqa: E402
from test_coach_routine import Session, get_up  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=45)
    parser.add_argument('--rate', type=float, default=30.0, help='frames per second')
    args = parser.parse_args()
    s = Session(items=[{'exercise': 'seated_arm_raise', 'sets': 1, 'repetitions': 50}])
    get_up(s)
    s.hold(Posture.SITTING, 4.0)
    start, frames = s.t, 0
    began = time.perf_counter()
    for dt, value in rep_signal(args.reps, rate=args.rate):
        s.take(s.routine.on_frame(start + dt, s.frame(value)))
        frames += 1
        if s.unfinished:
            s.unfinished.pop(0)
            s.take(s.routine.on_speech_finished(start + dt))
    per_frame = (time.perf_counter() - began) / frames
    ticks, began = 2000, time.perf_counter()
    for i in range(ticks):
        s.routine.tick(start + 1000.0 + i * 0.001)
    per_tick = (time.perf_counter() - began) / ticks
    print(f'{frames} frames at {args.rate:g} fps, {len(s.counted)} of {args.reps} counted')
    print(f'per frame (tree ticked, counter fed): {per_frame * 1e3:.3f} ms, '
          f'{per_frame * args.rate * 100:.1f} % of one core at {args.rate:g} fps')
    print(f'per tick with nothing new: {per_tick * 1e3:.3f} ms')


if __name__ == '__main__':
    main()
