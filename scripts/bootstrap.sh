#!/usr/bin/env bash
# Installs the Debian packages OneWindow needs to build, run the demo and run its tests, then the
# Python tools of the tests (scripts/python-tools.txt) into a private virtualenv, .tools/venv.
# Idempotent and non-interactive: installs only what is missing, runs `apt-get update` first
# only when something must be installed. Needs root (or sudo) the first time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PACKAGES=(
  # build: C libraries the Swift targets link against
  libsqlite3-dev libqrencode-dev libcups2-dev libusb-1.0-0-dev pkg-config
  # slips: FreeType text rasterising, PNG previews, a CJK font for slips and raster fallback
  libfreetype-dev libpng-dev fonts-wqy-microhei
  # document camera: JPEG decode (quality check) and encode (YUYV frames, simulator pages)
  libturbojpeg0-dev
  # demo and tests: a private CUPS, umockdev for USB/serial replay, QR decoding
  cups cups-client cups-filters cups-daemon
  umockdev gir1.2-umockdev-1.0 python3-gi
  zbar-tools curl
  # tests and benchmarks: the HTTP load generator; Debian's python3 with venv for .tools/venv
  wrk python3-venv
  # the touch screen: a real headless Chromium driven by Selenium (Debian's, for /usr/bin/python3),
  # and Mandarin voice prompts
  chromium chromium-driver python3-selenium espeak-ng
  # running unattended: systemd-analyze verifies the units; the sqlite3 shell holds the store's
  # write lock in the watchdog test
  systemd sqlite3
  # hall mode: the shared queue's PostgreSQL server, started privately by the tests (never a service)
  postgresql
  # the soak benchmark's plot of RSS, open descriptors and SQLite size (make bench-soak)
  python3-matplotlib
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

install_debian_packages() {
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "bootstrap: missing packages (${missing[*]}) and not root; run: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a system cupsd on install; the kiosk uses its own private one and needs none.
  echo "bootstrap: Debian packages done"
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#PACKAGES[@]} Debian packages present"
else
  install_debian_packages
fi

# Python tools: Debian's own python3 (not whatever python3 is first on PATH, e.g. pyenv's), in a
# venv inside the repo. A stamp (a copy of the requirements it was made from) makes the check
# cheap; a venv whose requirements changed, or whose python went away, is made again from scratch.
REQUIREMENTS="$ROOT/scripts/python-tools.txt"
VENV="$ROOT/.tools/venv"
STAMP="$VENV/.bootstrap-requirements"
SYSTEM_PYTHON=/usr/bin/python3

if [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/st" ] && cmp -s "$REQUIREMENTS" "$STAMP"; then
  echo "bootstrap: Python tools present in .tools/venv"
  exit 0
fi

echo "bootstrap: installing Python tools (scripts/python-tools.txt) into .tools/venv"
python_tools_failed() {
  echo "bootstrap: FAILED to install the Python tools into $VENV: $1" >&2
  echo "bootstrap: the tests that fuzz the API need them; fix the cause and run scripts/bootstrap.sh again" >&2
  exit 1
}
started=$SECONDS
rm -rf "$VENV"
mkdir -p "$ROOT/.tools"
"$SYSTEM_PYTHON" -m venv "$VENV" || python_tools_failed "'$SYSTEM_PYTHON -m venv' failed (is python3-venv installed?)"
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
  "$VENV/bin/python" -m pip install --quiet -r "$REQUIREMENTS" \
  || python_tools_failed "pip install -r scripts/python-tools.txt failed"
version="$("$VENV/bin/st" --version 2>&1)" || python_tools_failed "schemathesis does not start: $version"
cp "$REQUIREMENTS" "$STAMP"
echo "bootstrap: Python tools installed ($version) in $((SECONDS - started)) s"
