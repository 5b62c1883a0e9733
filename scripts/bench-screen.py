#!/usr/bin/python3
"""The touch screen's figures in a real headless Chromium against a release kioskd (`make bench-screen`):

- attract screen interactive after navigation (DOMContentLoaded with the modules run, and the
  catalogue loaded and drawn), median and worst of 10 loads (target ≤ 1 s);
- the masked name on screen after the reader's read: the simulated reader reads the card inside
  `POST /api/v1/sim/idcard/place`, so from just before that request to the frame after the name
  was drawn, and the page's own part (SSE event received → painted), median and worst of 20
  (target ≤ 150 ms);
- the screen's assets (HTML, CSS, JavaScript; no fonts are downloaded) in bytes (target ≤ 300 KB);
- the JS heap after 10 and after 200 whole journeys in one page load (card, item, pages, submit,
  slip, rating on the pad, end), and every 50 journeys between (target within 10 % from 10 to 200).
  Each reading: the GC forced three times through CDP, then the page's usedJSHeapSize with V8's
  and Blink's heaps (Runtime.getHeapUsage) beside it; the median of five such readings; the slope
  per journey by least squares over all readings.

    /usr/bin/python3 scripts/bench-screen.py [--kioskd .build/release/kioskd] [--journeys 200]
    /usr/bin/python3 scripts/bench-screen.py --heap-only --journeys 150 --snapshot-at 10,150 [--snapshot-dir DIR]

The second form takes heap snapshots (.heapsnapshot, for Chromium's DevTools too) after 10 and 150
journeys and prints what is new in the last: by type and constructor, and what retains the largest
groups.

Printers are bound to the simulator (no cupsd), the rest of kiosk-config as shipped.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ITEM = "1237040049308563813720124002000001"   # 住房公积金提取（租赁住房）: three required pages


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kioskd", default=os.path.join(ROOT, ".build/release/kioskd"))
    parser.add_argument("--journeys", type=int, default=200)
    parser.add_argument("--heap-only", action="store_true", help="only the JS heap figure (skip load, card and asset figures)")
    parser.add_argument("--snapshot-at", default="", help="journey counts to take heap snapshots at, e.g. 10,150 (diffed first → last)")
    parser.add_argument("--snapshot-dir", default=None, help="where the .heapsnapshot files go (default: a temporary folder)")
    args = parser.parse_args()
    snapshot_points = [int(x) for x in args.snapshot_at.split(",") if x.strip()]
    snapshot_dir = args.snapshot_dir or (tempfile.mkdtemp(prefix="heap-snapshots-") if snapshot_points else None)
    if snapshot_dir:
        os.makedirs(snapshot_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-screen-")
    shutil.copytree(os.path.join(ROOT, "kiosk-config"), os.path.join(work, "kiosk-config"))
    shutil.copytree(os.path.join(ROOT, "devices"), os.path.join(work, "devices"))
    config = os.path.join(work, "kiosk-config", "kiosk.yaml")
    text = open(config, encoding="utf-8").read().replace("driver: cups", "driver: simulated")
    text = text.replace("    queue: receipt\n", "").replace("    queue: ticket\n", "")
    open(config, "w", encoding="utf-8").write(text)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(work, "kioskd.log"), "wb")
    kioskd = subprocess.Popen([args.kioskd, "--config", os.path.join(work, "kiosk-config"), "--listen", f"127.0.0.1:{port}",
                               "--data", os.path.join(work, "data"), "--log-format", "json", "--log-level", "info"],
                              stdout=subprocess.DEVNULL, stderr=log)
    driver = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
                    if b'"ok"' in r.read():
                        break
            except Exception:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("kioskd did not become healthy")
            time.sleep(0.05)
        driver = browser()
        bench(driver, base, args.journeys, os.path.join(work, "kioskd.log"), args.heap_only, snapshot_points, snapshot_dir)
    finally:
        if driver:
            driver.quit()
        kioskd.terminate()
        kioskd.wait(15)
        shutil.rmtree(work, ignore_errors=True)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1920,1080",
                 "--lang=zh-CN", "--autoplay-policy=no-user-gesture-required", "--enable-precise-memory-info",
                 "--js-flags=--expose-gc"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def post(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=15) as r:
        return r.status


def wait(driver, script, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = driver.execute_script(script)
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.005)
    raise SystemExit(f"timed out: {script}")


def tap(driver, css):
    wait(driver, f"const e = document.querySelector({json.dumps(css)}); if (e && !e.disabled) {{ e.click(); return true; }} return false")


def figures(name, values, unit="ms", target=None):
    values = sorted(values)
    line = f"{name}: median {statistics.median(values):.1f} {unit}, worst {values[-1]:.1f} {unit} (n={len(values)})"
    if target is not None:
        line += f" — target ≤ {target} {unit}: {'ok' if values[-1] <= target else 'MISSED'}"
    print(line, flush=True)


def last_read_ms(log_path):
    """When kioskd logged its last card read (its JSON log's millisecond time, same clock as the browser)."""
    from datetime import datetime
    last = None
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if '"ID card read"' in line:
                last = json.loads(line)["time"]
    return datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp() * 1000 if last else None


def bench(driver, base, journeys, log_path, heap_only=False, snapshot_points=(), snapshot_dir=None):
    if not heap_only:
        figures_before_heap(driver, base, log_path)
    heap_over_journeys(driver, base, journeys, snapshot_points, snapshot_dir)


def figures_before_heap(driver, base, log_path):
    # Attract screen interactive.
    interactive, ready = [], []
    for _ in range(10):
        driver.get(base + "/")
        wait(driver, "return window.__screenReady !== undefined && document.body.dataset.screen === 'attract'")
        nav = driver.execute_script("const n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd, window.__screenReady]")
        interactive.append(nav[0])
        ready.append(nav[1])
    figures("attract screen: DOMContentLoaded (modules run, screen drawn)", interactive, target=1000)
    figures("attract screen: catalogue loaded and drawn (interactive)", ready, target=1000)

    # Assets.
    entries = driver.execute_script("""
        const n = performance.getEntriesByType('navigation')[0];
        return [[n.name, n.encodedBodySize, n.decodedBodySize]].concat(performance.getEntriesByType('resource')
          .filter(e => new URL(e.name).pathname.startsWith('/screen/')).map(e => [e.name, e.encodedBodySize, e.decodedBodySize]))""")
    total = sum(e[2] for e in entries)
    print(f"screen assets: {len(entries)} files, {total / 1024:.1f} KB (no compression, no fonts downloaded) — target ≤ 300 KB: "
          f"{'ok' if total <= 300 * 1024 else 'MISSED'}")

    # Card read → masked name painted.
    wall, read, page = [], [], []
    for i in range(20):
        driver.execute_script("window.__cardPaint = null")
        t0 = time.time() * 1000
        post(base, "/api/v1/sim/idcard/place", {"name": "张三", "idNumber": "11010519491231002X"})
        paint = wait(driver, "return window.__cardPaint")
        wall.append(paint["wallPaintedAt"] - t0)
        read.append(paint["wallPaintedAt"] - last_read_ms(log_path))
        page.append(paint["paintedAt"] - paint["eventAt"])
        post(base, "/api/v1/sim/idcard/remove")
        tap(driver, "#end-session")
        wait(driver, "return document.body.dataset.screen === 'attract'")
    figures("card read (kioskd's log) → masked name painted", read, target=150)
    figures("card placed (the simulated SAM read, ~1.3 KB at 115,200 baud, included) → masked name painted", wall)
    figures("SSE event received → painted (the page's part)", page)



def heap_over_journeys(driver, base, journeys, snapshot_points, snapshot_dir):
    # JS heap over journeys in one page load. The journeys are driven from inside the page (taps as
    # clicks, the simulators called same-origin), so WebDriver's own scripts do not pile up in the
    # page's heap and blur the figure.
    driver.get(base + "/")
    wait(driver, "return window.__screenReady !== undefined && document.body.dataset.screen === 'attract'")
    driver.set_script_timeout(3600)

    def run(count):
        started = time.monotonic()
        error = driver.execute_async_script(JOURNEYS_JS, count, ITEM)
        if error:
            raise SystemExit(f"journey failed: {error}")
        return time.monotonic() - started

    # The heap is read the same way at every point: GC forced through CDP several times (not
    # window.gc() from a WebDriver script, which itself allocates in the page), then V8's used heap
    # (Runtime.getHeapUsage, exact, not performance.memory's rounded figure); the median of a few
    # such readings a little apart, so a GC that happened to free less one time does not decide.
    def heap():
        readings = []
        for _ in range(HEAP_READINGS):
            for _ in range(3):
                driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
                time.sleep(0.1)
            usage = driver.execute_cdp_cmd("Runtime.getHeapUsage", {})
            page = driver.execute_script("return performance.memory.usedJSHeapSize")
            readings.append((page, usage["usedSize"], usage.get("embedderHeapUsedSize", 0)))
            time.sleep(0.3)
        return tuple(statistics.median(r[i] for r in readings) for i in range(3))

    snapshots = {}
    snapshot_at = set(snapshot_points or [])
    cdp = CDP(driver) if snapshot_at else None

    def snapshot(done):
        if done in snapshot_at and cdp:
            path = os.path.join(snapshot_dir, f"heap-{done}.heapsnapshot")
            cdp.heap_snapshot(path)
            snapshots[done] = path
            print(f"heap snapshot after {done} journeys: {path}", flush=True)

    seconds = run(10)
    after10 = heap()
    snapshot(10)
    points = [(10, after10)]
    done = 10
    marks = sorted({50 * k for k in range(1, journeys // 50 + 1)} | snapshot_at | {journeys})
    for mark in marks:
        if mark <= done or mark > journeys:
            continue
        seconds += run(mark - done)
        done = mark
        points.append((done, heap()))
        snapshot(done)
    # The target is on the page's JS heap as the page itself sees it (performance.memory's
    # usedJSHeapSize, as before); V8's own used size and Blink's (the DOM, performance entries:
    # the embedder heap) are printed beside it.
    names = ("JS heap (performance.memory.usedJSHeapSize)", "V8 used heap (Runtime.getHeapUsage)",
             "Blink's heap (embedder, Runtime.getHeapUsage)")
    xs = [n for n, _ in points]
    for i, name in enumerate(names):
        ys = [r[i] for _, r in points]
        first, last = ys[0], ys[-1]
        growth = (last - first) / first * 100 if first else float("nan")
        mx, my = statistics.mean(xs), statistics.mean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs) if len(xs) > 1 else 0.0
        along = ", ".join(f"{n}: {y / 1e6:.3f}" for n, y in zip(xs, ys))
        verdict = f" — target within 10 %: {'ok' if abs(growth) <= 10 else 'MISSED'}" if i == 0 else ""
        print(f"{name}: {first / 1e6:.3f} MB after 10 journeys, {last / 1e6:.3f} MB after {journeys} ({growth:+.1f} %){verdict}; "
              f"slope {slope / 1024:+.2f} KB a journey (least squares); MB along the way {along}", flush=True)
    print(f"(each reading: GC forced 3× through CDP, median of {HEAP_READINGS} readings; {seconds / journeys:.2f} s a journey)", flush=True)
    if len(snapshots) >= 2:
        first, last = min(snapshots), max(snapshots)
        heap_diff(snapshots[first], snapshots[last], f"{first} → {last} journeys")


HEAP_READINGS = 5


class CDP:
    """A minimal Chrome DevTools Protocol client over the page's own WebSocket (stdlib only), for
    what chromedriver's execute_cdp_cmd cannot do: commands whose results arrive as events (a heap
    snapshot comes in HeapProfiler.addHeapSnapshotChunk events)."""

    def __init__(self, driver):
        import base64, hashlib
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        with urllib.request.urlopen(f"http://{address}/json", timeout=10) as r:
            targets = json.loads(r.read())
        page = next(t for t in targets if t.get("type") == "page")
        url = page["webSocketDebuggerUrl"]
        host, _, path = url[len("ws://"):].partition("/")
        name, _, port = host.partition(":")
        self.sock = socket.create_connection((name, int(port)), timeout=120)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += self.sock.recv(4096)
        head, _, self.buffer = answer.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit(f"CDP WebSocket refused: {head[:200]!r}")
        self.next_id = 1

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise SystemExit("CDP WebSocket closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _message(self):
        parts = []
        while True:
            b0, b1 = self._read(2)
            length = b1 & 0x7F
            if length == 126:
                length = int.from_bytes(self._read(2), "big")
            elif length == 127:
                length = int.from_bytes(self._read(8), "big")
            payload = self._read(length)
            opcode = b0 & 0x0F
            if opcode in (0x1, 0x2, 0x0):
                parts.append(payload)
                if b0 & 0x80:
                    return json.loads(b"".join(parts))
            # ping/pong/close frames are not expected from a page target; skipped

    def send(self, method, params=None, on_event=None):
        ident = self.next_id
        self.next_id += 1
        payload = json.dumps({"id": ident, "method": method, "params": params or {}}).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + len(payload).to_bytes(8, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        while True:
            message = self._message()
            if message.get("id") == ident:
                if "error" in message:
                    raise SystemExit(f"CDP {method}: {message['error']}")
                return message.get("result")
            if on_event and "method" in message:
                on_event(message)

    def heap_snapshot(self, path):
        chunks = []
        self.send("HeapProfiler.enable")
        self.send("HeapProfiler.collectGarbage")
        self.send("HeapProfiler.takeHeapSnapshot", {"reportProgress": False, "captureNumericValue": False},
                  on_event=lambda m: chunks.append(m["params"]["chunk"]) if m["method"] == "HeapProfiler.addHeapSnapshotChunk" else None)
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(chunks))


def load_snapshot(path):
    """A .heapsnapshot as per-node tuples (type, name, id, self size) and each node's retainers."""
    with open(path, encoding="utf-8") as f:
        snap = json.load(f)
    meta = snap["snapshot"]["meta"]
    node_fields, edge_fields = meta["node_fields"], meta["edge_fields"]
    node_types, edge_types = meta["node_types"][0], meta["edge_types"][0]
    strings, nodes, edges = snap["strings"], snap["nodes"], snap["edges"]
    nf, ef = len(node_fields), len(edge_fields)
    it, iname, iid, isize, iedges = (node_fields.index(k) for k in ("type", "name", "id", "self_size", "edge_count"))
    etype, ename, eto = (edge_fields.index(k) for k in ("type", "name_or_index", "to_node"))
    count = len(nodes) // nf
    info = []
    for n in range(count):
        base = n * nf
        info.append((node_types[nodes[base + it]], strings[nodes[base + iname]], nodes[base + iid], nodes[base + isize]))
    retainers = [[] for _ in range(count)]
    e = 0
    for n in range(count):
        for _ in range(nodes[n * nf + iedges]):
            kind = edge_types[edges[e + etype]]
            if kind != "weak":
                to = edges[e + eto] // nf
                label = edges[e + ename]
                label = strings[label] if kind in ("context", "property", "internal", "shortcut") else f"[{label}]"
                retainers[to].append((n, kind, label))
            e += ef
    return info, retainers


def heap_diff(before_path, after_path, label, top=25):
    """Objects in the second snapshot that were not in the first (by V8's stable node id), grouped
    by type and constructor, with the retainers that hold the most of them."""
    import collections
    before, _ = load_snapshot(before_path)
    after, retainers = load_snapshot(after_path)
    old_ids = {i[2] for i in before}
    totals = lambda info: (len(info), sum(i[3] for i in info))
    print(f"heap snapshots {label}: {totals(before)[0]:,} → {totals(after)[0]:,} objects, "
          f"{totals(before)[1] / 1e6:.3f} → {totals(after)[1] / 1e6:.3f} MB self size")
    def group(info):
        g = collections.Counter()
        s = collections.Counter()
        for t, name, _, size in info:
            key = (t, name[:60] if t not in ("string", "concatenated string", "sliced string", "number") else "")
            g[key] += 1
            s[key] += size
        return g, s
    bc, bs = group(before)
    ac, as_ = group(after)
    keys = set(bc) | set(ac)
    rows = sorted(keys, key=lambda k: as_[k] - bs[k], reverse=True)[:top]
    print(f"  {'type':<14} {'constructor/name':<50} {'count':>14} {'self bytes':>18}")
    for k in rows:
        print(f"  {k[0]:<14} {k[1]:<50} {bc[k]:>6}→{ac[k]:<7} {bs[k]:>8}→{as_[k]:<9}")
    fresh = [n for n, i in enumerate(after) if i[2] not in old_ids]
    by_class = collections.Counter()
    size_by_class = collections.Counter()
    for n in fresh:
        t, name, _, size = after[n]
        key = (t, name[:60] if t not in ("string", "concatenated string", "sliced string", "number") else "")
        by_class[key] += 1
        size_by_class[key] += size
    print(f"  new since the first snapshot: {len(fresh):,} objects, {sum(after[n][3] for n in fresh) / 1e3:.1f} KB; "
          f"the largest groups and what retains them:")
    fresh_set = set(fresh)
    for key, size in size_by_class.most_common(12):
        holders = collections.Counter()
        for n in fresh:
            t, name, _, _ = after[n]
            if (t, name[:60] if t not in ("string", "concatenated string", "sliced string", "number") else "") != key:
                continue
            for parent, kind, edge in retainers[n][:3]:
                pt, pname, _, _ = after[parent]
                holders[f"{pt}:{pname[:40]} --{kind}:{str(edge)[:30]}-->{' (new)' if parent in fresh_set else ''}"] += 1
        print(f"    {key[0]} {key[1]!r}: {by_class[key]} objects, {size / 1e3:.1f} KB; held by: "
              + "; ".join(f"{h} ×{c}" for h, c in holders.most_common(4)))


JOURNEYS_JS = r"""
const [count, item, done] = arguments;
const q = (s) => document.querySelector(s);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(f, what) {
  const end = performance.now() + 20000;
  while (performance.now() < end) { const v = f(); if (v) return v; await pause(5); }
  throw new Error('timed out: ' + what);
}
async function tap(sel) { (await until(() => { const e = q(sel); return e && !e.disabled && e; }, sel)).click(); }
const sim = (path, body) => fetch('/api/v1/sim/' + path, { method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: body ? JSON.stringify(body) : undefined });
const on = (screen) => until(() => document.body.dataset.screen === screen, screen);
(async () => {
  for (let n = 0; n < count; n++) {
    await sim('idcard/place', { name: '张三', idNumber: '11010519491231002X' });
    await on('services');
    await sim('idcard/remove');
    await tap('#item-' + item); await on('notice');
    await tap('#start'); await on('materials');
    while (q('#materials-next').disabled) {
      const pages = document.querySelectorAll('.page').length;
      await tap('#take');
      await until(() => document.querySelectorAll('.page').length !== pages || q('#refusal'), 'a page');
    }
    await tap('#materials-next'); await on('delivery');
    await tap('#submit'); await until(() => q('#take-slip'), 'the slip');
    await tap('#rate'); await until(() => (q('#rating-hint') || {}).textContent?.includes('评价器上'), 'the pad asked');
    // The pad ignores a key pressed again within its debounce time; a citizen is never that quick.
    await pause(400);
    await sim('pad/press', { level: 5 }); await on('thanks');
    await tap('#thanks-end'); await on('attract');
  }
})().then(() => done(null), (e) => done(String(e)));
"""


if __name__ == "__main__":
    main()
