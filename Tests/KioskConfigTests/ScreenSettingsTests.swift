import Foundation
import KioskConfig
import KioskTestSupport
import Testing

/// `screen.yaml`: the shipped address list loads; mistakes in it are named by line; without the
/// file the screen has voice prompts and no mail delivery.
@Suite struct ScreenSettingsTests {
    @Test func theShippedScreenSettingsLoad() throws {
        let screen = try ConfigLoader.load(directory: RepoPaths.defaultConfig).screen
        #expect(screen.voicePrompts == true)
        let towns = try #require(screen.towns)
        #expect(towns.count >= 3)
        #expect(towns.allSatisfy { !$0.streets.isEmpty && $0.streets.allSatisfy { !$0.communities.isEmpty } })
        #expect(screen.addressPrefix == "山东省枣庄市滕州市")
    }

    @Test func mistakesInTheAddressListAreNamedByLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let duplicate = try fixture.replaceFirst("        communities: [解放社区, 文化社区]", with: "        communities: [解放社区, 解放社区]", in: "screen.yaml")
        let empty = try fixture.replaceFirst("        communities: [善南社区, 大坞社区]", with: "        communities: []", in: "screen.yaml")
        do {
            _ = try ConfigLoader.load(directory: fixture.directory)
            Issue.record("a community listed twice and a street without communities were accepted")
        } catch {
            let errors = error.errors
            #expect(errors.contains { $0.file.hasSuffix("screen.yaml") && $0.line == duplicate && $0.message.contains("appears twice") },
                    "\(errors)")
            #expect(errors.contains { $0.file.hasSuffix("screen.yaml") && $0.line == empty && $0.message.contains("no communities") },
                    "\(errors)")
        }
    }

    @Test func anUnknownKeyIsAnErrorAndNoFileMeansTheDefaults() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("voicePrompts: true", with: "voicePrompt: true", in: "screen.yaml")
        do {
            _ = try ConfigLoader.load(directory: fixture.directory)
            Issue.record("a misspelt key was accepted")
        } catch {
            #expect(error.errors.contains { $0.file.hasSuffix("screen.yaml") && $0.line == line }, "\(error.errors)")
        }
        try FileManager.default.removeItem(atPath: fixture.path("screen.yaml"))
        let screen = try ConfigLoader.load(directory: fixture.directory).screen
        #expect(screen == .standard)
    }
}
