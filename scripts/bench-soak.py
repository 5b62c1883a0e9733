#!/usr/bin/python3
"""Soak: 24 hall hours in compressed time on a real kioskd, with the crash-point test's mixed
workload, sampling what grows when something leaks.

kioskd runs with the hidden `--test-clock-rate R` (its KioskClock runs R times faster than the
system's, on the monotonic clock), so every hall midnight (ticket numbering resets), deadline,
session timeout, staff token and outbox retry schedule passes on the way. The load, at a hall's
pace in hall time:
  - citizens' journeys (card, draft, every required page, submit with its notice printed on the
    simulated receipt printer, a rating, end), one every `--journey-hall-minutes`;
  - queue tickets, one every `--ticket-hall-minutes`, in turn over the categories;
  - the receipt printer running out of paper every `--paper-out-hall-hours` and restocked by
    staff (login + restock through the staff door) `--restock-hall-minutes` later, so notices are
    held and reprinted;
  - the outbox draining to a fake platform on loopback (scripts/bench-busy.py's, which answers as
    Sources/Upstream/platform-openapi.yaml says), which answers 503 for one hall hour in every
    `--platform-outage-every` (the relay backs off, then drains).
Every `--sample-seconds` it samples kioskd's RSS (/proc/PID/status VmRSS), its open file
descriptors (/proc/PID/fd) and the SQLite files (kiosk.sqlite and its -wal), and at the end
prints the figures with the bounds they are checked against (after a two-hall-hour warm-up):
  - RSS: the least-squares slope over the rest of the run ≤ --rss-slope-mb MB per hall hour, and
    its range ≤ --rss-range-mb MB;
  - open descriptors: range ≤ --fd-range;
  - SQLite: the WAL never above --wal-max-mb MB (checkpoints keep up), and the database grows
    no more than --db-kb-per-filing KB per filing (it keeps what it must: filings, audit, outbox);
and writes a PNG plot of the three curves against hall time (the grey band is the warm-up; the
platform's outage hours are marked) (matplotlib, Debian's
python3-matplotlib, installed by scripts/bootstrap.sh). Exit status 0 when every bound held.

Usage: scripts/bench-soak.py --kioskd .build/release/kioskd [--kioskctl .build/release/kioskctl]
       [--hall-hours 24] [--rate 120] [--png soak.png] [--out soak.txt]
"""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("bench_busy", os.path.join(ROOT, "scripts", "bench-busy.py"))
busy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(busy)

STAFF_PIN = "735921"
CATEGORIES = ["social-insurance", "medical-insurance", "real-estate", "housing-fund"]


# ---------------------------------------------------------------------------------------------
# The fake platform, with an outage switch (`POST /__outage?on=1|0`).

class SoakPlatform(busy.FakePlatform):
    outage = False

    def route(self, method):
        path = self.path.partition("?")[0]
        if path == "/__outage":
            self.body()
            SoakPlatform.outage = self.path.endswith("on=1")
            return self.answer(200, {"outage": SoakPlatform.outage})
        if SoakPlatform.outage and path != "/__stats":
            self.body()
            with self.lock:
                self.counts["refused"] += 1
            return self.answer(503, {"title": "platform down (soak outage)"})
        return super().route(method)


def serve_platform():
    import http.server
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SoakPlatform)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


class Platform:
    def __init__(self):
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-fake-platform"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.port = int(self.process.stdout.readline())

    def call(self, path, method="GET"):
        status, data = busy.request_once(self.port, method, path)
        return json.loads(data)

    def outage(self, on):
        self.call(f"/__outage?on={1 if on else 0}", "POST")

    def stop(self):
        self.process.stdin.close()
        self.process.wait(10)


# ---------------------------------------------------------------------------------------------

def sample(kioskd, data):
    pid = kioskd.process.pid
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        fds = None
    def size(name):
        try:
            return os.path.getsize(os.path.join(data, name))
        except OSError:
            return 0
    return {"rss": kioskd.rss_mb(), "fds": fds, "db": size("kiosk.sqlite") / 1048576, "wal": size("kiosk.sqlite-wal") / 1048576}


def slope(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def main():
    if "--serve-fake-platform" in sys.argv:
        return serve_platform()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kioskd", required=True)
    p.add_argument("--kioskctl", help="kioskctl of the same build (default: beside kioskd)")
    p.add_argument("--hall-hours", type=float, default=24)
    p.add_argument("--rate", type=float, default=120, help="hall seconds per real second (default 120: 24 h in 12 min)")
    p.add_argument("--journey-hall-minutes", type=float, default=6)
    p.add_argument("--ticket-hall-minutes", type=float, default=4)
    p.add_argument("--paper-out-hall-hours", type=float, default=3)
    p.add_argument("--restock-hall-minutes", type=float, default=20)
    p.add_argument("--platform-outage-every", type=float, default=6, help="one outage hall hour in every N")
    p.add_argument("--page-kilobytes", type=int, default=400)
    p.add_argument("--session-hall-seconds", type=int, default=1800, help="the sessions' idle timeout in hall seconds (30–3600)")
    p.add_argument("--sample-seconds", type=float, default=5)
    p.add_argument("--rss-slope-mb", type=float, default=0.5)
    p.add_argument("--rss-range-mb", type=float, default=24)
    p.add_argument("--fd-range", type=int, default=12)
    p.add_argument("--wal-max-mb", type=float, default=64)
    p.add_argument("--db-kb-per-filing", type=float, default=64)
    p.add_argument("--warmup-hall-hours", type=float, default=2, help="samples before this are not checked (default 2)")
    p.add_argument("--png", default="soak.png")
    p.add_argument("--out")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    kioskctl = args.kioskctl or os.path.join(os.path.dirname(args.kioskd), "kioskctl")
    report = open(args.out, "w", encoding="utf-8") if args.out else None

    def out(line):
        print(line, flush=True)
        if report:
            report.write(line + "\n")
            report.flush()

    real_seconds = args.hall_hours * 3600 / args.rate
    out(f"bench-soak {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {os.uname().nodename}, {os.cpu_count()} cores: "
        f"{args.hall_hours:g} hall hours at {args.rate:g}× ({real_seconds / 60:.1f} min); {args.kioskd}")
    work = tempfile.mkdtemp(prefix="bench-soak-")
    platform = Platform()
    kioskd = None
    try:
        config = busy.kiosk_config(work, platform.port)
        # A session's idle timeout is counted on the kiosk's clock: at 120× the shipped 120 s would
        # be one real second, shorter than one journey's HTTP round trips. The soak's sessions may
        # idle `--session-hall-seconds` (the journeys never idle; the reaper still runs).
        kiosk_yaml = os.path.join(config, "kiosk.yaml")
        text = open(kiosk_yaml, encoding="utf-8").read()
        text = text.replace("  inactivityTimeoutSeconds: 120 ", f"  inactivityTimeoutSeconds: {args.session_hall_seconds} ", 1)
        if f"inactivityTimeoutSeconds: {args.session_hall_seconds} " not in text:
            raise SystemExit("kiosk.yaml: could not set session.inactivityTimeoutSeconds")
        open(kiosk_yaml, "w", encoding="utf-8").write(text)
        setpin = subprocess.run([kioskctl, "staff", "set-pin", "soak", "--role", "staff", "--pin-stdin", "--config", config],
                                input=STAFF_PIN + "\n", capture_output=True, text=True)
        if setpin.returncode != 0:
            raise SystemExit(f"kioskctl staff set-pin: {setpin.stderr}")
        data = os.path.join(work, "data")
        os.makedirs(data)
        # kioskd with the test clock's flag (exec: the PID sampled is kioskd's own).
        wrapper = os.path.join(work, "kioskd-soak")
        with open(wrapper, "w") as f:
            f.write(f"#!/bin/sh\nexec {os.path.abspath(args.kioskd)} --test-clock-rate {args.rate} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        kioskd = busy.Kioskd(wrapper, config, data, os.path.join(work, "kioskd.log"))
        kioskd.start()
        page = busy.five_megabyte_jpeg(args.page_kilobytes * 1024)
        citizen = busy.Citizen(kioskd.port, page)
        staff = busy.Client(kioskd.port)
        tickets = busy.Client(kioskd.port)

        def hall_seconds():
            return (time.monotonic() - started) * args.rate

        counts = {"journeys": 0, "journeyErrors": 0, "tickets": 0, "ticketErrors": 0, "paperOuts": 0, "restocks": 0,
                  "reprinted": 0, "slips": {}, "errors": []}
        stop = threading.Event()

        def load():
            index = 0
            next_journey = next_ticket = 0.0
            next_paper_out = args.paper_out_hall_hours * 3600 / 2
            restock_at = None
            outage_hour = None
            while not stop.is_set():
                h = hall_seconds()
                hour = int(h // 3600)
                want_outage = hour % int(args.platform_outage_every) == int(args.platform_outage_every) - 1
                if want_outage != (outage_hour is not None):
                    platform.outage(want_outage)
                    outage_hour = hour if want_outage else None
                if h >= next_paper_out and restock_at is None:
                    # The receipt roll runs out, as in the crash test: notices go to the ticket printer
                    # (SlipDesk's failover) until staff restock it. (Both out puts the kiosk in maintenance.)
                    for printer in ("receipt",):
                        status, body = busy.request_once(kioskd.port, "POST", f"/api/v1/sim/printers/{printer}/paper",
                                                         json.dumps({"state": "out"}).encode(), {"Content-Type": "application/json"})
                        if status >= 300:
                            counts["errors"].append(f"paper out {printer}: {status} {body[:200]!r}")
                    counts["paperOuts"] += 1
                    restock_at = h + args.restock_hall_minutes * 60
                    next_paper_out += args.paper_out_hall_hours * 3600
                if restock_at is not None and h >= restock_at:
                    status, body = staff.request("POST", "/api/v1/staff/login", {"account": "soak", "pin": STAFF_PIN})
                    token = json.loads(body).get("token") if status == 200 else None
                    if not token:
                        counts["errors"].append(f"staff login: {status} {body[:200]!r}")
                    for printer in ("receipt",):
                        busy.request_once(kioskd.port, "POST", f"/api/v1/sim/printers/{printer}/paper", json.dumps({"state": "ok"}).encode(),
                                          {"Content-Type": "application/json"})
                        if not token:
                            continue
                        c = busy.http.client.HTTPConnection("127.0.0.1", kioskd.port, timeout=30)
                        c.request("POST", f"/api/v1/staff/printers/{printer}/restock", headers={"Authorization": f"Bearer {token}"})
                        r = c.getresponse()
                        answer = r.read()
                        c.close()
                        if r.status == 200:
                            counts["restocks"] += 1
                            report_ = json.loads(answer)
                            counts["reprinted"] += len(report_.get("reprinted", [])) + len(report_.get("resumed", []))
                        else:
                            counts["errors"].append(f"restock {printer}: {r.status} {answer[:200]!r}")
                    restock_at = None
                if h >= next_ticket:
                    status, body = tickets.request("POST", "/api/v1/tickets", {"category": CATEGORIES[counts['tickets'] % len(CATEGORIES)]})
                    if status == 201:
                        counts["tickets"] += 1
                    else:
                        counts["ticketErrors"] += 1
                        if len(counts["errors"]) < 20:
                            counts["errors"].append(f"ticket: {status} {body[:200]!r}")
                    next_ticket += args.ticket_hall_minutes * 60
                if h >= next_journey:
                    record = citizen.journey(1000 + index)
                    index += 1
                    if "error" in record:
                        counts["journeyErrors"] += 1
                        if len(counts["errors"]) < 20:
                            counts["errors"].append(record["error"])
                    else:
                        counts["journeys"] += 1
                        slip = record.get("slip") or "?"
                        counts["slips"][slip] = counts["slips"].get(slip, 0) + 1
                    next_journey += args.journey_hall_minutes * 60
                stop.wait(0.05)

        started = time.monotonic()
        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        samples = []
        while True:
            elapsed = time.monotonic() - started
            s = sample(kioskd, data)
            s["hallHours"] = elapsed * args.rate / 3600
            samples.append(s)
            if kioskd.process.poll() is not None:
                raise SystemExit(f"kioskd exited with {kioskd.process.returncode} at hall hour {s['hallHours']:.1f}")
            if elapsed >= real_seconds:
                break
            time.sleep(min(args.sample_seconds, max(0.0, real_seconds - elapsed)))
        stop.set()
        loader.join(120)
        # Everything drains once the platform is up.
        platform.outage(False)
        drain_deadline = time.monotonic() + 120
        depth = None
        while time.monotonic() < drain_deadline:
            status, body = busy.request_once(kioskd.port, "GET", "/api/v1/health")
            depth = (json.loads(body).get("upstream") or {}).get("depth")
            if depth == 0:
                break
            time.sleep(0.5)
        stats = platform.call("/__stats")
        filings = stats.get("filing", 0)

        warm = [s for s in samples if s["hallHours"] >= args.warmup_hall_hours and s["rss"] is not None and s["fds"] is not None]
        if len(warm) < 5:
            raise SystemExit("too few samples after the warm-up: run longer or sample more often")
        hours = [s["hallHours"] for s in warm]
        rss = [s["rss"] for s in warm]
        fds = [s["fds"] for s in warm]
        rss_slope = slope(hours, rss)
        rss_range = max(rss) - min(rss)
        fd_range = max(fds) - min(fds)
        wal_max = max(s["wal"] for s in samples)
        db_growth_kb = (samples[-1]["db"] - warm[0]["db"]) * 1024
        filed_after_warm = max(1, counts["journeys"] * (hours[-1] - hours[0]) / max(samples[-1]["hallHours"], 1e-9))
        per_filing = db_growth_kb / filed_after_warm
        checks = [
            (f"RSS slope {rss_slope:+.3f} MB per hall hour (≤ {args.rss_slope_mb})", abs(rss_slope) <= args.rss_slope_mb),
            (f"RSS range {min(rss):.1f}–{max(rss):.1f} MB ({rss_range:.1f} MB, ≤ {args.rss_range_mb})", rss_range <= args.rss_range_mb),
            (f"open descriptors {min(fds)}–{max(fds)} (range {fd_range}, ≤ {args.fd_range})", fd_range <= args.fd_range),
            (f"WAL at most {wal_max:.1f} MB (≤ {args.wal_max_mb})", wal_max <= args.wal_max_mb),
            (f"database {warm[0]['db']:.1f} → {samples[-1]['db']:.1f} MB, {per_filing:.1f} KB per filing (≤ {args.db_kb_per_filing})",
             per_filing <= args.db_kb_per_filing),
            (f"outbox drained after the run (depth {depth})", depth == 0),
        ]
        out(f"load: {counts['journeys']} journeys ({counts['journeyErrors']} failed), slips {counts['slips']}; "
            f"{counts['tickets']} tickets ({counts['ticketErrors']} refused); {counts['paperOuts']} paper-outs, "
            f"{counts['restocks']} printer restocks ({counts['reprinted']} held slips printed by them); platform applied {filings} filings, "
            f"{stats.get('page', 0)} pages, {stats.get('evaluation', 0)} ratings, {stats.get('other', 0)} other, "
            f"answered {stats.get('refused', 0)} with errors, {stats.get('replay', 0)} replays")
        for e in counts["errors"][:5]:
            out(f"  error: {e}")
        out(f"samples: {len(samples)} over {samples[-1]['hallHours']:.1f} hall hours (warm-up: the first {args.warmup_hall_hours:g})")
        # Where RSS rose most between two samples (a step, not a slope, is a high-water mark).
        steps = sorted(((b["rss"] - a["rss"], b["hallHours"]) for a, b in zip(samples, samples[1:])
                        if a["rss"] is not None and b["rss"] is not None), reverse=True)[:3]
        out("largest RSS steps: " + ", ".join(f"{d:+.1f} MB at hall hour {h:.1f}" for d, h in steps))
        ok = True
        for text, passed in checks:
            out(f"  {'ok    ' if passed else 'MISSED'} {text}")
            ok = ok and passed
        if counts["journeyErrors"] > counts["journeys"] * 0.02:
            out(f"  MISSED journeys: {counts['journeyErrors']} of {counts['journeys'] + counts['journeyErrors']} failed")
            ok = False
        with open(os.path.splitext(args.png)[0] + ".json", "w") as f:
            json.dump({"samples": samples, "counts": counts, "platform": stats}, f)
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise SystemExit("matplotlib is missing: scripts/bootstrap.sh installs Debian's python3-matplotlib (run /usr/bin/python3)")
        x = [s["hallHours"] for s in samples]
        fig, axes = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
        axes[0].plot(x, [s["rss"] for s in samples], color="tab:blue")
        axes[0].set_ylabel("kioskd RSS (MB)")
        axes[1].plot(x, [s["fds"] for s in samples], color="tab:green")
        axes[1].set_ylabel("open descriptors")
        axes[2].plot(x, [s["db"] for s in samples], label="kiosk.sqlite", color="tab:red")
        axes[2].plot(x, [s["wal"] for s in samples], label="-wal", color="tab:orange")
        axes[2].set_ylabel("SQLite (MB)")
        axes[2].legend()
        axes[2].set_xlabel("hall hours")
        every = int(args.platform_outage_every)
        for a in axes:
            a.axvspan(0, args.warmup_hall_hours, color="0.9")
            for start in range(every - 1, int(args.hall_hours) + 1, every):
                a.axvspan(start, start + 1, color="tab:red", alpha=0.08)
            a.grid(True, alpha=0.3)
        fig.suptitle(f"kioskd soak: {args.hall_hours:g} hall hours at {args.rate:g}×, {counts['journeys']} journeys, "
                     f"{counts['tickets']} tickets, {counts['paperOuts']} paper-outs")
        fig.tight_layout()
        fig.savefig(args.png, dpi=100)
        out(f"plot: {os.path.abspath(args.png)} (samples: {os.path.splitext(args.png)[0]}.json)")
        out("result: " + ("every bound held" if ok else "a bound was MISSED"))
        return 0 if ok else 1
    finally:
        if kioskd:
            kioskd.stop()
        platform.stop()
        if report:
            report.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    sys.exit(main())
