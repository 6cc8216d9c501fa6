"""What every benchmark sets up before importing the project (import it first).

The sources go on sys.path and into PYTHONPATH (node processes started by a benchmark
import them too); ROS talks on a private domain on this machine only; MuJoCo renders
headless. bench/ is the running script's folder, so `import benchenv` finds this module.
"""
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = [str(p) for p in sorted((ROOT / 'src').glob('berntsen_*')) if (p / 'setup.py').exists()]

sys.path[:0] = SRC
os.environ['PYTHONPATH'] = os.pathsep.join(
    SRC + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])
from berntsen_bringup.processes import claim_domain_id  # noqa: E402  (needs the sources)

# a domain no test or other benchmark run on this machine holds: they never hear each other
os.environ.setdefault('ROS_DOMAIN_ID', claim_domain_id())
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
os.environ.setdefault('AMENT_PREFIX_PATH', sys.prefix)
os.environ.setdefault('MUJOCO_GL', 'osmesa')
os.environ.setdefault('PYOPENGL_PLATFORM', os.environ['MUJOCO_GL'])


def percentile(values, share):
    """Nearest-rank percentile, `share` in 0..1 (0.95 for p95); nan when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]
