#!/usr/bin/env bash
# Runs the whole kiosk with no hardware: simulated ID reader, camera and pad, and a private cupsd
# whose `ticket` and `receipt` queues capture each printed job to a file. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
port="${1:-8080}"
cups_port="${2:-8631}"
demo="$PWD/.demo"
mkdir -p "$demo"

scripts/private-cups.sh stop "$demo/cups" 2>/dev/null || true
scripts/private-cups.sh start "$demo/cups" "$cups_port" ticket receipt
trap 'scripts/private-cups.sh stop "$demo/cups"; echo "demo: cupsd stopped"' EXIT
export CUPS_SERVER="127.0.0.1:$cups_port"

cat <<MSG

  OneWindow demo
  ──────────────
  touch screen    http://127.0.0.1:$port/        (open in any browser; scripts/kiosk-browser.sh http://127.0.0.1:$port/ for kiosk mode)
  place a card    curl -XPOST 127.0.0.1:$port/api/v1/sim/idcard/place -d '{"name":"张三","idNumber":"11010519491231002X"}'
  API             http://127.0.0.1:$port/api/v1/health
  printed jobs    $demo/cups/out/receipt/  and  $demo/cups/out/ticket/   (job-N.bin, raw ESC/POS)
  paper sensor    echo out > $demo/cups/out/receipt/paper   (ok | low | out | jam)
  data            $demo/data
  printers        CUPS_SERVER=$CUPS_SERVER .build/debug/kioskctl printer test|status|restock receipt --data $demo/data
  slip preview    .build/debug/kioskctl slip render --template ticket --input devices/printers/sample-inputs/ticket.json --format png -o /tmp/t.png
  CUPS            CUPS_SERVER=$CUPS_SERVER  (lpstat -h $CUPS_SERVER -p)
  stop            Ctrl-C

MSG
.build/debug/kioskd --config kiosk-config --listen "127.0.0.1:$port" --data "$demo/data"
