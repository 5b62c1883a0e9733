import Foundation
import KioskTestSupport
import PageImaging
import Testing

/// `kioskctl camera check FILE`: the figures, the verdict and the exit codes the README documents.
@Suite struct CameraCheckCommandTests {
    func check(_ jpeg: [UInt8], json: Bool = false) throws -> ProcessResult {
        let dir = try TemporaryDirectory("camera-check")
        defer { dir.remove() }
        try Data(jpeg).write(to: URL(fileURLWithPath: dir.file("page.jpg")))
        return try ChildProcess.run(try RepoPaths.binary("kioskctl"),
                                    ["camera", "check", dir.file("page.jpg"), "--devices", RepoPaths.devices] + (json ? ["--json"] : []))
    }

    @Test func aSharpPagePassesWithItsFigures() throws {
        let result = try check(try SyntheticPage(width: 1296, height: 972, seed: 5).jpeg())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("size         1296x972 (analysed at 648x486)"))
        #expect(result.stdout.contains("verdict      passed"))
    }

    @Test func aBlurredPageExits5WithTheChineseReason() throws {
        let result = try check(try SyntheticPage(width: 1296, height: 972, seed: 5, blurRadius: 4).jpeg(), json: true)
        #expect(result.status == 5, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["passed"] as? Bool == false)
        #expect(json["problem"] as? String == "blurred")
        #expect(json["message"] as? String == "图像模糊，请放平材料后重拍")
        let figures = try #require(json["figures"] as? [String: Any])
        #expect((figures["sharpness"] as? Double ?? 1e9) < 120)
    }

    @Test func aFileThatIsNotAJPEGExits6() throws {
        let result = try check(Array("GIF89a not a page".utf8))
        #expect(result.status == 6, "\(result.stderr)")
        #expect(result.stdout.contains("unreadable"))
        let missing = try ChildProcess.run(try RepoPaths.binary("kioskctl"), ["camera", "check", "/nonexistent.jpg", "--devices", RepoPaths.devices])
        #expect(missing.status == 6)
        #expect(missing.stderr.contains("cannot read /nonexistent.jpg"))
    }
}
