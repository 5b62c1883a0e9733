#!/usr/bin/python3
"""Emulate a UVC document camera at /dev/video0 below the kiosk's V4L2 driver (umockdev testbed +
a programmable ioctl handler) and run a command against it.

Run under umockdev-wrapper with Debian's python3 (it has gi):
  umockdev-wrapper /usr/bin/python3 v4l2-camera.py [--mode MODE] [--log FILE] [--mjpeg FILE]... -- COMMAND ARGS...

The handler answers the V4L2 ABI the way a UVC camera does: VIDIOC_QUERYCAP (capture + streaming),
ENUM_FMT / ENUM_FRAMESIZES (MJPG 2592x1944, 1600x1200; YUYV 640x480, 320x240), S_FMT (a size or
format the camera lacks is adjusted, as drivers do), QUERYCTRL / S_CTRL ("Brightness" -64..64,
"Focus, Automatic Continuous" 0..1; no "Auto Exposure"), REQBUFS, QBUF, DQBUF, STREAMON/OFF.
MMAP streaming is refused with EINVAL (except in mode mmap): mmap() of umockdev's node fails with
ENODEV and mapped memory could not be filled from here, so the driver's USERPTR fallback is what
runs; DQBUF writes the frame into the client's USERPTR buffer. MJPEG frames are the --mjpeg files in turn (frame n = file n mod count); YUYV
frames have luma = 4 * (x mod 64) and neutral chroma.

Modes: normal; mmap (REQBUFS MMAP and QUERYBUF are granted; mmap() of the emulated node then
fails with ENODEV, so the driver must fall back to USERPTR); noframes (DQBUF always EAGAIN: the driver must time out); unplug (DQBUF answers
ENODEV: the camera was pulled mid-stream); absent (every ioctl ENODEV after open).
Every ioctl is logged (one name per line) to --log. Exit status: the command's.

--state FILE drives hot-plug while the command runs (read every 20 ms): "present" (the default),
"gone" (every ioctl answers ENODEV: unplugged, the open handle is dead), "removed" (the node is
removed from the testbed: uevent remove + remove_device; it cannot be added back: umockdev 0.17.16
aborts re-creating a node that had an ioctl handler), "stop" (the
command is sent SIGTERM and the script exits with its status).
"""
import ctypes
import signal
import struct
import subprocess
import sys

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import GLib, UMockdev  # noqa: E402

ENODEV, EAGAIN, EINVAL = 19, 11, 22
MJPG = 0x47504A4D
YUYV = 0x56595559
FORMATS = [(MJPG, b"Motion-JPEG", [(2592, 1944), (1600, 1200)]),
           (YUYV, b"YUYV 4:2:2", [(640, 480), (320, 240)])]
CONTROLS = [(0x00980900, b"Brightness", -64, 64), (0x009A090C, b"Focus, Automatic Continuous", 0, 1)]
NAMES = {0: "QUERYCAP", 2: "ENUM_FMT", 4: "G_FMT", 5: "S_FMT", 8: "REQBUFS", 9: "QUERYBUF", 15: "QBUF", 17: "DQBUF",
         18: "STREAMON", 19: "STREAMOFF", 27: "G_CTRL", 28: "S_CTRL", 36: "QUERYCTRL", 74: "ENUM_FRAMESIZES"}

DESCRIPTION = """P: /devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/video4linux/video0
N: video0
E: DEVNAME=/dev/video0
E: SUBSYSTEM=video4linux
E: MAJOR=81
E: MINOR=0
A: dev=81:0
A: name=Generic UVC Document Camera\\n
"""


class Camera(UMockdev.IoctlBase):
    def __init__(self, mode, log, mjpeg):
        super().__init__()
        self.mode = mode
        self.log = log
        self.mjpeg = mjpeg
        self.format = (MJPG, 2592, 1944)
        self.memory = 0
        self.queued = []
        self.streaming = False
        self.frames = 0

    def note(self, text):
        if self.log:
            self.log.write(text + "\n")
            self.log.flush()

    def frame(self):
        fourcc, width, height = self.format
        self.frames += 1
        if fourcc == MJPG:
            return self.mjpeg[(self.frames - 1) % len(self.mjpeg)]
        row = bytearray()
        for x in range(0, width, 2):
            row += bytes([(4 * x) % 256, 128, (4 * (x + 1)) % 256, 128])
        return bytes(row) * height

    def do_handle_ioctl(self, client):
        request = client.get_request()
        nr, size = request & 0xFF, (request >> 16) & 0x3FFF
        if (request >> 8) & 0xFF != ord("V"):
            return False
        name = NAMES.get(nr, "nr%d" % nr)
        arg = client.get_arg()
        data = arg.resolve(0, size) if size else None
        raw = bytes(data.retrieve()) if data else b""
        result, error = self.answer(name, raw, data)
        self.note(name + ("" if error == 0 else " -> errno %d" % error))
        client.complete(result, error)
        return True

    def answer(self, name, raw, data):
        if self.mode in ("absent", "gone") or (self.mode == "unplug" and name == "DQBUF"):
            return -1, ENODEV
        if name == "QUERYCAP":
            caps = 0x1 | 0x04000000
            data.update(0, struct.pack("16s32s32sIII", b"uvcvideo", b"Generic UVC Document Camera", b"usb-0000:00:14.0-1",
                                       0x060100, caps | 0x80000000, caps))
            return 0, 0
        if name == "ENUM_FMT":
            index, kind = struct.unpack_from("II", raw)
            if kind != 1 or index >= len(FORMATS):
                return -1, EINVAL
            fourcc, text, _ = FORMATS[index]
            data.update(8, struct.pack("I32sI", 0 if fourcc == YUYV else 1, text, fourcc))
            return 0, 0
        if name == "ENUM_FRAMESIZES":
            index, fourcc = struct.unpack_from("II", raw)
            sizes = next((s for f, _, s in FORMATS if f == fourcc), None)
            if sizes is None or index >= len(sizes):
                return -1, EINVAL
            data.update(8, struct.pack("III", 1, sizes[index][0], sizes[index][1]))
            return 0, 0
        if name in ("S_FMT", "G_FMT"):
            if name == "S_FMT":
                if self.streaming:
                    return -1, 16  # EBUSY
                width, height, fourcc = struct.unpack_from("III", raw, 8)
                sizes = next((s for f, _, s in FORMATS if f == fourcc), None)
                if sizes is None:
                    fourcc, sizes = MJPG, FORMATS[0][2]
                if (width, height) not in sizes:
                    width, height = sizes[0]
                self.format = (fourcc, width, height)
            fourcc, width, height = self.format
            line = width * 2 if fourcc == YUYV else 0
            image = width * height * 2 if fourcc == YUYV else width * height  # MJPEG: the worst case UVC reports
            data.update(8, struct.pack("IIIIII", width, height, fourcc, 1, line, image))
            return 0, 0
        if name == "QUERYCTRL":
            wanted = struct.unpack_from("I", raw)[0]
            following = wanted & 0x80000000
            wanted &= 0x7FFFFFFF
            match = next((c for c in CONTROLS if (c[0] > wanted if following else c[0] == wanted)), None)
            if match is None:
                return -1, EINVAL
            cid, text, low, high = match
            data.update(0, struct.pack("II32siiii", cid, 1, text, low, high, 1, 0))
            return 0, 0
        if name == "S_CTRL":
            cid, value = struct.unpack_from("Ii", raw)
            control = next((c for c in CONTROLS if c[0] == cid), None)
            if control is None or not control[2] <= value <= control[3]:
                return -1, EINVAL
            self.note("control %s=%d" % (control[1].decode(), value))
            return 0, 0
        if name == "REQBUFS":
            count, kind, memory = struct.unpack_from("III", raw)
            if memory == 1 and self.mode != "mmap":   # MMAP: cannot be emulated on this node (see the docstring)
                return -1, EINVAL
            if count == 0:
                self.queued = []
                return 0, 0
            self.memory = memory
            data.update(0, struct.pack("I", min(count, 4)))
            return 0, 0
        if name == "QUERYBUF":
            index, = struct.unpack_from("I", raw)
            fourcc, width, height = self.format
            length = width * height * 2
            data.update(64, struct.pack("QI", index * length, length))   # m.offset, length
            return 0, 0
        if name == "QBUF":
            index, = struct.unpack_from("I", raw)
            pointer, length = struct.unpack_from("QI", raw, 64)
            self.queued.append((index, pointer, length))
            return 0, 0
        if name == "STREAMON":
            self.streaming = True
            return 0, 0
        if name == "STREAMOFF":
            self.streaming = False
            self.queued = []
            return 0, 0
        if name == "DQBUF":
            if self.mode == "noframes" or not self.streaming or not self.queued:
                return -1, EAGAIN
            index, pointer, length = self.queued.pop(0)
            frame = self.frame()
            if len(frame) > length:
                return -1, EINVAL
            # DQBUF's argument carries no pointer: put the one QBUF lent, then write through it.
            data.update(64, struct.pack("Q", pointer))
            target = data.resolve(64, length)
            if target is None:
                return -1, EINVAL
            target.update(0, frame)
            data.update(0, struct.pack("IIII", index, 1, len(frame), 0x1))
            data.update(56, struct.pack("II", self.frames, 2))
            data.update(72, struct.pack("I", length))
            return 0, 0
        return -1, EINVAL


def main():
    sep = sys.argv.index("--")
    options, command = sys.argv[1:sep], sys.argv[sep + 1:]
    mode, log, mjpeg, state_file = "normal", None, [], None
    while options:
        key, value = options.pop(0), options.pop(0)
        if key == "--mode":
            mode = value
        elif key == "--log":
            log = open(value, "w")
        elif key == "--state":
            state_file = value
        elif key == "--mjpeg":
            mjpeg.append(open(value, "rb").read())
    if not mjpeg:
        mjpeg = [bytes([0xFF, 0xD8, 0xFF, 0xD9])]
    testbed = UMockdev.Testbed.new()
    handler = Camera(mode, log, mjpeg)
    testbed.attach_ioctl("/dev/video0", handler)
    if not testbed.add_from_string(DESCRIPTION):
        raise SystemExit("cannot add the camera description")

    loop = GLib.MainLoop()
    # If this script dies (umockdev aborts on some misuse), the command must not outlive it.
    libc = ctypes.CDLL(None, use_errno=True)
    child = subprocess.Popen(command, preexec_fn=lambda: libc.prctl(1, signal.SIGTERM))  # PR_SET_PDEATHSIG
    status = {}
    syspath = "/sys" + DESCRIPTION.splitlines()[0][3:]
    plugged = {"state": "present"}

    def follow(state):
        if state == plugged["state"] or state not in ("present", "gone", "removed", "stop"):
            return
        if state == "stop":
            child.terminate()
            return
        if plugged["state"] == "removed":
            # umockdev 0.17.16 aborts when a node with an ioctl handler is added again after
            # remove_device (umockdev_testbed_create_node_for_device: !dev_fd.contains(devname)),
            # so a removed node stays removed.
            print("state: a removed node cannot come back under umockdev 0.17", flush=True)
            return
        if state == "removed":
            testbed.uevent(syspath, "remove")
            testbed.remove_device(syspath)
        # The open handle of a removed node answers ENODEV too, as the kernel's does.
        handler.mode = "gone" if state in ("gone", "removed") else mode
        plugged["state"] = state
        print("state: " + state, flush=True)

    def check():
        if state_file:
            try:
                follow(open(state_file).read().strip())
            except FileNotFoundError:
                pass
        code = child.poll()
        if code is None:
            return True
        status["code"] = code
        loop.quit()
        return False

    GLib.timeout_add(20, check)
    loop.run()
    sys.exit(status["code"])


if __name__ == "__main__":
    main()
