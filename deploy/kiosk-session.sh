#!/bin/sh
# The kiosk browser's session on the hall's screen: a kiosk compositor (cage: one full-screen
# application, no desktop) running kiosk-browser.sh. KIOSK_COMPOSITOR overrides the compositor
# command (KIOSK_COMPOSITOR= , empty, runs the browser in an existing X/Wayland session).
#   kiosk-session.sh [URL]
set -eu
HERE=$(dirname "$0")
COMPOSITOR=${KIOSK_COMPOSITOR-/usr/bin/cage -s --}
if [ -n "$COMPOSITOR" ]; then
  # shellcheck disable=SC2086  # the command's words
  set -- $COMPOSITOR "$HERE/kiosk-browser.sh" "$@"
  [ -x "$1" ] || { echo "kiosk-session: compositor $1 not found (apt-get install cage, or set KIOSK_COMPOSITOR)" >&2; exit 1; }
  exec "$@"
fi
exec "$HERE/kiosk-browser.sh" "$@"
