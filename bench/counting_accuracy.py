"""Counting accuracy on simulator-rendered sets done as people do them, from many viewpoints.

    MUJOCO_GL=osmesa .venv/bin/python bench/counting_accuracy.py [--seed 0]
        [--sets-per-exercise 30] [--exercises a,b] [--workers 2] [--fps 15]
        [--json out.json] [--verbose] [--landmarks DIR]

Every set is drawn by berntsen_sim.patient.person_set, seeded by (seed, exercise, set):
the motion variant (elbow curl with the upper arm hanging, forward or out to the side; a
mini or a deep squat), body size and proportions, each repetition's range from a continuous
spread (some near the counting threshold, some low), a weaker and lagging side, tempo,
holds, pauses, sway and fidgets, early starts and sets stopped short. The truth counts a
repetition when its amplitude reaches the motion's counted_fraction (0.7 of the range).

Each set is seen by a free camera (berntsen_sim.viewpoints) of one class, in turn over the
classes allowed for the exercise: view front (< 25 deg) / oblique (25-65) / side (> 65) x
framing whole_body / waist_up (leg and lying exercises: whole_body only). Frames are
rendered at 640x480 and --fps, go through BlazePose (berntsen_vision.pose_estimator,
image and world landmarks) and berntsen_coach.offline.count_repetitions.

Printed per exercise and per viewpoint class: sets, share counted exactly and within +-1,
mean absolute count error per set, repetitions missed / counted extra (matched by time),
partial repetitions the counter noticed / partial ones in the truth, repetitions within
+-0.05 of the threshold (a fair counter may go either way on those), and how far the
counted repetition's end lies from the true end (median, p95; the counter's Rep.end, not
its report latency). Last, the share of repetitions counted by their true range: where
the counter's threshold lies and how wide its uncertain band is. --seed 0 is the tuning
seed; run other seeds for held-out figures (the header says which kind a run is).
--json writes one record per set: truth, viewpoint, counts and the per-frame signal
trace. --landmarks DIR keeps each set's BlazePose landmarks there (one .npz per set) and
reuses them on the next run, so a change to the counter or the exercise file is
re-measured in seconds, not an hour.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import time
from pathlib import Path

from benchenv import ROOT, percentile  # sets up sources and headless MuJoCo

from berntsen_sim import patient as P  # noqa: E402
from berntsen_sim import viewpoints as V  # noqa: E402

EXERCISES_FILE = ROOT / 'src' / 'berntsen_coach' / 'config' / 'exercises.yaml'
TUNING_SEED = 0
WIDTH, HEIGHT = 640, 480
TAIL = 1.5          # s after the last repetition
MATCH_WINDOW = 2.0  # s: a count further than this from any truth end is an extra count
ESTIMATOR = 'blazepose-full upright'   # stored landmarks read otherwise are read again

_worker = {}


def set_for(exercise: str, seed: int, index: int):
    """(PersonSet, viewpoint class) of set `index` of an exercise; deterministic."""
    rng = random.Random(f'{seed}:{exercise}:{index}')
    person = P.person_set(exercise, rng)
    motion = person.motion
    classes = V.classes(motion.legs, motion.posture == P.LYING)
    return person, classes[index % len(classes)], rng


def _init_worker(exercises_file: str) -> None:
    from berntsen_coach.exercises import load_exercises
    _worker['exercises'] = load_exercises(exercises_file)


def _signal_trace(exercise, frames):
    """Per-frame side signals as the coach computes them, where the coach exposes them."""
    try:
        from berntsen_coach.exercises import BodyFrame, side_signals
    except ImportError:
        return None
    trace = []
    for t, lm in frames:
        values = None
        if lm is not None:
            try:
                frame = BodyFrame.from_arrays(lm.image, lm.world, WIDTH, HEIGHT)
                values = {k: (None if v is None else round(float(v), 2))
                          for k, v in side_signals(exercise, frame).items()}
            except Exception as error:   # noqa: BLE001 - a trace is a help, not the measure
                return f'no trace: {error}'
        trace.append([round(t, 3), values])
    return trace


def _store_path(store: str, name: str, seed: int, index: int, fps: float) -> Path:
    return Path(store) / f'{name}-seed{seed}-set{index}-{fps:g}fps.npz'


def _save_landmarks(path: Path, frames, viewpoint: dict, hidden) -> None:
    import numpy as np
    missing = np.full((33, 4), np.nan)
    np.savez_compressed(
        path, t=np.array([t for t, _ in frames]),
        image=np.array([missing if lm is None else lm.image for _, lm in frames]),
        world=np.array([missing if lm is None else lm.world for _, lm in frames]),
        meta=np.array(json.dumps({'viewpoint': viewpoint, 'hidden': hidden,
                                  'estimator': ESTIMATOR})))


def _load_landmarks(path: Path):
    """(frames, viewpoint dict, hidden) from a stored set."""
    import numpy as np

    from berntsen_vision.pose_estimator import PoseLandmarks
    data = np.load(path)
    meta = json.loads(str(data['meta']))
    if meta.get('estimator') != ESTIMATOR:
        return None, None, None      # read by another estimator setting: read again
    frames = [(float(t), None if np.isnan(image).all() else PoseLandmarks(image, world))
              for t, image, world in zip(data['t'], data['image'], data['world'])]
    return frames, meta['viewpoint'], meta['hidden']


def run_set(job: tuple[str, int, int, float, bool, str]) -> dict:
    """Render, estimate and count one set; returns truth, viewpoint, counts and timings."""
    from berntsen_coach.offline import count_repetitions

    name, seed, index, fps, want_trace, store = job
    person, (view, framing), rng = set_for(name, seed, index)
    world, viewpoint = _scene(person, view, framing, rng)
    stored = _store_path(store, name, seed, index, fps) if store else None
    frames = None
    if stored is not None and stored.exists():
        frames, seen_from, hidden = _load_landmarks(stored)
        render_s = pose_s = 0.0
        if frames and seen_from != json.loads(json.dumps(viewpoint.as_dict())):   # older view
            frames = None
    if frames is None:
        frames, hidden, render_s, pose_s = _render_and_estimate(person, world, viewpoint, fps)
        if stored is not None:
            _save_landmarks(stored, frames, viewpoint.as_dict(), hidden)
    exercise = _worker['exercises'][name]
    t0 = time.perf_counter()
    result = count_repetitions(exercise, frames, WIDTH, HEIGHT)
    count_s = time.perf_counter() - t0
    truth = person.truth()
    return {
        'exercise': name, 'index': index, 'seed': seed, 'fps': fps, 'frames': len(frames),
        'view': view, 'framing': framing, 'viewpoint': viewpoint.as_dict(), 'hidden': hidden,
        'truth': truth, 'truth_ends': person.plan.counted_ends(),
        'partial_ends': person.plan.partial_ends(),
        'counts': [{'end': round(r.end, 3), 'side': r.side, 'peak': round(float(r.peak), 2)}
                   for r in result.repetitions],
        'partials_noticed': len(result.partial),
        'frames_with_signal': result.frames_with_signal,
        'no_person': sum(1 for _, lm in frames if lm is None),
        'render_s': render_s, 'pose_s': pose_s, 'count_s': count_s,
        'trace': _signal_trace(exercise, frames) if want_trace else None,
    }


def _scene(person, view: str, framing: str, rng):
    """The bedroom with this person, and a free camera of the class that sees her at rest
    and at the far end of her largest repetition."""
    import mujoco

    from berntsen_sim.world import BedroomWorld, patient_keypoints

    body = person.body
    world = BedroomWorld(body=body)

    def keypoints(t):
        world.set_patient_joints(person.joints(t))
        mujoco.mj_forward(world.model, world.data)
        return patient_keypoints(world.model, world.data, body.scale)

    steps = [k * 0.1 for k in range(int(person.end / 0.1) + 1)]
    far_end = keypoints(max(steps, key=lambda t: person.plan.progress(t)[1]))
    viewpoint = V.sample_viewpoint(rng, keypoints(0.0), person.motion.posture == P.LYING, view,
                                   framing, WIDTH, HEIGHT, far_end=far_end)
    return world, viewpoint


def _render_and_estimate(person, world, viewpoint, fps: float):
    """The set seen from `viewpoint` and read by BlazePose."""
    from berntsen_sim.world import FreeCameraRenderer
    from berntsen_vision.pose_estimator import PoseEstimator

    renderer = FreeCameraRenderer(world.model, WIDTH, HEIGHT)
    hidden = renderer.set_viewpoint(viewpoint, world.snapshot())
    frames = []
    render_s = pose_s = 0.0
    n = int((person.end + TAIL) * fps) + 1
    try:
        with PoseEstimator(upright=True) as estimator:   # as the pose node does
            for k in range(n):
                t = k / fps
                t0 = time.perf_counter()
                world.set_patient_joints(person.joints(t))
                image = renderer.render(world.snapshot())
                t1 = time.perf_counter()
                frames.append((t, estimator.process(image, t)))
                pose_s += time.perf_counter() - t1
                render_s += t1 - t0
    finally:
        renderer.close()
    return frames, hidden, render_s, pose_s


def match(truth_ends: list[float], count_ends: list[float]):
    """Pair counts with truth ends (nearest, within MATCH_WINDOW): (latencies s, missed, extra)."""
    unmatched = list(truth_ends)
    latencies, extra = [], 0
    for t in count_ends:
        nearest = min(unmatched, key=lambda end: abs(end - t), default=None)
        if nearest is None or abs(nearest - t) > MATCH_WINDOW:
            extra += 1
            continue
        unmatched.remove(nearest)
        latencies.append(t - nearest)
    return latencies, len(unmatched), extra


def threshold_curve(results: list[dict], width: float = 0.05) -> str:
    """Share of repetitions counted, by their true range (bands of `width`): where and how
    sharply the counter tells a full repetition from a partial one. A repetition is counted
    when a count ends between its start and a second after its end."""
    bands: dict[int, list[int]] = {}
    for r in results:
        ends = [c['end'] for c in r['counts']]
        for rep in r['truth']['reps']:
            hit = next((t for t in ends if rep['start'] - 0.2 <= t <= rep['end'] + 1.0), None)
            if hit is not None:
                ends.remove(hit)
            band = bands.setdefault(min(int(rep['amplitude'] / width), round(1 / width) - 1),
                                    [0, 0])
            band[0] += hit is not None
            band[1] += 1
    return '\n'.join(f'  {k * width:.2f}-{(k + 1) * width:.2f}: {counted:>4}/{n:<4} '
                     f'{100 * counted / n:4.0f}%' for k, (counted, n) in sorted(bands.items()))


def fair(record: dict, width: float = 0.05) -> bool:
    """Whether the count is right up to repetitions within `width` of the threshold: it
    counts every one clearly above it, and none clearly below."""
    threshold = P.EXERCISES[record['truth']['motion']].counted_fraction
    amplitudes = [rep['amplitude'] for rep in record['truth']['reps']]
    must = sum(1 for a in amplitudes if a >= threshold + width)
    may = sum(1 for a in amplitudes if a >= threshold - width)
    return must <= len(record['counts']) <= may


def summarize(label: str, results: list[dict]) -> str:
    errors, latencies, missed, extra = [], [], 0, 0
    partial_truth = partial_noticed = near = 0
    for r in results:
        lat, m, e = match(r['truth_ends'], [c['end'] for c in r['counts']])
        errors.append(len(r['counts']) - len(r['truth_ends']))
        latencies += lat
        missed += m
        extra += e
        partial_truth += len(r['partial_ends'])
        partial_noticed += r['partials_noticed']
        near += r['truth']['near_threshold']
    n = len(results)
    truth = sum(len(r['truth_ends']) for r in results)
    mae = sum(abs(e) for e in errors) / n
    exact = sum(1 for e in errors if e == 0) / n
    within = sum(1 for e in errors if abs(e) <= 1) / n
    fairly = sum(1 for r in results if fair(r)) / n
    lat = (f'{1000 * statistics.median(latencies):+7.0f} {1000 * percentile(latencies, 0.95):+6.0f}'
           if latencies else f'{"-":>7} {"-":>6}')
    return (f'{label:<34} {n:>4} {truth:>5} {100 * exact:>5.0f}% {100 * fairly:>5.0f}% '
            f'{100 * within:>5.0f}% '
            f'{mae:>5.2f} {missed:>6} {extra:>5} {partial_noticed:>3}/{partial_truth:<3} '
            f'{near:>4} {lat}')


HEADER = (f'{"":<34} {"sets":>4} {"reps":>5} {"exact":>6} {"fair":>6} {"+-1":>6} {"MAE":>5} '
          f'{"missed":>6} '
          f'{"extra":>5} {"partial":>7} {"near":>4} {"end ms":>7} {"p95":>6}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=TUNING_SEED,
                        help=f'{TUNING_SEED} is the tuning seed; others are held out')
    parser.add_argument('--sets-per-exercise', type=int, default=30)
    parser.add_argument('--exercises', default='',
                        help='comma-separated coach exercises (default: all the patient can do)')
    parser.add_argument('--fps', type=float, default=15.0)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--exercises-file', default=str(EXERCISES_FILE))
    parser.add_argument('--json', default='', help='write per-set records (with signal traces)')
    parser.add_argument('--verbose', action='store_true', help='print every set')
    parser.add_argument('--landmarks', default='',
                        help='folder keeping each set\'s landmarks, reused when present')
    args = parser.parse_args()
    if args.sets_per_exercise < 1 or args.fps <= 0 or args.workers < 1:
        parser.error('--sets-per-exercise and --workers must be >= 1 and --fps > 0')

    from berntsen_coach.exercises import load_exercises
    coach = load_exercises(args.exercises_file)
    known = [name for name in coach if name in P.EXERCISES or name in P.VARIANTS]
    if args.exercises:
        names = [n.strip() for n in args.exercises.split(',') if n.strip()]
        unknown = [n for n in names if n not in known]
        if unknown:
            parser.error(f'not both in the coach file and the virtual patient: {unknown}')
    else:
        names = known
    if not names:
        parser.error('no exercise both in the coach file and the virtual patient')
    kind = 'TUNING seed' if args.seed == TUNING_SEED else 'HELD-OUT seed'
    print(f'exercise file: {args.exercises_file}')
    print('benchmarked: ' + ', '.join(f'{n} ({"/".join(P.variants(n))})' if n in P.VARIANTS
                                      else n for n in names))
    no_motion = sorted(set(coach) - set(known))
    if no_motion:
        print(f'in the coach file but the virtual patient cannot do: {", ".join(no_motion)}')
    if args.landmarks:
        Path(args.landmarks).mkdir(parents=True, exist_ok=True)
    jobs = [(name, args.seed, i, args.fps, bool(args.json), args.landmarks)
            for i in range(args.sets_per_exercise) for name in names]
    print(f'{len(jobs)} sets ({args.sets_per_exercise} per exercise) at {args.fps:g} fps, '
          f'{WIDTH}x{HEIGHT}, {args.workers} workers, MUJOCO_GL={os.environ["MUJOCO_GL"]}, '
          f'{kind} {args.seed}')

    start = time.perf_counter()
    context = multiprocessing.get_context('spawn')
    results = []
    with context.Pool(args.workers, initializer=_init_worker,
                      initargs=(args.exercises_file,)) as pool:
        for r in pool.imap_unordered(run_set, jobs):
            results.append(r)
            if args.verbose:
                tr = r['truth']
                print(f'  {r["exercise"]:<22} #{r["index"]:<3} {r["view"]:>7}/{r["framing"]:<10} '
                      f'{tr["motion"]:<22} truth {len(r["truth_ends"])} '
                      f'(+{len(r["partial_ends"])} partial, {tr["near_threshold"]} near) '
                      f'counted {len(r["counts"])} '
                      f'amplitudes {[x["amplitude"] for x in tr["reps"]]} '
                      f'no person {r["no_person"]}/{r["frames"]}', flush=True)
    wall = time.perf_counter() - start
    results.sort(key=lambda r: (names.index(r['exercise']), r['index']))

    frames = sum(r['frames'] for r in results)
    print(f'\n{frames} frames ({frames / args.fps:.0f} s of sim video) in {wall:.0f} s wall; per '
          f'frame: render {1000 * sum(r["render_s"] for r in results) / frames:.0f} ms, pose '
          f'{1000 * sum(r["pose_s"] for r in results) / frames:.0f} ms, count '
          f'{1000 * sum(r["count_s"] for r in results) / frames:.2f} ms; frames without a '
          f'person: {sum(r["no_person"] for r in results)}; landmarks reused for '
          f'{sum(1 for r in results if r["pose_s"] == 0)} of {len(results)} sets')
    print('\nerror = counted - truth (full reps); near: truth reps within +-0.05 of the '
          'threshold; fair: exact up to those (every rep above the band counted, none below '
          'it); end: counted rep end - true rep end (Rep.end, not the report latency)')
    print(HEADER)
    for name in names:
        subset = [r for r in results if r['exercise'] == name]
        if subset:
            print(summarize(name, subset))
    print(summarize('overall', results))
    print('\nper viewpoint class (all exercises)')
    print(HEADER)
    for view in V.VIEWS:
        for framing in V.FRAMINGS:
            subset = [r for r in results if r['view'] == view and r['framing'] == framing]
            if subset:
                print(summarize(f'{view}/{framing}', subset))
    print('\nper exercise and viewpoint class')
    print(HEADER)
    for name in names:
        for view in V.VIEWS:
            for framing in V.FRAMINGS:
                subset = [r for r in results if r['exercise'] == name and r['view'] == view
                          and r['framing'] == framing]
                if subset:
                    print(summarize(f'{name} {view}/{framing}', subset))
    thresholds = sorted({P.EXERCISES[r['truth']['motion']].counted_fraction for r in results})
    print('\nshare counted by the repetition\'s true range (the truth counts from '
          f'{" / ".join(f"{c:g}" for c in thresholds)})')
    print(threshold_curve(results))
    print(f'\n({kind} {args.seed}; partial: noticed by the counter / in the truth)')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'seed': args.seed, 'kind': kind, 'fps': args.fps, 'sets': results}, f)
        print(f'per-set records: {args.json}')


if __name__ == '__main__':
    main()
