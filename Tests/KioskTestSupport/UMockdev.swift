import Foundation

/// Runs a program under `umockdev-run` with emulated devices, so the real libusb / termios code
/// talks to a device described by fixture files (see ../shared/docs/hardware-testing.md).
/// Fails loudly if umockdev is not installed: tests that need it never skip.
public enum UMockdev {
    /// One emulated device node with its script.
    public enum Script {
        /// `-i NODE=FILE`: a USB ioctl (URB) replay.
        case ioctl(node: String, file: String)
        /// `-s NODE=FILE`: a serial read/write script.
        case serial(node: String, file: String)
        /// `-e NODE=FILE`: an evdev event recording.
        case evdev(node: String, file: String)
    }

    /// Runs `program` with the devices of `descriptions` (`.umockdev` files) and the scripts.
    public static func run(devices descriptions: [String], scripts: [Script] = [], program: String, arguments: [String],
                           environment: [String: String] = [:], timeout: Duration = .seconds(60)) throws -> ProcessResult {
        let umockdevRun = try ChildProcess.which("umockdev-run", package: "umockdev")
        var args: [String] = []
        for description in descriptions { args += ["-d", description] }
        for script in scripts {
            switch script {
            case let .ioctl(node, file): args += ["-i", "\(node)=\(file)"]
            case let .serial(node, file): args += ["-s", "\(node)=\(file)"]
            case let .evdev(node, file): args += ["-e", "\(node)=\(file)"]
            }
        }
        args += ["--", program] + arguments
        return try ChildProcess.run(umockdevRun, args, environment: environment, timeout: timeout)
    }
}

extension UMockdev {
    /// Runs `program` under `umockdev-wrapper` with a device emulated by a Python script of
    /// umockdev's testbed API (a programmable ioctl handler, e.g. `scripts/umockdev/v4l2-camera.py`).
    /// Needs Debian's /usr/bin/python3 with gi and the UMockdev typelib: fails loudly without them.
    public static func runWithHandler(script: String, scriptArguments: [String] = [], program: String, arguments: [String],
                                      timeout: Duration = .seconds(60)) throws -> ProcessResult {
        let wrapper = try ChildProcess.which("umockdev-wrapper", package: "umockdev")
        let python = "/usr/bin/python3"
        let probe = try ChildProcess.run(python, ["-c", "import gi; gi.require_version('UMockdev', '1.0'); from gi.repository import UMockdev"])
        guard probe.status == 0 else {
            throw TestSupportError("Debian's python3 cannot load UMockdev (install python3-gi gir1.2-umockdev-1.0): \(probe.stderr)")
        }
        return try ChildProcess.run(wrapper, [python, script] + scriptArguments + ["--", program] + arguments, timeout: timeout)
    }
}
