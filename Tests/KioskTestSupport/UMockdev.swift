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
