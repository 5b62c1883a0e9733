#!/usr/bin/python3
"""A busy kiosk (`make bench-busy`): what the touch screen and a monitor see while kioskd works hard.

A real kioskd (simulated reader, camera, pad and printers; a private data directory; the outbox
relay pointed at a fake platform on loopback, `upstream.platform: http`) carries, at the same time:

- a citizen session after another, back to back: card, filing, each required page uploaded as a
  ~5 MB 2592×1944 JPEG (quality-checked and stored by kioskd like a captured page), submit (the
  durable transaction and the slip on the simulated printer), rating, end;
- the outbox relay draining a backlog of 10,000 rows (filings, their pages and ratings, cloned from
  a real journey's rows and written into the store while kioskd was stopped) to the fake platform,
  which answers as Sources/Upstream/platform-openapi.yaml says (a page before its filing, replays
  answered with the first result).

Measured while that runs:
- the camera preview the screen polls on the materials screen (`GET /api/v1/camera/preview`), at
  4 requests a second, closed loop as the screen's frame loop: p50/p99 (target p99 ≤ 50 ms);
- `GET /api/v1/health` from a steady client at 20 requests a second: p50/p99 (target p99 ≤ 10 ms);
- the durable submit as the citizen's client sees it (`POST /filings/{id}/submit`), p50/p99, and
  the page uploads;
- the drain rate: backlog rows delivered per second, from kioskd's first health answer to the last
  backlog row the platform applied.

Each figure is printed for the whole window and for the part while the backlog drained.

    /usr/bin/python3 scripts/bench-busy.py --kioskd .build/release/kioskd
    /usr/bin/python3 scripts/bench-busy.py --before /work/bench-base/kioskd --after .build/release/kioskd [--rounds 2]

With --before/--after the two binaries run alternately (before, after, before, after, …) on the
same machine in one run, and a summary compares the medians. Python standard library only; the
JPEG pages are encoded with the system's libturbojpeg (ctypes), which kioskd itself links.
"""
import argparse
import ctypes
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ITEM = "1237040049308563813720124002000001"   # 住房公积金提取（租赁住房）: three required pages
TOKEN = "bench-busy-token"
PREVIEW_PER_SECOND = 4
HEALTH_PER_SECOND = 20
PREVIEW_TARGET_MS = 50
HEALTH_TARGET_MS = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    """Nearest-rank percentile (p in 0–100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# ---------------------------------------------------------------------------------------------
# The fake platform (a child process: its work does not share this process's interpreter lock
# with the latency probes).

class FakePlatform(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # An answer goes out as two writes (head, then body); without TCP_NODELAY the body waits for
    # the ACK of the head, which the client delays (~40 ms): the platform, not kioskd, would then
    # set the drain rate (about 95 rows/s at 4 keys in flight).
    disable_nagle_algorithm = True
    lock = threading.Lock()
    pages = set()
    filings = {}
    keyed = {}
    counts = {"page": 0, "filing": 0, "evaluation": 0, "other": 0, "replay": 0, "refused": 0, "dropped": 0,
              "backlog": 0, "backlogFirst": None, "backlogLast": None}
    backlog_marker = "-19991231-"   # the backlog's filing numbers are of that day; its pages' hashes start with "bb0000"

    def log_message(self, *args):
        pass

    def handle(self):
        # kioskd closing a connection (it stopped mid-call, or its read timed out) is counted, not
        # printed: a replay of that call shows up as a replay.
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            with self.lock:
                self.counts["dropped"] += 1

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status, payload):
        data = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status < 400 else "application/problem+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def applied(self, kind, backlog):
        now = time.monotonic()
        c = self.counts
        c[kind] += 1
        if backlog:
            c["backlog"] += 1
            c["backlogFirst"] = c["backlogFirst"] or now
            c["backlogLast"] = now

    def route(self, method):
        body = self.body() if method in ("PUT", "POST") else b""
        path, _, query = self.path.partition("?")
        if path == "/__stats":
            with self.lock:
                stats = dict(self.counts)
            times = os.times()
            stats["cpu"] = times.user + times.system
            return self.answer(200, stats)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.answer(401, {"title": "unauthorized", "detail": "bearer token missing or wrong"})
        parts = [p for p in path.split("/") if p]
        key = self.headers.get("Idempotency-Key")
        with self.lock:
            if method == "PUT" and len(parts) == 3 and parts[:2] == ["v1", "pages"]:
                sha = parts[2]
                if not re.fullmatch(r"[0-9a-f]{64}", sha):
                    self.counts["refused"] += 1
                    return self.answer(400, {"title": "bad page hash"})
                if sha in self.pages:
                    self.counts["replay"] += 1
                    return self.answer(200, {})
                self.pages.add(sha)
                self.applied("page", sha.startswith("bb0000"))
                return self.answer(201, {})
            if method == "POST" and parts == ["v1", "filings"]:
                if not key:
                    return self.answer(400, {"title": "Idempotency-Key required"})
                if key in self.filings:
                    self.counts["replay"] += 1
                    return self.answer(200, self.filings[key])
                try:
                    filing = json.loads(body)
                except ValueError:
                    filing = None
                if not isinstance(filing, dict) or filing.get("number") != key:
                    self.counts["refused"] += 1
                    return self.answer(422, {"title": "invalid filing", "detail": "the body's number does not match the Idempotency-Key"})
                missing = [s for shas in (filing.get("pages") or {}).values() for s in shas if s not in self.pages]
                if missing:
                    self.counts["refused"] += 1
                    return self.answer(422, {"title": "unknown page", "detail": f"page {missing[0]} was not uploaded"})
                receipt = {"caseId": f"CASE-{len(self.filings) + 1:06d}", "status": "received"}
                self.filings[key] = receipt
                self.applied("filing", self.backlog_marker in key)
                return self.answer(201, receipt)
            if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "filings"]:
                number = parts[2]
                if number not in self.filings:
                    return self.answer(404, {"title": "not found", "detail": f"no filing {number}"})
                return self.answer(200, {"number": number, "caseId": self.filings[number]["caseId"], "status": "received",
                                         "history": [{"status": "received", "at": "2026-11-23T02:00:00Z"}]})
            if method == "GET" and parts == ["v1", "licences"]:
                return self.answer(200, {"licences": []})
            if method == "GET" and parts == ["v1", "appointments"]:
                day = dict(p.partition("=")[::2] for p in query.split("&") if p).get("date", "")
                return self.answer(200, {"date": day, "appointments": []})
            if method == "POST" and parts in (["v1", "evaluations"], ["v1", "statistics", "queue"], ["v1", "statistics", "ratings"],
                                              ["v1", "supervision", "notices"]):
                if not key:
                    return self.answer(400, {"title": "Idempotency-Key required"})
                if key in self.keyed:
                    self.counts["replay"] += 1
                    return self.answer(200, self.keyed[key])
                receipt = {"caseId": f"EVAL-{len(self.keyed) + 1}", "status": "received"}
                self.keyed[key] = receipt
                backlog = self.backlog_marker in body.decode("utf-8", "replace")
                self.applied("evaluation" if parts[1] == "evaluations" else "other", backlog)
                return self.answer(201, receipt)
        return self.answer(404, {"title": "no such route"})

    def do_GET(self):
        self.route("GET")

    def do_PUT(self):
        self.route("PUT")

    def do_POST(self):
        self.route("POST")


def serve_fake_platform():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakePlatform)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()   # until the parent closes our standard input


class PlatformProcess:
    def __init__(self):
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-fake-platform"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.port = int(self.process.stdout.readline())

    def stats(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/__stats")
        data = json.loads(c.getresponse().read())
        c.close()
        return data

    def stop(self):
        self.process.stdin.close()
        self.process.wait(10)


# ---------------------------------------------------------------------------------------------
# Pages: a ~5 MB 2592×1944 colour JPEG (noise: sharp, mid-grey, nothing clipped), encoded once
# with libturbojpeg; each upload gets its own comment segment so every page has its own hash.

def five_megabyte_jpeg(target=5 * 1024 * 1024):
    tj = ctypes.CDLL("libturbojpeg.so.0")
    tj.tjInitCompress.restype = ctypes.c_void_p
    tj.tjCompress2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                               ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)), ctypes.POINTER(ctypes.c_ulong),
                               ctypes.c_int, ctypes.c_int, ctypes.c_int]
    tj.tjFree.argtypes = [ctypes.c_void_p]
    tj.tjDestroy.argtypes = [ctypes.c_void_p]
    width, height = 2592, 1944
    table = bytes(70 + (i * 150) // 256 for i in range(256))   # luminance 70–220
    pixels = os.urandom(width * height * 3).translate(table)
    handle = tj.tjInitCompress()
    best = None
    for quality in range(94, 101):
        buf = ctypes.POINTER(ctypes.c_ubyte)()
        size = ctypes.c_ulong(0)
        if tj.tjCompress2(handle, pixels, width, width * 3, height, 0, ctypes.byref(buf), ctypes.byref(size), 2, quality, 0) != 0:
            raise SystemExit("libturbojpeg could not encode the page")
        data = ctypes.string_at(buf, size.value)
        tj.tjFree(buf)
        best = data
        if len(data) >= target:
            break
    tj.tjDestroy(handle)
    return best


def with_comment(jpeg, text):
    comment = text.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


# ---------------------------------------------------------------------------------------------
# kioskd

def kiosk_config(work, platform_port):
    shutil.copytree(os.path.join(ROOT, "kiosk-config"), os.path.join(work, "kiosk-config"))
    shutil.copytree(os.path.join(ROOT, "devices"), os.path.join(work, "devices"))
    config = os.path.join(work, "kiosk-config", "kiosk.yaml")
    text = open(config, encoding="utf-8").read().replace("driver: cups", "driver: simulated")
    text = text.replace("    queue: receipt\n", "").replace("    queue: ticket\n", "")
    token = os.path.join(work, "upstream.token")
    with open(token, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token, 0o600)
    text, n1 = re.subn(r"(?m)^  platform: \S+", "  platform: http", text, count=1)
    text, n2 = re.subn(r"(?m)^  endpoint: \S+", f"  endpoint: http://127.0.0.1:{platform_port}", text, count=1)
    text, n3 = re.subn(r"(?m)^  tokenFile: \S+", f"  tokenFile: {token}", text, count=1)
    if (n1, n2, n3) != (1, 1, 1) or "driver: cups" in text:
        raise SystemExit("kiosk.yaml: could not point upstream at the fake platform or simulate the printers")
    with open(config, "w", encoding="utf-8") as f:
        f.write(text)
    return os.path.join(work, "kiosk-config")


class Kioskd:
    def __init__(self, binary, config, data, log_path):
        self.binary, self.config, self.data, self.log_path = binary, config, data, log_path
        self.port = free_port()
        self.process = None

    def start(self):
        environment = dict(os.environ, CUPS_SERVER="127.0.0.1:1")
        log = open(self.log_path, "ab")
        started = time.monotonic()
        self.process = subprocess.Popen([self.binary, "--config", self.config, "--listen", f"127.0.0.1:{self.port}",
                                         "--data", self.data, "--log-level", "warning"],
                                        stdout=subprocess.DEVNULL, stderr=log, env=environment)
        while True:
            try:
                status, body = request_once(self.port, "GET", "/api/v1/health")
                if status == 200 and b'"ok"' in body:
                    return time.monotonic() - started
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"kioskd exited with {self.process.returncode}: {open(self.log_path, errors='replace').read()[-3000:]}")
            if time.monotonic() - started > 60:
                raise SystemExit("kioskd did not become healthy within 60 s")
            time.sleep(0.02)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self):
        try:
            fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return None

    def rss_mb(self):
        try:
            for line in open(f"/proc/{self.process.pid}/status"):
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None


def request_once(port, method, path, body=None, headers=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


class Client:
    """One keep-alive connection, reconnecting after a failure."""

    def __init__(self, port, timeout=30):
        self.port, self.timeout, self.conn = port, timeout, None

    def request(self, method, path, body=None, content_type=None):
        headers = {"Content-Type": content_type} if content_type else {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, data
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


# ---------------------------------------------------------------------------------------------
# A citizen's journey over HTTP (as Sources/KioskBench/APIBench.swift runs one), with 5 MB pages.

def id_number(index):
    from datetime import date, timedelta
    birth = (date(1950, 1, 1) + timedelta(days=index % 20000)).strftime("%Y%m%d")
    body = "370481" + birth + f"{(index // 20000 + 1) % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


class Citizen:
    def __init__(self, port, page):
        self.client = Client(port, timeout=60)
        self.page = page
        self.uploads = 0

    def expect(self, what, status, data, *wanted):
        if status not in wanted:
            raise RuntimeError(f"{what}: HTTP {status} {data[:300]!r}")
        return json.loads(data) if data else None

    def journey(self, index):
        c = self.client
        record = {"index": index, "pages": []}
        session = None
        placed = False
        try:
            session = self.expect("POST /sessions", *c.request("POST", "/api/v1/sessions"), 201)["id"]
            self.expect("place card", *c.request("POST", "/api/v1/sim/idcard/place", {"name": "张三", "idNumber": id_number(index)}), 202)
            placed = True
            deadline = time.monotonic() + 5
            while True:
                status, data = c.request("GET", f"/api/v1/sessions/{session}/identity")
                if status == 200:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"identity: HTTP {status} {data[:200]!r}")
                time.sleep(0.005)
            draft = self.expect("POST filings", *c.request("POST", f"/api/v1/sessions/{session}/filings", {"itemCode": ITEM}), 201)
            for material in draft["materials"]:
                if material.get("need") != "required" or material.get("held"):
                    continue
                for p in range(max(1, material.get("pagesExpected") or 1)):
                    self.uploads += 1
                    body = with_comment(self.page, f"bench-busy {os.getpid()} upload {self.uploads} {uuid.uuid4()}")
                    t = time.perf_counter()
                    status, data = c.request("POST", f"/api/v1/filings/{draft['id']}/materials/{material['code']}/pages", body, "image/jpeg")
                    record["pages"].append((time.perf_counter() - t) * 1000)
                    self.expect("page upload", status, data, 201)
            path = f"/api/v1/filings/{draft['id']}/submit"
            t = time.perf_counter()
            status, data = c.request("POST", path, {})
            if status == 422 and b"commitment-required" in data:
                status, data = c.request("POST", path, {"commitmentSigned": True})
            record["submit"] = (time.perf_counter() - t) * 1000
            filing = self.expect("submit", status, data, 201)
            record["slip"] = (filing.get("slip") or {}).get("state")
            self.expect("rating", *c.request("POST", "/api/v1/evaluations",
                                             {"filingNumber": filing["number"], "level": 5, "sessionId": session}), 201)
            self.expect("end", *c.request("DELETE", f"/api/v1/sessions/{session}"), 204)
            session = None
            self.expect("remove card", *c.request("POST", "/api/v1/sim/idcard/remove"), 202)
            placed = False
        except Exception as e:   # recorded, and the kiosk is left ready for the next citizen
            record["error"] = str(e)[:300]
            try:
                if session:
                    c.request("DELETE", f"/api/v1/sessions/{session}")
                if placed:
                    c.request("POST", "/api/v1/sim/idcard/remove")
            except Exception:
                pass
        return record


_page = None


def the_page():
    global _page
    if _page is None:
        _page = five_megabyte_jpeg()
    return _page


def citizen_process(port, page_path, journeys_first):
    """Child process: journeys back to back until standard input closes; one JSON line each."""
    with open(page_path, "rb") as f:
        page = f.read()
    print(json.dumps({"pageBytes": len(page)}), flush=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    citizen = Citizen(port, page)
    index = journeys_first
    while not stop.is_set():
        record = citizen.journey(index)
        record["at"] = time.monotonic()
        print(json.dumps(record), flush=True)
        index += 1
    times = os.times()
    print(json.dumps({"cpu": times.user + times.system}), flush=True)


# ---------------------------------------------------------------------------------------------
# Probes: steady clients on their own keep-alive connections, each on its own thread.

class Probe(threading.Thread):
    def __init__(self, port, path, per_second, closed_loop):
        super().__init__(daemon=True)
        self.port, self.path, self.period, self.closed_loop = port, path, 1.0 / per_second, closed_loop
        self.samples = []       # (monotonic time sent, latency ms, status)
        self.errors = 0
        self.stop = threading.Event()

    def run(self):
        client = Client(self.port, timeout=10)
        next_at = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            if now < next_at:
                time.sleep(next_at - now)
            sent = time.monotonic()
            t = time.perf_counter()
            try:
                status, _ = client.request("GET", self.path)
            except (http.client.HTTPException, OSError):
                status = None
                self.errors += 1
            self.samples.append((sent, (time.perf_counter() - t) * 1000, status))
            # Closed loop (the screen's preview loop: the next frame a period after this one was
            # asked for, at once if it took longer); open loop: a fixed schedule, no catching up
            # in bursts after a slow answer.
            next_at = sent + self.period if self.closed_loop else max(next_at + self.period, time.monotonic())
        client.close()


def summary(samples, lo=None, hi=None):
    chosen = [s for s in samples if (lo is None or s[0] >= lo) and (hi is None or s[0] < hi)]
    ok = [s[1] for s in chosen if s[2] == 200]
    statuses = {}
    for s in chosen:
        if s[2] != 200:
            statuses[str(s[2])] = statuses.get(str(s[2]), 0) + 1
    if not ok:
        return {"n": len(chosen), "other": statuses}
    return {"n": len(chosen), "p50": percentile(ok, 50), "p99": percentile(ok, 99), "max": max(ok), "other": statuses}


def fmt(s, target=None):
    if "p50" not in s:
        return f"no successful sample (n={s['n']}, {s['other']})"
    line = f"p50 {s['p50']:.2f} ms, p99 {s['p99']:.2f} ms, max {s['max']:.1f} ms (n={s['n']}"
    if s["other"]:
        line += ", not 200: " + ", ".join(f"{k}×{v}" for k, v in sorted(s["other"].items()))
    line += ")"
    if target is not None:
        line += f" — target p99 ≤ {target} ms: {'ok' if s['p99'] <= target else 'MISSED'}"
    return line


# ---------------------------------------------------------------------------------------------
# The backlog: rows cloned from one real journey's outbox rows, written while kioskd is stopped.

def grdb_date(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def seed_backlog(data, rows_wanted, page_bytes):
    db = sqlite3.connect(os.path.join(data, "kiosk.sqlite"), timeout=30)
    db.row_factory = sqlite3.Row
    columns = [r["name"] for r in db.execute("PRAGMA table_info(outbox)")]
    filing = db.execute("SELECT * FROM outbox WHERE kind = 'filing' ORDER BY id DESC LIMIT 1").fetchone()
    if filing is None:
        raise SystemExit("the warm-up journey left no filing row in the outbox to clone")
    template = [dict(r) for r in db.execute("SELECT * FROM outbox WHERE orderKey = ? ORDER BY id", (filing["orderKey"],))]
    number = filing["subject"]
    payload = json.loads(filing["payload"])
    shas = [s for group in payload.get("pages", {}).values() for s in group]
    evaluation_ids = set()
    for row in template:
        if row["kind"] in ("evaluation", "rectification"):
            evaluation_ids.update(re.findall(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
                                             row["subject"] + row["payload"]))
    kinds = [r["kind"] for r in template]
    per_filing = len(template)
    filings = -(-rows_wanted // per_filing)
    now = grdb_date(datetime.now(timezone.utc))
    copy_columns = [c for c in columns if c not in ("id",)]
    pages_dir = os.path.join(data, "pages")
    filler = bytearray(os.urandom(page_bytes))
    filler[:4] = b"\xff\xd8\xff\xe0"
    insert = f"INSERT INTO outbox ({', '.join(copy_columns)}) VALUES ({', '.join('?' for _ in copy_columns)})"
    written = 0
    with db:
        for i in range(filings):
            new_number = re.sub(r"-\d{8}-\d+$", f"-19991231-{i + 1:05d}", number)
            replace = {number: new_number}
            for k, sha in enumerate(shas):
                replace[sha] = "bb" + f"{i:08x}{k:04x}" + sha[14:]
            for e in evaluation_ids:
                replace[e] = str(uuid.uuid4())
            pattern = re.compile("|".join(re.escape(k) for k in sorted(replace, key=len, reverse=True)))
            swap = lambda text: pattern.sub(lambda m: replace[m.group(0)], text) if isinstance(text, str) else text
            for row in template:
                if written >= rows_wanted:
                    break
                values = []
                for col in copy_columns:
                    value = row[col]
                    if col in ("subject", "orderKey", "payload"):
                        value = swap(value)
                    elif col == "state":
                        value = "pending"
                    elif col == "attempts":
                        value = 0
                    elif col in ("createdAt", "nextAttemptAt"):
                        value = now
                    elif col in ("lastAttemptAt", "lastFailureAt", "lastError", "deliveredAt", "platformRef"):
                        value = None
                    values.append(value)
                db.execute(insert, values)
                if row["kind"] == "page":
                    sha = swap(row["subject"])
                    filler[8:16] = i.to_bytes(4, "big") + len(replace).to_bytes(4, "big")
                    with open(os.path.join(pages_dir, sha + ".jpg"), "wb") as f:
                        f.write(filler)
                written += 1
    pending = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
    db.close()
    return {"rows": written, "filings": filings, "perFiling": per_filing, "kinds": kinds, "pending": pending}


# ---------------------------------------------------------------------------------------------
# One run on one binary.

def one_run(binary, label, args, out):
    work = tempfile.mkdtemp(prefix="bench-busy-")
    platform = PlatformProcess()
    kioskd = None
    citizen = None
    try:
        config = kiosk_config(work, platform.port)
        data = os.path.join(work, "data")
        kioskd = Kioskd(binary, config, data, os.path.join(work, "kioskd.log"))
        kioskd.start()
        # A warm-up journey: real outbox rows (pages, filing, rating) to clone into the backlog.
        page_path = os.path.join(work, "page.jpg")
        with open(page_path, "wb") as f:
            f.write(the_page())
        warm = Citizen(kioskd.port, the_page())
        record = warm.journey(900000)
        warm.client.close()
        if "error" in record:
            raise SystemExit(f"the warm-up journey failed: {record['error']}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:   # its rows delivered, so the backlog is all there is to send
            stats = platform.stats()
            if stats["filing"] >= 1 and stats["evaluation"] >= 1:
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"the warm-up journey's rows did not reach the fake platform within 60 s: {platform.stats()}")
        kioskd.stop()
        seeded = seed_backlog(data, args.backlog, args.backlog_page_kb * 1024)
        out(f"[{label}] backlog: {seeded['rows']:,} rows written while kioskd was stopped ({seeded['filings']:,} filings of "
            f"{seeded['perFiling']} rows each, as the warm-up journey's: {', '.join(seeded['kinds'])}; pages of "
            f"{args.backlog_page_kb} KiB)")

        load_start = os.getloadavg()[0]
        startup = kioskd.start()
        healthy_at = time.monotonic()
        cpu0 = kioskd.cpu_seconds()
        records = []
        page_bytes = len(the_page())
        if not args.no_citizen:
            citizen = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--citizen", str(kioskd.port), page_path],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            page_bytes = json.loads(citizen.stdout.readline())["pageBytes"]
            reader = threading.Thread(target=lambda: [records.append(json.loads(line)) for line in citizen.stdout], daemon=True)
            reader.start()
        probes = [Probe(kioskd.port, "/api/v1/camera/preview", PREVIEW_PER_SECOND, closed_loop=True),
                  Probe(kioskd.port, "/api/v1/health", HEALTH_PER_SECOND, closed_loop=False)]
        for p in probes:
            p.start()
        drained_at = healthy_at if seeded["rows"] == 0 else None
        rss_peak = 0.0
        while True:
            time.sleep(0.5)
            rss_peak = max(rss_peak, kioskd.rss_mb() or 0)
            stats = platform.stats()
            elapsed = time.monotonic() - healthy_at
            if drained_at is None and stats["backlog"] >= seeded["rows"]:
                drained_at = stats["backlogLast"]
            done = [r for r in records if "error" not in r]
            if drained_at and elapsed >= args.seconds and (args.no_citizen or len(done) >= args.min_journeys):
                break
            if elapsed >= args.max_seconds:
                break
            if kioskd.process.poll() is not None:
                raise SystemExit(f"kioskd exited during the run: {open(kioskd.log_path, errors='replace').read()[-3000:]}")
        ended_at = time.monotonic()
        for p in probes:
            p.stop.set()
        if citizen:
            citizen.stdin.close()
            citizen.wait(120)
            reader.join(10)
        for p in probes:
            p.join(15)
        cpu = kioskd.cpu_seconds()
        stats = platform.stats()
        load_end = os.getloadavg()[0]
        depth = metric(kioskd.port, "kiosk_outbox_depth")
    finally:
        if kioskd:
            kioskd.stop()
        if citizen and citizen.poll() is None:
            citizen.kill()
        platform.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    window = ended_at - healthy_at
    citizen_cpu = next((r["cpu"] for r in records if "cpu" in r), None)
    records = [r for r in records if "index" in r]
    probe_cpu = os.times()
    done = [r for r in records if "error" not in r]
    failed = [r for r in records if "error" in r]
    submits = [r["submit"] for r in done]
    uploads = [p for r in records for p in r["pages"]]
    result = {"label": label, "binary": binary}
    out(f"[{label}] {binary}: kioskd healthy {startup * 1000:.0f} ms after start with the backlog; window {window:.1f} s; "
        f"load average {load_start:.1f} → {load_end:.1f} (2 cores); kioskd CPU {cpu - cpu0:.1f} s "
        f"({(cpu - cpu0) / window * 100:.0f} % of one core), RSS peak {rss_peak:.1f} MB; the load's own CPU: fake platform "
        f"{stats['cpu']:.1f} s, citizen client {citizen_cpu or 0:.1f} s, probes (this process, cumulative) "
        f"{probe_cpu.user + probe_cpu.system:.1f} s")
    if seeded["rows"] == 0:
        out(f"[{label}] outbox drain: no backlog (--backlog 0)")
        result["drain"] = None
    elif drained_at:
        first = stats["backlogFirst"]
        rate = seeded["rows"] / (drained_at - first) if drained_at > first else float("nan")
        out(f"[{label}] outbox drain: {seeded['rows']:,} backlog rows delivered at {rate:.0f} rows/s (first to last row the "
            f"platform applied, {drained_at - first:.1f} s; the last {drained_at - healthy_at:.1f} s after kioskd's first health "
            f"answer); the platform applied {stats['page']} pages, {stats['filing']} filings, {stats['evaluation']} ratings, "
            f"{stats['other']} other in all, {stats['replay']} replays, {stats['refused']} refused, {stats['dropped']} connections dropped by kioskd; "
            f"outbox depth at the end {depth} (the journeys' own rows)")
        result["drain"] = rate
    else:
        out(f"[{label}] outbox drain: NOT FINISHED within {args.max_seconds:.0f} s ({stats['backlog']:,} of {seeded['rows']:,} rows)")
        result["drain"] = None
    hi = drained_at or ended_at
    for probe, name, key, target in ((probes[0], "camera preview (GET /api/v1/camera/preview, 4/s, closed loop)", "preview",
                                      PREVIEW_TARGET_MS),
                                     (probes[1], "health (GET /api/v1/health, 20/s steady)", "health", HEALTH_TARGET_MS)):
        whole = summary(probe.samples, healthy_at)
        during = summary(probe.samples, healthy_at, hi)
        rate = len(probe.samples) / window
        out(f"[{label}] {name}: {fmt(whole, target)}; {rate:.2f} req/s")
        out(f"[{label}]   while the backlog drained ({hi - healthy_at:.1f} s): {fmt(during, target)}")
        result[key] = whole
        result[key + "Drain"] = during
    if submits:
        out(f"[{label}] durable submit (POST /filings/{{id}}/submit, client's view): p50 {percentile(submits, 50):.1f} ms, "
            f"p99 {percentile(submits, 99):.1f} ms, max {max(submits):.1f} ms (n={len(submits)}"
            + ("; with fewer than 100 samples p99 is the worst one)" if len(submits) < 100 else ")"))
        result["submit"] = {"p50": percentile(submits, 50), "p99": percentile(submits, 99), "n": len(submits)}
    if uploads:
        out(f"[{label}] page upload ({page_bytes / 1e6:.2f} MB JPEG, 2592×1944, quality-checked and stored): "
            f"p50 {percentile(uploads, 50):.0f} ms, p99 {percentile(uploads, 99):.0f} ms (n={len(uploads)})")
    slips = {}
    for r in done:
        slips[r.get("slip")] = slips.get(r.get("slip"), 0) + 1
    out(f"[{label}] journeys: {len(done)} completed, {len(failed)} failed, back to back ({len(done) / window * 60:.1f} a minute); "
        f"slips {slips}" + (f"; first failure: {failed[0]['error']}" if failed else ""))
    result["failed"] = len(failed)
    return result


def metric(port, name):
    try:
        status, body = request_once(port, "GET", "/metrics")
    except OSError:
        return None
    for line in body.decode(errors="replace").splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-fake-platform":
        return serve_fake_platform()
    if len(sys.argv) > 1 and sys.argv[1] == "--citizen":
        return citizen_process(int(sys.argv[2]), sys.argv[3], 1)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kioskd", help="the kioskd binary to measure")
    parser.add_argument("--before", help="with --after: the binary before a change (measured alternately with --after)")
    parser.add_argument("--after", help="with --before: the binary after the change")
    parser.add_argument("--rounds", type=int, default=None, help="runs per binary (default 1 with --kioskd, 2 with --before/--after)")
    parser.add_argument("--backlog", type=int, default=10000, help="outbox rows to drain (default 10,000)")
    parser.add_argument("--backlog-page-kb", type=int, default=16, help="size of each backlog page file in KiB (default 16)")
    parser.add_argument("--seconds", type=float, default=60, help="least duration of the measured window (default 60 s)")
    parser.add_argument("--min-journeys", type=int, default=20, help="least completed journeys in the window (default 20)")
    parser.add_argument("--max-seconds", type=float, default=600, help="the window ends after this whatever happened (default 600 s)")
    parser.add_argument("--no-citizen", action="store_true", help="no citizen load: the backlog's drain alone (to tell which load costs what)")
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directories (kioskd's log and data)")
    args = parser.parse_args()
    if bool(args.before) != bool(args.after) or bool(args.kioskd) == bool(args.before):
        parser.error("give --kioskd PATH, or --before PATH --after PATH")
    runs = [("kioskd", args.kioskd)] if args.kioskd else [("before", args.before), ("after", args.after)]
    for _, binary in runs:
        if not os.access(binary, os.X_OK):
            parser.error(f"{binary} is not an executable")
    rounds = args.rounds or (1 if args.kioskd else 2)
    report = open(args.out, "w", encoding="utf-8") if args.out else None

    def out(line):
        print(line, flush=True)
        if report:
            report.write(line + "\n")
            report.flush()

    out(f"bench-busy {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {os.uname().nodename}, {os.cpu_count()} cores; "
        f"{rounds} round(s) of {', '.join(l for l, _ in runs)}; backlog {args.backlog:,} rows; window ≥ {args.seconds:.0f} s "
        f"and ≥ {args.min_journeys} journeys and until the backlog drained")
    results = []
    for r in range(rounds):
        for label, binary in runs:
            results.append(one_run(binary, f"{label} {r + 1}", args, out))
    out("summary (median over rounds):")
    for label, binary in runs:
        mine = [x for x in results if x["label"].startswith(label + " ")]
        def med(key, field):
            values = [x[key][field] for x in mine if key in x and field in x[key]]
            return statistics.median(values) if values else float("nan")
        drains = [x["drain"] for x in mine if x["drain"]]
        out(f"  {label:<7} preview p50 {med('preview', 'p50'):.2f} / p99 {med('preview', 'p99'):.2f} ms (≤ {PREVIEW_TARGET_MS}: "
            f"{'ok' if med('preview', 'p99') <= PREVIEW_TARGET_MS else 'MISSED'}); health p50 {med('health', 'p50'):.2f} / "
            f"p99 {med('health', 'p99'):.2f} ms (≤ {HEALTH_TARGET_MS}: {'ok' if med('health', 'p99') <= HEALTH_TARGET_MS else 'MISSED'}); "
            f"submit p50 {med('submit', 'p50'):.1f} / p99 {med('submit', 'p99'):.1f} ms; drain "
            f"{statistics.median(drains) if drains else float('nan'):.0f} rows/s  [{binary}]")
    if report:
        report.close()


if __name__ == "__main__":
    main()
