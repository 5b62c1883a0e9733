#!/usr/bin/env bash
# A private, real cupsd on loopback for the demo and the tests (no system CUPS touched).
#   private-cups.sh start BASE PORT [QUEUE...]   start cupsd under BASE, add raw capture queues
#   private-cups.sh stop BASE                    stop it
# Each queue QUEUE prints to BASE/out/QUEUE/job-N.bin; BASE/out/QUEUE/paper simulates its sensor
# (ok|low|out|jam). Clients reach it with CUPS_SERVER=127.0.0.1:PORT.
#
# PORT 0 asks the OS for a free port; the port used is printed and written to BASE/port. A PORT
# that something already holds (another test's cupsd, the demo's) is refused with exit status 3
# before cupsd starts, and the queues are added only once the cupsd answering on PORT is the one
# started here: a cupsd that cannot bind keeps running without a listener, and the lpadmin calls
# would otherwise re-point the queues of whichever cupsd does hold the port.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "private-cups: $*" >&2; exit 1; }

# A port on 127.0.0.1 the OS says is free now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Whether 127.0.0.1:PORT can be bound (nothing listens on it, nor on the wildcard address).
port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# Whether process PID holds the listening socket of 127.0.0.1:PORT (from /proc: the socket's
# inode in /proc/net/tcp, state 0A = LISTEN, among the process's descriptors).
listens_on() {
  local pid="$1" port="$2" hex inode fd
  hex="$(printf '%04X' "$port")"
  for inode in $(awk -v a="0100007F:$hex" '$2 == a && $4 == "0A" { print $10 }' /proc/net/tcp); do
    for fd in /proc/"$pid"/fd/*; do
      [ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ] && return 0
    done
  done
  return 1
}

start() {
  local base="$1" port="$2"; shift 2
  command -v cupsd >/dev/null || [ -x /usr/sbin/cupsd ] || die "cupsd is not installed (run scripts/bootstrap.sh)"
  [ -d /usr/lib/cups/daemon ] || die "/usr/lib/cups/daemon missing (package cups-daemon)"
  mkdir -p "$base"
  base="$(cd "$base" && pwd)"
  [ -f "$base/cupsd.pid" ] && kill -0 "$(cat "$base/cupsd.pid")" 2>/dev/null && die "already running under $base"
  case "$port" in ''|*[!0-9]*) die "port '$port' is not a number (0: a free port)";; esac
  if [ "$port" -eq 0 ]; then
    port="$(free_port)" || die "cannot get a free port from the OS"
  elif ! port_is_free "$port"; then
    echo "private-cups: port 127.0.0.1:$port is in use (another cupsd?); not starting, queues not touched — choose another port, or 0 for a free one" >&2
    exit 3
  fi
  mkdir -p "$base/etc" "$base/bin/backend" "$base/spool/tmp" "$base/log" "$base/cache" "$base/state" "$base/out"
  ln -sfn /usr/lib/cups/daemon "$base/bin/daemon"
  [ -d /usr/lib/cups/filter ] && ln -sfn /usr/lib/cups/filter "$base/bin/filter"
  install -m 0700 "$here/cups-backend/kiosk-capture" "$base/bin/backend/kiosk-capture"
  local user group
  if [ "$(id -u)" -eq 0 ]; then
    user=lp; group=root
    # cupsd refuses backends in a folder others can write; keep the tree root-owned.
    chown -R root:root "$base/bin"; chmod 0755 "$base/bin" "$base/bin/backend"
  else
    user="$(id -un)"; group="$(id -gn)"
  fi
  cat > "$base/etc/cupsd.conf" <<CONF
Listen 127.0.0.1:$port
Browsing No
BrowseLocalProtocols none
WebInterface No
DefaultAuthType None
ErrorPolicy stop-printer
JobRetryInterval 5
PreserveJobHistory Yes
MaxJobs 0
LogLevel info
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  <Limit All>
    Order allow,deny
    Allow 127.0.0.1
  </Limit>
</Policy>
CONF
  cat > "$base/etc/cups-files.conf" <<CONF
User $user
SystemGroup $group
ServerRoot $base/etc
ServerBin $base/bin
StateDir $base/state
CacheDir $base/cache
RequestRoot $base/spool
TempDir $base/spool/tmp
DataDir /usr/share/cups
AccessLog $base/log/access_log
ErrorLog $base/log/error_log
PageLog $base/log/page_log
CONF
  # cupsd must not inherit the caller's pipes (a test harness waiting for EOF would hang): close
  # every descriptor above 2 before exec.
  (
    for fd in /proc/self/fd/*; do
      n="${fd##*/}"
      [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null
    done
    export CUPS_SERVERROOT="$base/etc"
    # A caller may have SIGTERM blocked (libdispatch blocks the signals it watches, and children
    # inherit the mask); unblock everything so `stop` works. perl-base is always on Debian.
    exec perl -MPOSIX -e 'sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec @ARGV or die "exec: $!"' \
      /usr/sbin/cupsd -f -c "$base/etc/cupsd.conf" -s "$base/etc/cups-files.conf"
  ) < /dev/null > "$base/log/cupsd.out" 2>&1 &
  echo $! > "$base/cupsd.pid"
  local i pid
  pid="$(cat "$base/cupsd.pid")"
  # Ours must hold the port before anything is sent there: another process may have taken it
  # between the check above and cupsd's bind (cupsd then runs on without a listener).
  for i in $(seq 1 200); do
    listens_on "$pid" "$port" && break
    alive "$pid" || die "cupsd exited at start: $(tail -5 "$base/log/error_log" "$base/log/cupsd.out" 2>/dev/null)"
    if grep -q "Unable to open listen socket for address 127.0.0.1:$port" "$base/log/error_log" 2>/dev/null; then
      stop "$base"
      echo "private-cups: port 127.0.0.1:$port was taken by another process as cupsd started; stopped it, queues not touched" >&2
      exit 3
    fi
    sleep 0.05
  done
  if ! listens_on "$pid" "$port"; then
    stop "$base"
    die "the cupsd started here (pid $pid) does not listen on 127.0.0.1:$port; stopped it, queues not touched"
  fi
  for i in $(seq 1 200); do
    if lpstat -h "127.0.0.1:$port" -r 2>/dev/null | grep -q "is running"; then break; fi
    sleep 0.05
  done
  lpstat -h "127.0.0.1:$port" -r 2>/dev/null | grep -q "is running" || die "cupsd did not come up on 127.0.0.1:$port"
  echo "$port" > "$base/port"
  local queue
  for queue in "$@"; do
    mkdir -p "$base/out/$queue"
    [ "$(id -u)" -eq 0 ] && chown "$user" "$base/out/$queue"
    lpadmin -h "127.0.0.1:$port" -p "$queue" -E -v "kiosk-capture:$base/out/$queue" -m raw 2>/dev/null \
      || lpadmin -h "127.0.0.1:$port" -p "$queue" -E -v "kiosk-capture:$base/out/$queue" \
      || die "cannot add queue $queue"
  done
  echo "private-cups: cupsd on 127.0.0.1:$port (pid $pid), queues: ${*:-none}, jobs in $base/out/"
}

alive() {
  [ -r "/proc/$1/stat" ] || return 1
  [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != "Z" ]
}

stop() {
  local base="$1"
  [ -f "$base/cupsd.pid" ] || return 0
  local pid; pid="$(cat "$base/cupsd.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    # Gone, or a zombie waiting for a parent that is not ours to reap: either way, stopped.
    for _ in $(seq 1 100); do
      alive "$pid" || break
      sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$base/cupsd.pid"
}

case "${1:-}" in
  start) [ $# -ge 3 ] || die "usage: $0 start BASE PORT [QUEUE...]"; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop BASE"; stop "$2" ;;
  *) die "usage: $0 start BASE PORT [QUEUE...] | stop BASE" ;;
esac
