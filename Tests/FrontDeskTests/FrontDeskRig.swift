import Foundation
import FrontDesk
import GRDB
import KioskConfig
import KioskTestSupport
@_spi(StoreTesting) import Store
import Testing
import Workflow

/// A front desk on a fresh store in a temporary directory, with the shipped configuration and a
/// hand-moved clock in hall time (Asia/Shanghai).
final class FrontDeskRig: @unchecked Sendable {
    let directory: TemporaryDirectory
    let configuration: KioskConfiguration
    let clock: ManualClock
    private(set) var store: KioskStore
    private(set) var desk: FrontDesk

    static let birthRegistration = "11370481004396815B3707104001000001"      // 出生登记, 1 working day
    static let medicalInsurance = "11370481MB2852071H3720147001000001"       // 城乡居民医保参保登记, 1 working day
    static let veteranCard = "11370481MB2851941A3720143001000001"            // 退役军人优待证, 15 WD, M31 deferrable
    static let deedReplacement = "11370481004397113L3707121008000001"        // 不动产权证书补证, 20 WD, M04 deferrable
    static let pensionEnrolment = "12370481494128679J3720117001000001"       // 养老保险参保登记, immediate
    static let idCardRenewal = "11370481004396815B3710104002000001"          // not offered at kiosks
    static let newbornBundle = "YJS-370481-001"
    static let insuranceBundle = "YJS-370481-003"   // 养老 + 医保 参保登记, one merged form (一表申请)

    static let zhang = Applicant(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true)
    static let li = Applicant(name: "李四", idNumber: "440524188001010014", documentKind: "resident", verifiedByCard: true)

    init(at hallTime: String = "2026-11-23 10:00") throws {
        directory = try TemporaryDirectory("frontdesk")
        configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig, today: CivilDate(iso: "2026-11-22"))
        clock = ManualClock(Self.date(hallTime))
        store = try KioskStore.open(directory: directory.path)
        desk = FrontDesk(configuration: configuration, store: store, clock: clock)
    }

    deinit { directory.remove() }

    /// Closes and reopens the store and the desk, as a kioskd restart does.
    func restart() throws {
        store = try KioskStore.open(directory: directory.path)
        desk = FrontDesk(configuration: configuration, store: store, clock: clock)
    }

    /// `YYYY-MM-DD HH:MM` in hall time.
    static func date(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    func setTime(_ text: String) { clock.set(Self.date(text)) }

    /// Opens a draft and captures the expected pages of every listed material.
    /// The form, if any, is answered too unless `answeringForm` is false.
    func draft(_ subject: FilingSubject, for applicant: Applicant = zhang, supplying codes: [String],
               answeringForm: Bool = true) async throws -> Draft {
        let draft = try await desk.openDraft(subject: subject, applicant: applicant, sessionID: "s-1")
        for code in codes {
            let slot = try #require(draft.slots.first { $0.requirement.material.code == code }, "no slot \(code)")
            for page in 0..<max(1, slot.requirement.material.pages) {
                try await desk.addPage(draftID: draft.id, materialCode: code, sha256: "page-\(code)-\(page)-\(draft.id)", byteCount: 1000)
            }
        }
        if answeringForm, let form = draft.form {
            _ = try await desk.saveFormAnswers(draftID: draft.id, answers: Self.sampleAnswers(form, draft: draft))
        }
        return try await desk.draft(id: draft.id)
    }

    /// A valid answer to every field of the form the card does not fill (一表申请).
    static func sampleAnswers(_ form: ApplicationForm, draft: Draft) -> [String: FormValue?] {
        var answers: [String: FormValue?] = [:]
        for merged in form.fields where !draft.isLocked(field: merged.field.key) {
            let f = merged.field
            answers[f.key] = switch f.type {
            case .text: .text("测试")
            case .number: .number(f.min ?? 1)
            case .date: .text("2020-01-01")
            case .phone: .text("13800000000")
            case .choice: .text(f.options![0])
            case .yesNo: .yesNo(false)
            case .idNumber: .text("11010519491231002X")
            case .address: .text("山东省枣庄市滕州市荆河街道善国北路1号")
            }
        }
        return answers
    }

    /// Submits and expects it to be filed.
    func file(_ subject: FilingSubject, for applicant: Applicant = zhang, supplying codes: [String],
              commitment: Bool = false) async throws -> [FilingRecord] {
        let draft = try await draft(subject, for: applicant, supplying: codes)
        guard case let .filed(records) = try await desk.submit(draftID: draft.id, commitmentSigned: commitment) else {
            throw TestSupportError("\(subject) was not filed")
        }
        return records
    }

    func count(_ table: String) throws -> Int {
        try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}
