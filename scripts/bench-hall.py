"""Hall-mode figures on real kioskd processes and a private PostgreSQL (loopback only):

  * ticket issue through the API with N kiosks issuing at once: p50 / p99 / max;
  * call-next through the API (two windows): p50 / p99;
  * SSE fan-out: D hall displays (event streams spread over the kiosks) while windows call C
    tickets back to back: every display must get every call; delivery latency p50 / p99.

The defaults are the issue's figure: 4 kiosks issue 10,000 tickets in one hall day (2,500 each;
the bench adds six categories to the queue so the day's numbers, 999 a category, suffice) and
all 10,000 are called while 20 displays follow.

    /usr/bin/python3 scripts/bench-hall.py --kioskd .build/release/kioskd [--kiosks 4] [--tickets 2500]
        [--workers 2] [--displays 20] [--calls 10000]

Run by `make bench-hall` (release build). Every loop is bounded; the server and the kiosks are
stopped at the end. Prints one line per figure.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIN = "13579"
# Six more categories (999 numbers each a day) so 10,000 tickets fit in one hall day.
EXTRA_CATEGORIES = [(f"bench-{p.lower()}", p) for p in "HJKLMN"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Postgres:
    def __init__(self):
        versions = sorted((int(v) for v in os.listdir("/usr/lib/postgresql") if v.isdigit()), reverse=True)
        if not versions:
            sys.exit("PostgreSQL is not installed (Debian package postgresql; scripts/bootstrap.sh installs it)")
        self.bin = f"/usr/lib/postgresql/{versions[0]}/bin"
        self.dir = tempfile.mkdtemp(prefix="bench-pg-")
        self.port = free_port()
        self.as_postgres = os.getuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.run([f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "--no-sync"])
        self.run([f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200", "start"])
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, argv):
        if self.as_postgres:
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv)]
        with open(f"{self.dir}/cmd.out", "ab") as out:
            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=True, timeout=120)

    def stop(self):
        try:
            self.run([f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Kiosk:
    def __init__(self, kioskd, kioskctl, index, url, base):
        self.root = f"{base}/kiosk{index}"
        shutil.copytree(f"{ROOT}/kiosk-config", f"{self.root}/kiosk-config")
        shutil.copytree(f"{ROOT}/devices", f"{self.root}/devices")
        config = f"{self.root}/kiosk-config"
        if os.path.exists(f"{config}/staff.yaml"):
            os.remove(f"{config}/staff.yaml")
        text = open(f"{config}/kiosk.yaml").read().replace("driver: cups", "driver: simulated")
        text = text.replace("    queue: receipt\n", "").replace("    queue: ticket\n", "").replace("  id: TZ01", f"  id: TZ0{index}")
        text = text.replace("dataDirectory:", f"hall:\n  store: postgres\n  url: {url}\n  checkIntervalSeconds: 1\ndataDirectory:", 1)
        open(f"{config}/kiosk.yaml", "w").write(text)
        queue = re.sub(r"dailyLimit: \d+", "dailyLimit: 999", open(f"{config}/queue.yaml").read())
        queue = queue.replace("categories:\n", "categories:\n" + "".join(
            f"  - code: {code}\n    prefix: {prefix}\n    name: 压测{prefix}\n    dailyLimit: 999\n    acceptsAppointments: false\n"
            for code, prefix in EXTRA_CATEGORIES), 1)
        open(f"{config}/queue.yaml", "w").write(queue)
        for name in ("wangfang", "lisi"):
            pin = PIN if name == "wangfang" else "24680"
            subprocess.run([kioskctl, "staff", "set-pin", name, "--role", "staff", "--config", config, "--pin-stdin"],
                           input=(pin + "\n").encode(), check=True, capture_output=True, timeout=60)
        self.port = free_port()
        self.log = open(f"{self.root}/kioskd.log", "wb")
        self.process = subprocess.Popen([kioskd, "--config", config, "--listen", f"127.0.0.1:{self.port}", "--data",
                                         f"{self.root}/data", "--log-format", "json", "--log-level", "warning"],
                                        stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, body = request(self.port, "GET", "/api/v1/health")
                if status == 200 and json.loads(body).get("hall", {}).get("state") == "ok":
                    return
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit(f"kioskd on {self.port} did not become healthy")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


_local = threading.local()


def request(port, method, path, body=None, token=None):
    connections = getattr(_local, "connections", None)
    if connections is None:
        connections = _local.connections = {}
    connection = connections.get(port)
    if connection is None:
        connection = connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    except (http.client.HTTPException, OSError):
        connections.pop(port, None)
        connection.close()
        raise


class Display(threading.Thread):
    """One hall display's event stream: the arrival time of each ticketCalled."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.arrivals = {}
        self.ready = threading.Event()
        self.stop = False

    def run(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        buffer = b""
        self.ready.set()
        while not self.stop:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            now = time.monotonic()
            buffer += chunk
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                if b"event: ticketCalled" in event:
                    data = event.split(b"data: ", 1)[1].split(b"\n", 1)[0]
                    ticket = json.loads(data)["ticket"]
                    self.arrivals.setdefault(ticket, now)
        s.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kioskd", required=True)
    parser.add_argument("--kiosks", type=int, default=4)
    parser.add_argument("--tickets", type=int, default=2500, help="tickets per kiosk")
    parser.add_argument("--workers", type=int, default=2,
                        help="clients issuing back to back per kiosk (2: saturation; 1: a kiosk's one screen at a time)")
    parser.add_argument("--displays", type=int, default=20)
    parser.add_argument("--calls", type=int, default=10000)
    args = parser.parse_args()
    kioskctl = os.path.join(os.path.dirname(os.path.abspath(args.kioskd)), "kioskctl")
    base = tempfile.mkdtemp(prefix="bench-hall-")
    postgres = Postgres()
    kiosks = []
    try:
        kiosks = [Kiosk(args.kioskd, kioskctl, i + 1, postgres.url, base) for i in range(args.kiosks)]
        for k in kiosks:
            k.wait_ready()
        categories = ["social-insurance", "medical-insurance", "real-estate", "housing-fund", "household-registration", "general",
                      *(code for code, _ in EXTRA_CATEGORIES)]

        # 1. Ticket issue, all kiosks at once (two screens' worth of clients per kiosk).
        latencies, failures = [], []
        lock = threading.Lock()

        def issue(kiosk, worker):
            for n in range(args.tickets // args.workers):
                category = categories[(n + worker + kiosk.port) % len(categories)]
                start = time.monotonic()
                status, body = request(kiosk.port, "POST", "/api/v1/tickets", {"category": category})
                elapsed = (time.monotonic() - start) * 1000
                with lock:
                    (latencies if status == 201 else failures).append(elapsed if status == 201 else body[:200])

        threads = [threading.Thread(target=issue, args=(k, w)) for k in kiosks for w in range(args.workers)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        print(f"ticket issue, {args.kiosks} kiosks x {args.workers} clients at once: {len(latencies)} tickets in {wall:.1f} s ({len(latencies) / wall:.0f}/s), "
              f"p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms, max {max(latencies):.1f} ms, refused {len(failures)}")

        # 2. call-next: two windows on the first kiosk, each serving every category.
        k0 = kiosks[0]
        for window in ("1", "2"):
            subprocess.run([kioskctl, "queue", "window", window, *categories, "--config", f"{k0.root}/kiosk-config",
                            "--data", f"{k0.root}/data"], check=True, capture_output=True, timeout=60)
        tokens = {}
        for window, (name, pin) in (("1", ("wangfang", PIN)), ("2", ("lisi", "24680"))):
            status, body = request(k0.port, "POST", "/api/v1/staff/login", {"account": name, "pin": pin})
            tokens[window] = json.loads(body)["token"]
            request(k0.port, "POST", f"/api/v1/windows/{window}/open", token=tokens[window])

        # 3. Displays: spread over the kiosks, connected before the calls.
        displays = [Display(kiosks[i % len(kiosks)].port) for i in range(args.displays)]
        for d in displays:
            d.start()
        for d in displays:
            d.ready.wait(10)
        time.sleep(0.5)  # the streams' first bytes; not a measurement

        call_latencies, sent = [], {}

        def call(window, count):
            for _ in range(count):
                start = time.monotonic()
                status, body = request(k0.port, "POST", f"/api/v1/windows/{window}/call-next", token=tokens[window])
                end = time.monotonic()
                if status != 200:
                    break
                with lock:
                    call_latencies.append((end - start) * 1000)
                    sent[json.loads(body)["ticket"]] = end

        callers = [threading.Thread(target=call, args=(w, args.calls // 2)) for w in ("1", "2")]
        for t in callers:
            t.start()
        for t in callers:
            t.join()
        print(f"call-next, 2 windows: {len(call_latencies)} calls, p50 {pct(call_latencies, 50):.1f} ms, "
              f"p99 {pct(call_latencies, 99):.1f} ms, max {max(call_latencies):.1f} ms")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(len(d.arrivals) < len(sent) for d in displays):
            time.sleep(0.1)
        delays = [(d.arrivals[t] - at) * 1000 for d in displays for t, at in sent.items() if t in d.arrivals]
        missing = sum(len(sent) - len([t for t in sent if t in d.arrivals]) for d in displays)
        print(f"SSE fan-out, {args.displays} displays x {len(sent)} calls: {len(delays)} deliveries, missing {missing}, "
              f"delay after the call's answer p50 {pct(delays, 50):.0f} ms, p99 {pct(delays, 99):.0f} ms")
        for d in displays:
            d.stop = True
    finally:
        for k in kiosks:
            k.stop()
        postgres.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
