#!/usr/bin/env bash
# Installs the Debian packages OneWindow needs to build, run the demo and run its tests.
# Idempotent and non-interactive: installs only what is missing, runs `apt-get update` first
# only when something must be installed. Needs root (or sudo) the first time.
set -euo pipefail

PACKAGES=(
  # build: C libraries the Swift targets link against
  libsqlite3-dev libqrencode-dev libcups2-dev libusb-1.0-0-dev pkg-config
  # slips: FreeType text rasterising, PNG previews, a CJK font for slips and raster fallback
  libfreetype-dev libpng-dev fonts-wqy-microhei
  # demo and tests: a private CUPS, umockdev for USB/serial replay, QR decoding
  cups cups-client cups-filters cups-daemon
  umockdev gir1.2-umockdev-1.0 python3-gi
  zbar-tools curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

SUDO=""
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
echo "bootstrap: done"
