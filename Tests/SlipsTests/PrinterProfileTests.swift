import Foundation
import KioskConfig
import KioskTestSupport
import Slips
import Testing

@Suite("Printer profiles: shipped ones load, broken ones name the file and line")
struct PrinterProfileTests {
    @Test(arguments: ["generic-58mm", "generic-80mm", "generic-80mm-raster"])
    func shippedProfilesLoad(_ name: String) throws {
        let profile = try PrinterProfile.load(name: name, profilesDirectory: RepoPaths.devices)
        #expect(profile.qr.moduleDots >= 4)
        #expect([384, 576].contains(profile.dotsPerLine))
    }

    @Test func aTypoOrABadValueIsReportedWithFileAndLine() throws {
        let dir = try TemporaryDirectory("profiles")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("printers"), withIntermediateDirectories: true)
        var text = try String(contentsOfFile: RepoPaths.devices + "/printers/generic-58mm.yaml", encoding: .utf8)
        text = text.replacingOccurrences(of: "  native: false", with: "  natve: false")
        try text.write(toFile: dir.file("printers/broken.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try PrinterProfile.load(name: "broken", profilesDirectory: dir.path)
            Issue.record("a misspelt key must not load")
        } catch {
            let message = error.diagnostics.map(\.description).joined(separator: "\n")
            #expect(message.contains("broken.yaml:"))
            #expect(message.contains("natve") || message.contains("native"))
        }
        text = text.replacingOccurrences(of: "  natve: false", with: "  native: false")
            .replacingOccurrences(of: "moduleDots: 5", with: "moduleDots: 2")
        try text.write(toFile: dir.file("printers/broken.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try PrinterProfile.load(name: "broken", profilesDirectory: dir.path) }
    }
}
