import Foundation
import KioskConfig
import KioskTestSupport
import Slips
import Testing
import Workflow

@Suite struct OneTimeNoticeFromCatalogueTests {
    let configuration: KioskConfiguration

    init() throws {
        configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig, today: CivilDate(iso: "2026-11-22"))
    }

    @Test func everyItemsNoticeListsEachMaterialWithNeedAndSource() throws {
        // The catalogue as the kiosk asks it: a material an online form replaces (一表申请) is not listed.
        for item in configuration.catalogue.items {
            let guide = try ServiceGuide(subject: .item(item.implementationCode), catalogue: configuration.catalogue)
            let notice = OneTimeNotice(guide: guide, printedAt: Date(timeIntervalSince1970: 1_795_399_200))
            #expect(notice.materials.map(\.name) == item.materials.map(\.name))
            #expect(notice.materials.map(\.need.rawValue) == item.materials.map { MaterialRequirement.effectiveNeed(of: $0, in: item).rawValue })
            #expect(notice.materials.allSatisfy { $0.source != nil && !$0.name.contains("其他材料") })
            #expect(notice.department == item.implementingBody)
            #expect(notice.conditions == item.acceptanceConditions)
        }
    }

    @Test func aBundlesNoticeMergesMaterialsAndNamesEveryDepartment() throws {
        let guide = try ServiceGuide(subject: .bundle("YJS-370481-001"), catalogue: configuration.catalogue)
        let notice = OneTimeNotice(guide: guide, printedAt: Date(timeIntervalSince1970: 1_795_399_200))
        #expect(notice.itemName == "新生儿出生“一件事”")
        #expect(notice.department == "滕州市公安局、滕州市医疗保障局")
        #expect(notice.materials.filter { $0.name == "居民户口簿" }.count == 1)
        #expect(notice.materials.first { $0.name == "出生医学证明" }?.need == .required)   // optional for one item, required for the other
        #expect(notice.materials.first { $0.name == "出生登记申报表" }?.note == "用于出生登记")
        #expect(notice.timeLimit.contains("出生登记：承诺1个工作日"))
        // The notice renders as a slip with every material on it.
        let text = SlipLayout(notice.document(context: SlipContext(hallName: "滕州市政务服务中心", kioskId: "TZ01",
                                                                  consultationPhone: "0632-12345", timeZone: TimeZone(identifier: "Asia/Shanghai")!)),
                              profile: try PrinterProfile.load(name: "generic-80mm", profilesDirectory: RepoPaths.devices)).plainText
        for m in notice.materials { #expect(text.contains(m.name)) }
    }
}
