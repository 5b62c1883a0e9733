"""The hall display (叫号屏, /hall) in a real headless Chromium (Debian's chromium + chromium-driver,
driven by Debian's python3-selenium) against a real kioskd in hall mode. Run by Tests/HallTests.

    /usr/bin/python3 scripts/hall-display-test.py --url http://127.0.0.1:PORT --token STAFF_TOKEN
        --window 3 --voice-out FILE [--screenshot FILE]

Opens the display, calls the next ticket to the window through the API and measures how long the
display takes to show it (CALL_MS=…, must be under 1000), then fetches the voice file the page
asked for into --voice-out (VOICE_URL=…). Every wait is bounded. Exits 1 on a failure (FAIL why);
a missing chromium or chromedriver is a failure, never a skip.
"""
import argparse
import json
import os
import sys
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def fail(why):
    print(f"FAIL {why}")
    sys.exit(1)


def wait_for(what, timeout, probe, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    fail(f"{what} not within {timeout} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--window", required=True)
    parser.add_argument("--voice-out", required=True)
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            fail(f"setup: {path} is missing: apt-get install {package} (scripts/bootstrap.sh installs it)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        fail("setup: selenium is missing for /usr/bin/python3: apt-get install python3-selenium")
    base = args.url.rstrip("/")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1920,1080",
                 "--lang=zh-CN", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(base + "/hall")
        wait_for("the display's start", 30, lambda: driver.execute_script("return document.body.dataset.ready === 'true'"), 0.05)
        wait_for("the event stream", 15, lambda: driver.execute_script(
            "return document.getElementById('status').textContent.length > 0 && !document.getElementById('status').classList.contains('bad')"), 0.05)
        request = urllib.request.Request(f"{base}/api/v1/windows/{args.window}/call-next", method="POST",
                                         headers={"Authorization": "Bearer " + args.token})
        start = time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as answer:
            called = json.load(answer)
        ticket = called["ticket"]
        wait_for(f"{ticket} on the display", 5, lambda: driver.execute_script(
            "return document.getElementById('current').dataset.ticket") == ticket)
        elapsed = (time.monotonic() - start) * 1000
        print(f"CALL_MS={elapsed:.0f}")
        print(f"TICKET={ticket}")
        shown = driver.execute_script("return document.getElementById('current-text').textContent")
        print(f"SHOWN={shown}")
        if shown != f"请{ticket}号到{args.window}号窗口办理":
            fail(f"the display shows {shown!r}")
        spoken = wait_for("the voice request", 10, lambda: driver.execute_script("return window.hallDisplay.spoken()"), 0.05)
        url = base + spoken[-1]
        print(f"VOICE_URL={spoken[-1]}")
        with urllib.request.urlopen(url, timeout=30) as answer:
            if answer.headers.get("Content-Type") != "audio/wav":
                fail(f"voice answered {answer.headers.get('Content-Type')}")
            data = answer.read()
        with open(args.voice_out, "wb") as out:
            out.write(data)
        if args.screenshot:
            driver.save_screenshot(args.screenshot)
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        if errors:
            fail(f"console errors: {errors[:3]}")
        print("PASS display")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
