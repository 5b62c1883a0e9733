import ArgumentParser
import DeviceKit
import Foundation
import KioskConfig
import Logging
import PageImaging

/// `kioskctl camera …`: the document camera (V4L2) for technicians, and the page quality check.
struct CameraCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera", abstract: "Document camera (高拍仪) diagnostics: V4L2 nodes, formats, a capture, the page check.",
        subcommands: [List.self, Formats.self, Capture.self, Check.self])

    // Exit codes (README): 0 ok; 1 no camera / cannot open; 2 no frame in time; 3 the camera cannot do
    // what was asked (size, format, control); 4 other device failure; 5 the page failed the quality
    // check; 6 the file is not a readable JPEG; 7 the output could not be written.

    struct ProfileOptions: ParsableArguments {
        @Option(name: .long, help: "Camera profile name from devices/cameras/.") var profile = "generic-uvc-5mp"
        @Option(name: .long, help: "Device profiles directory.") var devices = "devices"

        func load() throws -> CameraProfile {
            do { return try CameraProfile.load(name: profile, profilesDirectory: devices) } catch {
                throw CommandFailure(3, "profile '\(profile)': \(error.errors.map(\.description).joined(separator: "; "))")
            }
        }
    }

    /// `kioskctl camera list`: the V4L2 capture nodes.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the V4L2 video capture nodes (/dev/video*).")
        @Flag(name: .long, help: "Print JSON.") var json = false

        struct Node: Encodable {
            var path: String
            var card: String
            var driver: String
            var busInfo: String
            var capture: Bool
        }

        func run() async throws {
            let nodes = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? [])
                .filter { $0.hasPrefix("video") }
                .sorted { (Int($0.dropFirst(5)) ?? 0) < (Int($1.dropFirst(5)) ?? 0) }
                .compactMap { name -> Node? in
                    guard let device = try? V4L2Device(path: "/dev/" + name), let caps = try? device.capabilities() else { return nil }
                    return Node(path: "/dev/" + name, card: caps.card, driver: caps.driver, busInfo: caps.busInfo,
                                capture: caps.canCapture && caps.canStream)
                }
            if json { Console.json(nodes); return }
            if nodes.isEmpty { Console.out("no V4L2 nodes found") }
            for node in nodes {
                Console.out("\(node.path)  \(node.card)  (\(node.driver), \(node.busInfo))\(node.capture ? "" : "  [no streaming capture]")")
            }
        }
    }

    /// `kioskctl camera formats`: pixel formats and frame sizes of one node.
    struct Formats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a camera's pixel formats and frame sizes.")
        @Option(name: .long, help: "The V4L2 node.") var path = "/dev/video0"
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            try CommandFailure.exitOnFailure("camera") {
                let device: V4L2Device
                let caps: V4L2Capabilities
                let formats: [V4L2FormatInfo]
                do throws(V4L2Error) {
                    device = try V4L2Device(path: path)
                    caps = try device.capabilities()
                    formats = try device.formats()
                } catch { throw CommandFailure(error) }
                do {
                    if json {
                        struct Out: Encodable { var path: String; var card: String; var formats: [V4L2FormatInfo] }
                        Console.json(Out(path: path, card: caps.card, formats: formats))
                        return
                    }
                    Console.out("\(path): \(caps.card) (\(caps.driver))")
                    for format in formats {
                        Console.out("  \(format.fourcc)  \(format.description): \(format.sizes.map(\.description).joined(separator: " "))")
                    }
                }
            }
        }
    }

    /// `kioskctl camera capture -o FILE`: one page through the real driver path.
    struct Capture: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Capture one page (JPEG) from a V4L2 camera, as kioskd does.")
        @Option(name: .long, help: "The V4L2 node.") var path = "/dev/video0"
        @OptionGroup var profileOptions: ProfileOptions
        @Option(name: .shortAndLong, help: "Where to write the JPEG ('-' for stdout).") var output: String
        @Option(name: .long, help: "Frame size WxH (default: the profile's capture size); MJPEG if the camera offers it at that size, else YUYV.")
        var size: String?
        @Flag(name: .long, help: "Also run the page quality check (exit 5 when it fails; the file is still written).") var check = false

        func run() async throws {
            try await CommandFailure.exitOnFailure("camera") {
                var profile = try profileOptions.load()
                if let size {
                    let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
                    guard parts.count == 2 else { throw CommandFailure(3, "--size '\(size)' is not WxH (e.g. 2592x1944)") }
                    profile.capture = try Self.mode(path: path, width: parts[0], height: parts[1])
                }
                var logger = Logger(label: "kioskctl.camera")
                logger.logLevel = .error
                let camera = V4L2Camera(binding: DeviceBinding(id: "camera", kind: .documentCamera, driver: .v4l2, path: path),
                                        profile: profile, logger: logger)
                let jpeg: [UInt8]
                do throws(V4L2Error) { jpeg = try await camera.capturePage() } catch { throw CommandFailure(error) }
                do {
                    if output == "-" { FileHandle.standardOutput.write(Data(jpeg)) } else { try Data(jpeg).write(to: URL(fileURLWithPath: output)) }
                } catch { throw CommandFailure(7, "cannot write \(output): \(error)") }
                let header = try? JPEGDecoder.header(jpeg)
                Console.err("captured \(header.map { "\($0.width)x\($0.height)" } ?? "?") \(profile.capture.format.rawValue), \(jpeg.count) bytes → \(output)")
                if check {
                    let verdict = PageQualityCheck.check(jpeg: jpeg, thresholds: profile.thresholds)
                    Console.err(Check.describe(verdict, thresholds: profile.thresholds))
                    if !verdict.passed { throw CommandFailure(5, verdict.problem?.chineseMessage ?? "quality check failed") }
                }
            }
        }

        /// MJPEG when the camera lists the size under MJPEG, else YUYV when it lists it there.
        static func mode(path: String, width: Int, height: Int) throws -> CameraProfile.Mode {
            let formats: [V4L2FormatInfo]
            do throws(V4L2Error) { formats = try V4L2Device(path: path).formats() } catch { throw CommandFailure(error) }
            let size = V4L2FormatInfo.Size(width: width, height: height)
            if formats.contains(where: { $0.fourcc == FourCC.mjpeg.description && $0.sizes.contains(size) }) {
                return .init(width: width, height: height, format: .mjpeg)
            }
            if formats.contains(where: { $0.fourcc == FourCC.yuyv.description && $0.sizes.contains(size) }) {
                return .init(width: width, height: height, format: .yuyv)
            }
            throw CommandFailure(3, "\(path) offers \(width)x\(height) neither as MJPG nor as YUYV (see `kioskctl camera formats`)")
        }
    }

    /// `kioskctl camera check FILE`: the page quality check on a JPEG file.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the page quality check (sharpness, exposure) on a JPEG file.")
        @Argument(help: "The JPEG file.") var file: String
        @OptionGroup var profileOptions: ProfileOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        struct Out: Encodable {
            var file: String
            var passed: Bool
            var problem: String?
            var message: String?
            var figures: QualityFigures?
            var thresholds: QualityThresholds
            var detail: String?
        }

        func run() async throws {
            try CommandFailure.exitOnFailure("camera") {
                let thresholds = try profileOptions.load().thresholds
                guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure(6, "cannot read \(file)") }
                let verdict = PageQualityCheck.check(jpeg: [UInt8](data), thresholds: thresholds)
                if json {
                    Console.json(Out(file: file, passed: verdict.passed, problem: verdict.problem?.rawValue,
                                     message: verdict.problem?.chineseMessage, figures: verdict.figures, thresholds: thresholds,
                                     detail: verdict.detail))
                } else {
                    Console.out(Self.describe(verdict, thresholds: thresholds))
                }
                switch verdict.problem {
                case nil: return
                case .unreadable?: throw ExitCode(6)
                default: throw ExitCode(5)
                }
            }
        }

        static func describe(_ verdict: QualityVerdict, thresholds t: QualityThresholds) -> String {
            var lines: [String] = []
            if let f = verdict.figures {
                lines.append("size         \(f.width)x\(f.height) (analysed at \(f.analysedWidth)x\(f.analysedHeight))")
                lines.append(String(format: "sharpness    %.1f (min %.0f)", f.sharpness, t.minimumSharpness))
                lines.append(String(format: "luminance    %.1f (%.0f–%.0f)", f.meanLuminance, t.minimumMeanLuminance, t.maximumMeanLuminance))
                lines.append(String(format: "clipped      %.1f %% (max %.0f %%)", f.clippedFraction * 100, t.maximumClippedFraction * 100))
            }
            if let detail = verdict.detail { lines.append("detail       \(detail)") }
            lines.append(verdict.problem.map { "verdict      refused: \($0.rawValue) — \($0.chineseMessage)" } ?? "verdict      passed")
            return lines.joined(separator: "\n")
        }
    }
}

extension CommandFailure {
    /// The camera commands' exit status for a driver failure (README: 1 no camera, 2 no frame in
    /// time, 3 the camera cannot do what was asked, 4 other device failure).
    init(_ error: V4L2Error) {
        let code: Int32 = switch error.code {
        case .noDevice, .gone, .busy: 1
        case .timedOut: 2
        case .unsupported: 3
        case .failed: 4
        }
        self.init(code, error.description)
    }
}
