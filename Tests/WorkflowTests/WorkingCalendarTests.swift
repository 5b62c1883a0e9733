import Testing
@testable import Workflow

@Suite struct CivilDateTests {
    @Test func roundTripsAcrossCenturiesAndLeapDays() {
        for text in ["1970-01-01", "2000-02-29", "2026-02-17", "2027-12-31", "1949-10-01", "2100-03-01"] {
            let date = CivilDate(iso: text)
            #expect(date?.description == text)
        }
        #expect(CivilDate(iso: "1970-01-01")?.dayNumber == 0)
        #expect(CivilDate(iso: "2026-11-22")!.adding(days: 40).description == "2027-01-01")
    }

    @Test(arguments: ["2026-02-30", "2027-02-29", "2026-13-01", "2026-1-01", "20260101", "", "2026-00-10", "abcd-ef-gh"])
    func rejectsDaysThatDoNotExist(_ text: String) {
        #expect(CivilDate(iso: text) == nil)
    }

    @Test func weekdaysMatchTheCalendar() {
        #expect(CivilDate(iso: "2026-01-01")!.isoWeekday == 4)  // Thursday
        #expect(CivilDate(iso: "2026-02-14")!.isoWeekday == 6)  // Saturday
        #expect(CivilDate(iso: "2026-11-22")!.isoWeekday == 7)  // Sunday
        #expect(CivilDate(iso: "1969-12-29")!.isoWeekday == 1)  // Monday, before the epoch
    }
}

@Suite struct WorkingCalendarTests {
    /// 2026 Spring Festival as published: 02-15…02-23 off, 02-14 and 02-28 (Saturdays) worked.
    let calendar = WorkingCalendar(years: [
        HolidayYear(year: 2026, status: .official, source: "test", holidays: [
            .init(name: "春节", from: CivilDate(iso: "2026-02-15")!, to: CivilDate(iso: "2026-02-23")!,
                  makeUpWorkdays: [CivilDate(iso: "2026-02-14")!, CivilDate(iso: "2026-02-28")!]),
            .init(name: "国庆节", from: CivilDate(iso: "2026-10-01")!, to: CivilDate(iso: "2026-10-07")!,
                  makeUpWorkdays: [CivilDate(iso: "2026-09-20")!, CivilDate(iso: "2026-10-10")!]),
        ]),
    ])

    func day(_ text: String) -> CivilDate { CivilDate(iso: text)! }

    @Test func makeUpSaturdaysAreWorkingDaysAndHolidayWeekdaysAreNot() {
        #expect(calendar.isWorkingDay(day("2026-02-14")))   // Saturday, 调休上班
        #expect(!calendar.isWorkingDay(day("2026-02-16")))  // Monday, holiday
        #expect(!calendar.isWorkingDay(day("2026-02-21")))  // Saturday inside the holiday
        #expect(calendar.isWorkingDay(day("2026-02-24")))   // Tuesday after
        #expect(!calendar.isWorkingDay(day("2026-03-01")))  // ordinary Sunday
        #expect(calendar.isWorkingDay(day("2026-09-20")))   // Sunday, 调休上班
    }

    @Test func countingWorkingDaysAcrossSpringFestival() {
        // Friday 02-13 + 1 working day = Saturday 02-14 (make-up day); + 2 skips the whole holiday.
        #expect(calendar.adding(workingDays: 1, to: day("2026-02-13")) == day("2026-02-14"))
        #expect(calendar.adding(workingDays: 2, to: day("2026-02-13")) == day("2026-02-24"))
        #expect(calendar.adding(workingDays: 5, to: day("2026-02-13")) == day("2026-02-27"))
        #expect(calendar.adding(workingDays: 6, to: day("2026-02-13")) == day("2026-02-28"))
        #expect(calendar.workingDays(from: day("2026-02-13"), to: day("2026-02-28")) == 6)
        #expect(calendar.workingDays(from: day("2026-02-28"), to: day("2026-02-13")) == -6)
    }

    @Test func countingAcrossNationalDay() {
        // Wednesday 09-30 + 1 working day → Thursday 10-08 (10-01…10-07 off).
        #expect(calendar.adding(workingDays: 1, to: day("2026-09-30")) == day("2026-10-08"))
        #expect(calendar.adding(workingDays: 3, to: day("2026-09-30")) == day("2026-10-10"))  // Saturday make-up
        #expect(calendar.nextWorkingDay(after: day("2026-09-19")) == day("2026-09-20"))
    }

    @Test func coverageIsKnown() {
        #expect(calendar.covers(year: 2026))
        #expect(!calendar.covers(year: 2028))
        // Outside covered years only weekends are known.
        #expect(calendar.isWorkingDay(day("2028-01-03")))
        #expect(!calendar.isWorkingDay(day("2028-01-01")))
    }
}
