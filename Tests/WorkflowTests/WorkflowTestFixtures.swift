import Testing
@testable import Workflow

// Shared fixtures for the table-driven Workflow tests: the real 2026/2027 holiday calendars (typed in
// by hand from kiosk-config/calendar/2026.yaml and 2027.yaml), item/material builders and a seeded
// random generator so property-style tests are reproducible.

/// `YYYY-MM-DD` → CivilDate; traps on a typo in a test table.
func civil(_ text: String) -> CivilDate {
    guard let date = CivilDate(iso: text) else { fatalError("bad date in test table: \(text)") }
    return date
}

/// A moment on a day at `HH:MM`.
func moment(_ dayText: String, _ time: String) -> HallMoment {
    let parts = time.split(separator: ":").map { Int($0)! }
    return HallMoment(day: civil(dayText), minuteOfDay: parts[0] * 60 + parts[1])
}

enum WFFixtures {
    /// kiosk-config/calendar/2026.yaml (国务院办公厅关于2026年部分节假日安排的通知).
    static let year2026 = HolidayYear(year: 2026, status: .official, source: "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）", holidays: [
        .init(name: "元旦", from: civil("2026-01-01"), to: civil("2026-01-03"), makeUpWorkdays: [civil("2026-01-04")]),
        .init(name: "春节", from: civil("2026-02-15"), to: civil("2026-02-23"),
              makeUpWorkdays: [civil("2026-02-14"), civil("2026-02-28")]),
        .init(name: "清明节", from: civil("2026-04-04"), to: civil("2026-04-06")),
        .init(name: "劳动节", from: civil("2026-05-01"), to: civil("2026-05-05"), makeUpWorkdays: [civil("2026-05-09")]),
        .init(name: "端午节", from: civil("2026-06-19"), to: civil("2026-06-21")),
        .init(name: "中秋节", from: civil("2026-09-25"), to: civil("2026-09-27")),
        .init(name: "国庆节", from: civil("2026-10-01"), to: civil("2026-10-07"),
              makeUpWorkdays: [civil("2026-09-20"), civil("2026-10-10")]),
    ])

    /// kiosk-config/calendar/2027.yaml (provisional).
    static let year2027 = HolidayYear(year: 2027, status: .provisional, source: "按2027年农历推算", holidays: [
        .init(name: "元旦", from: civil("2027-01-01"), to: civil("2027-01-03")),
        .init(name: "春节", from: civil("2027-02-05"), to: civil("2027-02-12"),
              makeUpWorkdays: [civil("2027-01-31"), civil("2027-02-20")]),
        .init(name: "清明节", from: civil("2027-04-03"), to: civil("2027-04-05")),
        .init(name: "劳动节", from: civil("2027-05-01"), to: civil("2027-05-05"), makeUpWorkdays: [civil("2027-05-08")]),
        .init(name: "端午节", from: civil("2027-06-09"), to: civil("2027-06-09")),
        .init(name: "中秋节", from: civil("2027-09-15"), to: civil("2027-09-15")),
        .init(name: "国庆节", from: civil("2027-10-01"), to: civil("2027-10-07"),
              makeUpWorkdays: [civil("2027-09-26"), civil("2027-10-09")]),
    ])

    static let calendar = WorkingCalendar(years: [year2026, year2027])
    static let deadlines = DeadlineCalculator(calendar: calendar)

    static func material(_ code: String, _ name: String? = nil, need: Material.Need = .required, pages: Int = 1,
                         source: Material.Source = .applicant, deferral: (String, Int)? = nil,
                         electronicLicence: String? = nil, sampleForm: String? = nil) -> Material {
        Material(code: code, name: name ?? "材料\(code)", need: need, source: source, pages: pages,
                 acceptanceStandard: "\(name ?? code)原件扫描，清晰完整", sampleForm: sampleForm,
                 deferral: deferral.map { Material.Deferral(howToSupply: $0.0, withinWorkingDays: $0.1) },
                 electronicLicence: electronicLicence)
    }

    static func item(_ code: String, _ name: String, materials: [Material], allowsDeferral: Bool = true,
                     caseType: CaseType = .promised, promised: TimeLimit = TimeLimit(value: 5, unit: .workingDays),
                     statutory: TimeLimit = TimeLimit(value: 20, unit: .workingDays),
                     itemType: ItemType = .administrativeLicensing, isCharged: Bool = false, fees: [Fee]? = nil) -> ServiceItem {
        ServiceItem(catalogCode: "C-\(code)", implementationCode: code, name: name, itemType: itemType,
                    implementingBody: "测试市行政审批服务局", legalBasis: ["《中华人民共和国行政许可法》"],
                    acceptanceConditions: ["申请人身份真实"], materials: materials, processFlow: ["申请", "受理", "审核", "办结"],
                    statutoryTimeLimit: statutory, promisedTimeLimit: promised, isCharged: isCharged, fees: fees,
                    caseType: caseType, maxOnSiteVisits: 0, supportsKiosk: true, supportsAppointment: true,
                    allowsDeferredMaterials: allowsDeferral, consultationPhone: "0632-12345", queueCategory: "A")
    }
}


@Suite struct WorkflowFixtureSanityTests {
    /// The hand-typed calendars agree with the weekdays and make-up days the YAML files describe.
    @Test func handTypedCalendarsMatchTheYAML() {
        let cal = WFFixtures.calendar
        #expect(cal.coveredYears == [2026: .official, 2027: .provisional])
        // Make-up days are weekends that are worked.
        for text in ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
                     "2027-01-31", "2027-02-20", "2027-05-08", "2027-09-26", "2027-10-09"] {
            #expect(civil(text).isWeekend, "\(text)")
            #expect(cal.isWorkingDay(civil(text)), "\(text)")
        }
        // 2026: 元旦 3 + 春节 9 + 清明 3 + 劳动 5 + 端午 3 + 中秋 3 + 国庆 7 = 33 holiday days.
        var day = civil("2026-01-01"); var holidays = 0; var working = 0
        while day <= civil("2026-12-31") {
            if cal.isHoliday(day) { holidays += 1 }
            if cal.isWorkingDay(day) { working += 1 }
            day = day.adding(days: 1)
        }
        #expect(holidays == 33)
        // 261 weekdays in 2026, 19 of the holiday days fall on weekdays, 6 make-up days → 261 − 19 + 6 = 248.
        #expect(working == 248)
    }
}
