import KioskConfig
import KioskTestSupport
import Testing

/// `materials:` in kiosk.yaml: the shipped values load, bad ones are named by line.
@Suite struct MaterialsSettingsTests {
    @Test func theShippedMaterialsSettingsLoad() throws {
        let configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig)
        let materials = try #require(configuration.settings.materials)
        #expect(materials.maximumPageKilobytes == 10_240)
        #expect(materials.maximumFilingMegabytes == 100)
        #expect(materials.reserveMegabytes == 32)
        #expect(materials.previewsPerSecond == 5)
    }

    @Test func badMaterialValuesAreNamedByLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let pageLine = try fixture.replaceFirst("  maximumPageKilobytes: 10240", with: "  maximumPageKilobytes: 10", in: "kiosk.yaml")
        let rateLine = try fixture.replaceFirst("  previewsPerSecond: 5", with: "  previewsPerSecond: 0", in: "kiosk.yaml")
        do {
            _ = try ConfigLoader.load(directory: fixture.directory)
            Issue.record("a 10 KiB page limit and 0 previews a second were accepted")
        } catch {
            let errors = error.errors
            #expect(errors.contains { $0.line == pageLine && $0.message.contains("maximumPageKilobytes") })
            #expect(errors.contains { $0.line == rateLine && $0.message.contains("previewsPerSecond") })
        }
    }
}
