import DeviceKit
import Foundation
import KioskConfig
import KioskTestSupport
import Testing

/// Camera profiles load like the other device profiles: typed, unknown keys refused, every value
/// problem reported at its file and line.
@Suite struct CameraProfileTests {
    @Test func theGenericUVCProfileLoads() throws {
        let profile = try CameraProfile.load(name: "generic-uvc-5mp", profilesDirectory: RepoPaths.devices)
        #expect(profile.capture == .init(width: 2592, height: 1944, format: .mjpeg))
        #expect(profile.preview == .init(width: 640, height: 480, format: .yuyv))
        #expect(profile.controls?.map(\.name) == ["Focus, Automatic Continuous", "Auto Exposure", "Brightness"])
        #expect(profile.thresholds.minimumSharpness == 120)
        #expect(profile.problems.isEmpty)
    }

    @Test func badValuesAreNamedByLine() throws {
        let dir = try TemporaryDirectory("camera-profile")
        defer { dir.remove() }
        let path = dir.file("bad.yaml")
        try """
        name: broken
        capture: { width: 2592, height: 1944, format: mjpeg }
        preview: { width: 641, height: 480, format: yuyv }
        buffers: 12
        quality:
          minimumSharpness: 120
          minimumMeanLuminance: 200
          maximumMeanLuminance: 100
          maximumClippedFraction: 0.5
          analysisWidth: 640
        """.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try CameraProfile.load(path: path)
            Issue.record("an odd YUYV width, 12 buffers and crossed luminance limits were accepted")
        } catch {
            let byLine = Dictionary(grouping: error.errors, by: { $0.line ?? 0 })
            #expect(byLine[3]?.contains { $0.message.contains("preview.width") && $0.message.contains("even") } == true, "\(error)")
            #expect(byLine[4]?.contains { $0.message.contains("buffers") } == true, "\(error)")
            #expect(error.errors.contains { $0.message.contains("minimumMeanLuminance must be below maximumMeanLuminance") }, "\(error)")
            #expect(error.errors.allSatisfy { $0.file == path })
        }
    }

    @Test func anUnknownKeyIsRefused() throws {
        let dir = try TemporaryDirectory("camera-profile")
        defer { dir.remove() }
        let path = dir.file("typo.yaml")
        try "name: t\ncapture: { width: 640, height: 480, format: yuyv }\nwarmupFrame: 2\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { _ = try CameraProfile.load(path: path) }
    }

    @Test func configCheckReportsABrokenCameraProfileByLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.replaceFirst("  - id: camera\n    kind: documentCamera\n    driver: simulated",
                                 with: "  - id: camera\n    kind: documentCamera\n    driver: v4l2\n    path: /dev/video0\n    profile: generic-uvc-5mp",
                                 in: "kiosk.yaml")
        let profile = fixture.root.path + "/devices/cameras/generic-uvc-5mp.yaml"
        let text = try String(contentsOfFile: profile, encoding: .utf8).replacingOccurrences(of: "jpegQuality: 85", with: "jpegQuality: 5")
        try text.write(toFile: profile, atomically: true, encoding: .utf8)
        let line = text.components(separatedBy: "\n").firstIndex { $0.hasPrefix("jpegQuality:") }.map { $0 + 1 }
        let result = try ChildProcess.run(try RepoPaths.binary("kioskctl"), ["config", "check", "--config", fixture.directory])
        #expect(result.status == 1)
        #expect(result.stderr.contains("generic-uvc-5mp.yaml:\(try #require(line)):"), "\(result.stderr)")
        #expect(result.stderr.contains("jpegQuality: must be 30–100"))
    }

    @Test func aV4L2BindingWithABrokenProfileReportsItInsteadOfRunning() async throws {
        let dir = try TemporaryDirectory("camera-profile")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("cameras"), withIntermediateDirectories: true)
        try "name: x\ncapture: { width: 3, height: 480, format: mjpeg }\n".write(toFile: dir.file("cameras/x.yaml"), atomically: true, encoding: .utf8)
        let binding = DeviceBinding(id: "camera", kind: .documentCamera, driver: .v4l2, profile: "x", path: "/dev/video9")
        let device = try #require(DeviceFactory.makeDevices(for: [binding], profilesDirectory: dir.path, logger: .init(label: "t")).first)
        let report = await device.checkStatus()
        #expect(report.status == .noDevice)
        #expect(report.action == .configuration)
        #expect(report.detail?.contains("capture.width") == true)
    }
}
