#!/usr/bin/env bash
# Installs OneWindow on a kiosk: the binaries, the configuration (only files not already there: a
# hall's own settings are never overwritten), the device profiles, the systemd units and the udev
# rules. `make install` runs it after a release build.
#
#   scripts/install.sh                      # as root on the kiosk
#   DESTDIR=/tmp/stage scripts/install.sh   # into a staging tree (packaging, tests): nothing on
#                                           # this machine is touched (no user, no daemon-reload)
#
# Paths (environment, defaults in brackets): PREFIX [/usr/local], BINDIR [$PREFIX/bin], LIBEXECDIR
# [$PREFIX/lib/onewindow], SHAREDIR [$PREFIX/share/onewindow], DOCDIR [$PREFIX/share/doc/onewindow],
# CONFDIR [/etc/onewindow], STATEDIR [/var/lib/onewindow], UNITDIR [/etc/systemd/system],
# UDEVDIR [/etc/udev/rules.d]; KIOSK_USER [onewindow], LISTEN [127.0.0.1:8080];
# BUILD_DIR [.build/release] where kioskd and kioskctl are taken from; SYSTEM_SETUP [1 without
# DESTDIR, 0 with]: create the kiosk user, reload systemd and udev, enable the units.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
BINDIR=${BINDIR:-$PREFIX/bin}
LIBEXECDIR=${LIBEXECDIR:-$PREFIX/lib/onewindow}
SHAREDIR=${SHAREDIR:-$PREFIX/share/onewindow}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/onewindow}
CONFDIR=${CONFDIR:-/etc/onewindow}
STATEDIR=${STATEDIR:-/var/lib/onewindow}
UNITDIR=${UNITDIR:-/etc/systemd/system}
UDEVDIR=${UDEVDIR:-/etc/udev/rules.d}
KIOSK_USER=${KIOSK_USER:-onewindow}
LISTEN=${LISTEN:-127.0.0.1:8080}
BUILD_DIR=${BUILD_DIR:-$ROOT/.build/release}
if [ -z "$DESTDIR" ]; then SYSTEM_SETUP=${SYSTEM_SETUP:-1}; else SYSTEM_SETUP=${SYSTEM_SETUP:-0}; fi

fail() { echo "install: $*" >&2; exit 1; }
for binary in kioskd kioskctl; do
  [ -x "$BUILD_DIR/$binary" ] || fail "$BUILD_DIR/$binary is missing: build first (make install builds a release)"
done
for path in "$PREFIX" "$CONFDIR" "$STATEDIR" "$UNITDIR" "$UDEVDIR"; do
  case "$path" in /*) ;; *) fail "$path is not an absolute path" ;; esac
done

say() { echo "install: $*"; }
d() { echo "$DESTDIR$1"; }

# Binaries and the browser's scripts.
install -d "$(d "$BINDIR")" "$(d "$LIBEXECDIR")" "$(d "$SHAREDIR")" "$(d "$DOCDIR")"
install -m 0755 "$BUILD_DIR/kioskd" "$BUILD_DIR/kioskctl" "$(d "$BINDIR")/"
install -m 0755 "$ROOT/scripts/kiosk-browser.sh" "$ROOT/deploy/kiosk-session.sh" "$(d "$LIBEXECDIR")/"
install -m 0644 "$ROOT/README.md" "$(d "$DOCDIR")/"
# kioskd's resources (the screen, openapi.yaml) are a bundle beside the binary.
for bundle in "$BUILD_DIR"/*.resources; do
  [ -d "$bundle" ] || continue
  rm -rf "$(d "$BINDIR")/$(basename "$bundle")"
  cp -R "$bundle" "$(d "$BINDIR")/"
done
say "binaries in $(d "$BINDIR")"

# Device profiles (replaced on every install: they describe models, not the hall).
rm -rf "$(d "$SHAREDIR")/devices"
cp -R "$ROOT/devices" "$(d "$SHAREDIR")/devices"

# Configuration: the shipped files only where the hall has none yet. kiosk.yaml points at the
# installed profiles and data directory.
install -d -m 0755 "$(d "$CONFDIR")"
(cd "$ROOT/kiosk-config" && find . -type f) | while read -r file; do
  target="$(d "$CONFDIR")/${file#./}"
  if [ -e "$target" ]; then
    say "kept $CONFDIR/${file#./} (the hall's own; the shipped one is in $SHAREDIR/kiosk-config)"
    continue
  fi
  install -D -m 0644 "$ROOT/kiosk-config/$file" "$target"
done
sed -i -e "s|^profilesDirectory:.*|profilesDirectory: $SHAREDIR/devices|" \
       -e "s|^dataDirectory:[^#]*|dataDirectory: $STATEDIR   |" "$(d "$CONFDIR")/kiosk.yaml"
rm -rf "$(d "$SHAREDIR")/kiosk-config"
cp -R "$ROOT/kiosk-config" "$(d "$SHAREDIR")/kiosk-config"
say "configuration in $(d "$CONFDIR")"

# systemd units, with this installation's paths.
install -d "$(d "$UNITDIR")"
for template in "$ROOT"/deploy/systemd/*.service.in; do
  unit=$(basename "$template" .in)
  sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@LIBEXECDIR@|$LIBEXECDIR|g" -e "s|@DOCDIR@|$DOCDIR|g" \
      -e "s|@CONFDIR@|$CONFDIR|g" -e "s|@STATEDIR@|$STATEDIR|g" -e "s|@UDEVDIR@|$UDEVDIR|g" \
      -e "s|@KIOSK_USER@|$KIOSK_USER|g" -e "s|@LISTEN@|$LISTEN|g" "$template" > "$(d "$UNITDIR")/$unit"
  chmod 0644 "$(d "$UNITDIR")/$unit"
  if grep -n '@[A-Z_]*@' "$(d "$UNITDIR")/$unit"; then fail "$unit: a placeholder was not filled in"; fi
done
say "systemd units in $(d "$UNITDIR")"

# udev rules from the device profiles.
install -d "$(d "$UDEVDIR")"
"$BUILD_DIR/kioskctl" udev rules --profiles "$ROOT/devices" --group "$KIOSK_USER" -o "$(d "$UDEVDIR")/70-onewindow.rules"
say "udev rules in $(d "$UDEVDIR")/70-onewindow.rules"

if [ "$SYSTEM_SETUP" = 1 ]; then
  if ! id -u "$KIOSK_USER" >/dev/null 2>&1; then
    useradd --system --home-dir "$STATEDIR" --shell /usr/sbin/nologin --groups lp "$KIOSK_USER"
    say "created the system user $KIOSK_USER"
  fi
  install -d -m 0700 -o "$KIOSK_USER" -g "$KIOSK_USER" "$STATEDIR"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable onewindow-kioskd.service onewindow-kiosk-browser.service
    say "units enabled; start with: systemctl start onewindow-kioskd onewindow-kiosk-browser"
  fi
  if command -v udevadm >/dev/null; then udevadm control --reload && udevadm trigger --action=change || true; fi
else
  say "staged in ${DESTDIR:-/} (no user created, systemd and udev not reloaded)"
fi
