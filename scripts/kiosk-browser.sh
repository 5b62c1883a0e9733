#!/bin/sh
# Starts the hall's kiosk browser: Chromium in kiosk mode (full screen, no address bar, no way out
# by touch) on the touch screen's local URL, once kioskd answers.
#
#   scripts/kiosk-browser.sh [URL]        default http://127.0.0.1:8080/
#
# KIOSK_BROWSER (default /usr/bin/chromium), KIOSK_PROFILE (default ~/.cache/onewindow-kiosk: a
# profile of its own, so no first-run page or restored tabs), KIOSK_WAIT_SECONDS (default 0 =
# forever) and KIOSK_BROWSER_FLAGS (extra flags) change it. Run it from the kiosk user's graphical
# session (autostart); it exits with the browser.
set -eu
URL=${1:-http://127.0.0.1:8080/}
BROWSER=${KIOSK_BROWSER:-/usr/bin/chromium}
PROFILE=${KIOSK_PROFILE:-${HOME:-/tmp}/.cache/onewindow-kiosk}
WAIT=${KIOSK_WAIT_SECONDS:-0}
HEALTH="${URL%/}/api/v1/health"

[ -x "$BROWSER" ] || { echo "kiosk-browser: $BROWSER not found (apt-get install chromium)" >&2; exit 1; }

# Wait for kioskd: any HTTP answer from health (200 ok/degraded, 503 starting) means it serves.
started=$(date +%s)
until curl -s -o /dev/null --max-time 2 "$HEALTH"; do
  if [ "$WAIT" -gt 0 ] && [ $(( $(date +%s) - started )) -ge "$WAIT" ]; then
    echo "kiosk-browser: kioskd does not answer at $HEALTH after ${WAIT}s" >&2
    exit 1
  fi
  sleep 1
done

mkdir -p "$PROFILE"
# A crash or power cut leaves "exited_cleanly: false" in the profile, which makes Chromium offer to
# restore pages; say it exited cleanly so it never asks.
prefs="$PROFILE/Default/Preferences"
if [ -f "$prefs" ]; then
  sed -i 's/"exited_cleanly":false/"exited_cleanly":true/; s/"exit_type":"[A-Za-z]*"/"exit_type":"Normal"/' "$prefs"
fi

# --kiosk: full screen, no UI; no first run, default-browser check, restore bubble, translate bar,
# pinch zoom, overscroll navigation, swipe history, password or autofill prompts, or error pages'
# "reload" games; audio plays without a gesture (voice prompts); the hall's language.
exec "$BROWSER" \
  --kiosk "$URL" \
  --user-data-dir="$PROFILE" \
  --no-first-run --no-default-browser-check --disable-session-crashed-bubble --hide-crash-restore-bubble \
  --disable-restore-session-state --disable-infobars \
  --disable-features=Translate,TranslateUI,OverscrollHistoryNavigation,TouchpadOverscrollHistoryNavigation,PasswordManagerOnboarding,AutofillServerCommunication,MediaRouter \
  --disable-translate --disable-pinch --overscroll-history-navigation=0 \
  --autoplay-policy=no-user-gesture-required \
  --lang=zh-CN --accept-lang=zh-CN \
  --noerrdialogs --disable-component-update --check-for-update-interval=31536000 \
  --password-store=basic --disable-sync \
  ${KIOSK_BROWSER_FLAGS:-}
