#!/usr/bin/python3
"""Unplug and re-plug an emulated USB reader under a running kioskd (umockdev's testbed API).

Run under umockdev-wrapper with Debian's python3 (it has gi):
  umockdev-wrapper /usr/bin/python3 hotplug.py DESCRIPTION IOCTL DEVNODE HEALTH_URL DEVICE_ID -- kioskd ARGS...

Plugs the device (description + URB replay), starts kioskd, then waits through health for the
device to be online, unplugs it (uevent remove + remove_device) and waits for powerOff, plugs it
back and waits for online again. Prints one line per step; exits 0 when every step was seen.
"""
import json
import subprocess
import sys
import time
import urllib.request

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402


def main():
    sep = sys.argv.index("--")
    description, ioctl, node, health_url, device_id = sys.argv[1:sep]
    command = sys.argv[sep + 1:]
    testbed = UMockdev.Testbed.new()
    text = open(description).read()

    syspath = "/sys" + next(line[3:].strip() for line in text.splitlines() if line.startswith("P: "))

    def plug():
        if not testbed.add_from_string(text):
            raise SystemExit("cannot add the device description")
        testbed.load_ioctl(node, ioctl)

    def device_status():
        try:
            with urllib.request.urlopen(health_url, timeout=1) as response:
                body = json.load(response)
        except Exception:
            return None
        for device in body.get("devices", []):
            if device.get("id") == device_id:
                return device.get("status")
        return None

    def wait_for(status, timeout=20):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = device_status()
            if last == status:
                print(f"step: {device_id} {status}", flush=True)
                return True
            time.sleep(0.05)
        print(f"FAILED: {device_id} stayed {last}, expected {status}", flush=True)
        return False

    plug()
    child = subprocess.Popen(command)
    ok = False
    try:
        ok = wait_for("online")
        if ok:
            testbed.uevent(syspath, "remove")
            testbed.remove_device(syspath)
            print("step: unplugged", flush=True)
            ok = wait_for("powerOff")
        if ok:
            plug()
            testbed.uevent(syspath, "add")
            print("step: plugged back", flush=True)
            ok = wait_for("online")
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
