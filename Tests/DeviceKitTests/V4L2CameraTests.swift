import Foundation
import KioskTestSupport
import PageImaging
import Testing

/// The V4L2 driver below itself: `kioskctl camera` (the same `V4L2Camera` kioskd uses) against a
/// camera emulated by umockdev's programmable ioctl handler (`scripts/umockdev/v4l2-camera.py`),
/// which answers the kernel ABI — QUERYCAP, ENUM_FMT, ENUM_FRAMESIZES, S_FMT, QUERYCTRL, S_CTRL,
/// REQBUFS, QUERYBUF, QBUF, DQBUF, STREAMON/OFF — and fills the driver's USERPTR buffers. MMAP
/// cannot be emulated (mmap() of umockdev's node fails with ENODEV; mapped memory could not be
/// filled from the handler either), so these tests drive the USERPTR fallback, after a refused
/// REQBUFS(MMAP) and after a failed mmap(). They never skip: missing umockdev fails them.
@Suite(.serialized) struct V4L2CameraTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory("v4l2") }

    /// Runs `kioskctl camera ARGS` against the emulated camera; returns the result and the ioctl log.
    func run(_ arguments: [String], mode: String = "normal", mjpeg: [String] = []) throws -> (ProcessResult, [String]) {
        let log = directory.file("ioctl-\(UUID().uuidString.prefix(6)).log")
        var scriptArguments = ["--mode", mode, "--log", log]
        for file in mjpeg { scriptArguments += ["--mjpeg", file] }
        let result = try UMockdev.runWithHandler(script: RepoPaths.scripts + "/umockdev/v4l2-camera.py", scriptArguments: scriptArguments,
                                                 program: try RepoPaths.binary("kioskctl"),
                                                 arguments: ["camera"] + arguments + ["--devices", RepoPaths.devices])
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        return (result, lines)
    }

    func runFormats() throws -> (ProcessResult, [String]) {
        // `formats` takes no --devices: call it without.
        let log = directory.file("formats.log")
        let result = try UMockdev.runWithHandler(script: RepoPaths.scripts + "/umockdev/v4l2-camera.py", scriptArguments: ["--log", log],
                                                 program: try RepoPaths.binary("kioskctl"),
                                                 arguments: ["camera", "formats", "--path", "/dev/video0", "--json"])
        return (result, ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init))
    }

    @Test func listFindsTheCaptureNode() throws {
        let result = try UMockdev.runWithHandler(script: RepoPaths.scripts + "/umockdev/v4l2-camera.py",
                                                 program: try RepoPaths.binary("kioskctl"), arguments: ["camera", "list", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let nodes = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(nodes.count == 1)
        #expect(nodes.first?["path"] as? String == "/dev/video0")
        #expect(nodes.first?["driver"] as? String == "uvcvideo")
        #expect(nodes.first?["capture"] as? Bool == true)
    }

    @Test func formatsAndFrameSizesAreEnumerated() throws {
        let (result, log) = try runFormats()
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["card"] as? String == "Generic UVC Document Camera")
        let formats = try #require(json["formats"] as? [[String: Any]])
        #expect(formats.map { $0["fourcc"] as? String } == ["MJPG", "YUYV"])
        let mjpegSizes = (formats[0]["sizes"] as? [[String: Int]])?.map { "\($0["width"]!)x\($0["height"]!)" }
        #expect(mjpegSizes == ["2592x1944", "1600x1200"])
        #expect(log.first == "QUERYCAP")
        #expect(log.filter { $0 == "ENUM_FRAMESIZES" }.count == 4)   // two sizes each, no error past the end logged as a frame
    }

    @Test func anMJPEGPageIsStoredAsTheCameraSentItAfterTheWarmUpFrames() throws {
        // Three distinct frames; the profile drops two warm-up frames, so the third is the page.
        var frames: [String] = []
        for seed in 1...3 {
            let path = directory.file("frame\(seed).jpg")
            try Data(try SyntheticPage(width: 320, height: 240, seed: UInt64(seed)).jpeg()).write(to: URL(fileURLWithPath: path))
            frames.append(path)
        }
        let output = directory.file("page.jpg")
        let (result, log) = try run(["capture", "--path", "/dev/video0", "-o", output], mjpeg: frames)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(contentsOf: URL(fileURLWithPath: frames[2])))
        // The profile's controls by name (the camera lacks "Auto Exposure": skipped), then the stream.
        #expect(log.contains("control Focus, Automatic Continuous=1"))
        #expect(log.contains("control Brightness=0"))
        #expect(log.contains("S_FMT"))
        #expect(log.contains("REQBUFS -> errno 22"))   // MMAP refused …
        let streamOn = try #require(log.firstIndex(of: "STREAMON"))
        #expect(log[..<streamOn].filter { $0 == "QBUF" }.count == 2)   // … two USERPTR buffers queued
        #expect(log[streamOn...].filter { $0 == "DQBUF" }.count == 3)
        #expect(log.suffix(2) == ["STREAMOFF", "REQBUFS"])            // stopped and buffers released
    }

    @Test func mmapBuffersThatCannotBeMappedFallBackToUserPointers() throws {
        // The handler grants MMAP buffers; mapping umockdev's node fails (ENODEV), so the driver gives
        // them back (REQBUFS 0) and lends its own memory. Everything up to mmap() is the MMAP path.
        let output = directory.file("mmap.jpg")
        let (result, log) = try run(["capture", "--path", "/dev/video0", "--size", "320x240", "-o", output], mode: "mmap")
        #expect(result.status == 0, "\(result.stderr)")
        let firstQuery = try #require(log.firstIndex(of: "QUERYBUF"))
        #expect(log[..<firstQuery].last == "REQBUFS")                      // MMAP granted
        #expect(Array(log[(firstQuery + 1)...].prefix(3)) == ["REQBUFS", "REQBUFS", "QBUF"])   // released, USERPTR granted
        #expect(try JPEGDecoder.header([UInt8](Data(contentsOf: URL(fileURLWithPath: output)))) == JPEGHeader(width: 320, height: 240))
    }

    @Test func aSmallSizeIsTakenAsYUYVAndEncodedToJPEG() throws {
        let output = directory.file("preview.jpg")
        let (result, _) = try run(["capture", "--path", "/dev/video0", "--size", "640x480", "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
        let image = try JPEGDecoder.decodeGray(jpeg, fast: false)
        #expect(image.width == 640 && image.height == 480)
        // The emulated luma is 4 × (x mod 64): the JPEG's grey levels follow it.
        for x in [2, 20, 40, 60, 130, 250] {
            #expect(abs(Int(image.pixels[240 * 640 + x]) - 4 * (x % 64)) <= 8, "x \(x): \(image.pixels[240 * 640 + x])")
        }
    }

    @Test func noFrameInTimeExits2WithinTheProfilesTimeout() throws {
        let started = ContinuousClock.now
        let (result, log) = try run(["capture", "--path", "/dev/video0", "-o", directory.file("none.jpg")], mode: "noframes")
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("no frame"))
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(log.contains("STREAMOFF"))   // stopped even on the timeout
        #expect(!FileManager.default.fileExists(atPath: directory.file("none.jpg")))
    }

    @Test func aCameraPulledMidStreamIsACleanErrorNotACrash() throws {
        let (result, _) = try run(["capture", "--path", "/dev/video0", "-o", directory.file("gone.jpg")], mode: "unplug")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("unplugged"))
        let (absent, _) = try run(["capture", "--path", "/dev/video0", "-o", directory.file("gone.jpg")], mode: "absent")
        #expect(absent.status == 1, "\(absent.stderr)")
    }

    @Test func aSizeTheCameraDoesNotOfferIsRefused() throws {
        let (result, _) = try run(["capture", "--path", "/dev/video0", "--size", "1234x567", "-o", directory.file("x.jpg")])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("1234x567"))
    }
}
