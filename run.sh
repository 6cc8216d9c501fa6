#!/usr/bin/env bash
# Set everything up (idempotent), then run the simulated session or the tests.
#   ./run.sh sim  [berntsen sim options]    e.g. ./run.sh sim --language en
#   ./run.sh test [pytest options]          e.g. ./run.sh test -m "not slow"
#   ./run.sh care [--port P]                the care team's service with a demo team (README)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command="${1:-}"
case "$command" in
  sim|test|care) shift ;;
  *) echo "usage: ./run.sh sim [options] | ./run.sh test [pytest options] | ./run.sh care" >&2; exit 2 ;;
esac

"$ROOT/scripts/setup.sh"

export AMENT_PREFIX_PATH="$ROOT/.venv"
export MUJOCO_GL="${MUJOCO_GL:-osmesa}"
cd "$ROOT"
if [[ "$command" == sim ]]; then
  # keep a simulated session's DDS traffic on this machine
  export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
  exec "$ROOT/.venv/bin/berntsen" sim "$@"
fi
if [[ "$command" == care ]]; then
  export BERNTSEN_CARE_HOME="${BERNTSEN_CARE_HOME:-$ROOT/.care}"
  exec "$ROOT/.venv/bin/berntsen" care demo "$@"
fi
exec "$ROOT/.venv/bin/python" -m pytest "$@"
