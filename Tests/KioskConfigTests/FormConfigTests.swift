import Foundation
import KioskTestSupport
import Testing
import Workflow
@testable import KioskConfig

/// 一表申请: a bad form field in catalogue.yaml (or a bundle whose items disagree on a shared key) is
/// refused with the file and line of the definition.
@Suite struct FormConfigTests {
    let today = CivilDate(iso: "2026-11-22")!

    func errors(_ fixture: ConfigFixture) -> [ConfigDiagnostic] { loadFailures(fixture, today: today) }

    /// The 1-based line of the first occurrence of `needle` in the fixture's catalogue.
    func line(of needle: String, in text: String, after start: String? = nil) -> Int {
        let from = start.flatMap { text.range(of: $0)?.lowerBound } ?? text.startIndex
        let at = text.range(of: needle, range: from..<text.endIndex)!.lowerBound
        return text[..<at].filter { $0 == "\n" }.count + 1
    }

    @Test func theShippedFormsLoadAndReplaceThePaperForms() throws {
        let configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig, today: today)
        let catalogue = configuration.catalogue
        let pension = try #require(catalogue.item(code: "12370481494128679J3720117001000001"))
        #expect(pension.form?.replacesMaterial == "M10")
        // The catalogue the kiosk works from no longer asks for the photographed 参保登记表.
        #expect(!pension.materials.contains { $0.code == "M10" })
        let guide = try ServiceGuide(subject: .item(pension.implementationCode), catalogue: catalogue)
        #expect(!guide.materials.contains { $0.code == "M10" })
        let form = try #require(catalogue.form(for: .bundle("YJS-370481-003")))
        #expect(form.fields.map(\.field.key).count == Set(form.fields.map(\.field.key)).count)
        #expect(form.fields.first { $0.field.key == "phone" }?.itemCodes.count == 2)
    }

    @Test(arguments: [
        ("type: yesNo}", "type: colour}", "'colour' is not a form field type"),
        ("prefill: sex}", "prefill: shoeSize}", "'shoeSize' is not a card field to pre-fill from"),
        ("type: choice, options: [\"城乡居民\", \"新生儿\", \"在校学生\", \"灵活就业人员\"]}", "type: choice}", "needs 'options:'"),
        ("{key: phone, label: \"联系电话\", type: phone,", "{key: phone, label: \"联系电话\", type: phone, pattern: \"[0-9\",", "is not a valid regular expression"),
        ("{key: insuredCategory,", "{key: phone,", "form field key 'phone' is used twice"),
        ("label: \"是否已领取其他养老待遇\", type: yesNo}", "label: \"是否已领取其他养老待遇\", type: text}",
         "required text field 'receivesOtherPension' has no prefill"),
        ("      replacesMaterial: \"M10\"", "      replacesMaterial: \"M99\"", "replacesMaterial 'M99' is not one of the item's materials"),
    ])
    func aBadFieldDefinitionIsNamedByFileAndLine(_ old: String, _ new: String, _ message: String) throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst(old, with: new, in: "catalogue.yaml")
        let found = errors(fixture)
        let error = try #require(found.first { $0.message.contains(message) }, "\(found)")
        #expect(error.file.hasSuffix("kiosk-config/catalogue.yaml"))
        #expect(error.line == line)
        #expect(error.description.contains("catalogue.yaml:\(line):"))
    }

    @Test func aBundleWhoseItemsDefineAKeyIncompatiblyNamesBothPlaces() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        // The 医保 item's phone becomes a number: the 社保医保 bundle would ask one key two ways.
        let text = try fixture.read("catalogue.yaml")
        let medical = "implementationCode: \"11370481MB2852071H3720147001000001\""
        let pensionLine = line(of: "{key: phone,", in: text)
        let medicalLine = line(of: "{key: phone,", in: text, after: medical)
        let start = text.range(of: medical)!.upperBound
        let range = text.range(of: "{key: phone, label: \"联系电话\", type: phone,", range: start..<text.endIndex)!
        try fixture.write("catalogue.yaml", text.replacingCharacters(in: range, with: "{key: phone, label: \"联系电话\", type: number,"))
        let bundles = try fixture.read("bundles.yaml")
        let bundleLine = line(of: "code: \"YJS-370481-003\"", in: bundles)

        let found = errors(fixture)
        let error = try #require(found.first { $0.message.contains("incompatibly") }, "\(found)")
        #expect(error.file.hasSuffix("catalogue.yaml"))
        #expect(error.line == medicalLine)
        #expect(error.message.contains("catalogue.yaml:\(pensionLine)"))
        #expect(error.message.contains("bundles.yaml:\(bundleLine)"))
        #expect(error.message.contains("type phone vs number"))
    }
}
