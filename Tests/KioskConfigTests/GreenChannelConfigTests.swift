import Foundation
import KioskTestSupport
import Testing
import Workflow
@testable import KioskConfig

/// queue.yaml's `greenChannel:` (绿色通道): loaded as the hall writes it, refused with its file and line.
@Suite struct GreenChannelConfigTests {
    let today = CivilDate(iso: "2026-11-22")!

    func failures(_ fixture: ConfigFixture) -> [ConfigDiagnostic] { loadFailures(fixture, today: today) }

    @Test func theShippedHallOffersAllThreeGrounds() throws {
        let configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig, today: today)
        #expect(configuration.greenChannel == GreenChannel(grounds: [.elderly, .disabled, .pregnant], elderlyAge: 65))
    }

    @Test func withoutGreenChannelThereIsNone() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let text = try fixture.read("queue.yaml")
        let start = try #require(text.range(of: "greenChannel:"))
        try fixture.write("queue.yaml", String(text[..<start.lowerBound]))
        #expect(try ConfigLoader.load(directory: fixture.directory, today: today).greenChannel == .off)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        let old: String
        let new: String
        let says: String
        var testDescription: String { says }
    }

    @Test(arguments: [
        BadCase(old: "grounds: [elderly, disabled, pregnant]", new: "grounds: [elderly, veteran, pregnant]", says: "unknown green-channel ground 'veteran'"),
        BadCase(old: "grounds: [elderly, disabled, pregnant]", new: "grounds: [disabled, disabled]", says: "listed twice"),
        BadCase(old: "elderlyAge: 65", new: "elderlyAge: 160", says: "elderlyAge must be 50–100"),
    ])
    func aBadValueIsNamedAtItsLine(_ c: BadCase) throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst(c.old, with: c.new, in: "queue.yaml")
        let errors = failures(fixture)
        let found = errors.first { $0.message.contains(c.says) }
        #expect(found != nil, "\(errors)")
        #expect(found?.file.hasSuffix("queue.yaml") == true)
        #expect(found?.line == line)
    }

    @Test func theElderlyGroundAndItsAgeGoTogether() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("  elderlyAge: 65\n", with: "", in: "queue.yaml")
        let missing = failures(fixture)
        #expect(missing.contains { $0.message.contains("needs elderlyAge") && $0.file.hasSuffix("queue.yaml") && $0.line == line - 1 }, "\(missing)")

        let other = try ConfigFixture()
        defer { other.remove() }
        try other.replaceFirst("grounds: [elderly, disabled, pregnant]", with: "grounds: [disabled, pregnant]", in: "queue.yaml")
        let ageLine = try other.replaceFirst("elderlyAge: 65", with: "elderlyAge: 70", in: "queue.yaml")
        let stray = failures(other)
        #expect(stray.contains { $0.message.contains("'elderly' is not among the grounds") && $0.line == ageLine }, "\(stray)")
    }
}
