import Testing
import Workflow

/// 绿色通道: the age (周岁) from the card's birth date on the hall's day, and which reason a ticket gets.
@Suite struct GreenChannelTests {
    struct AgeCase: Sendable, CustomTestStringConvertible {
        let born: String
        let on: String
        let age: Int
        var testDescription: String { "born \(born), on \(on): \(age)" }
    }

    @Test(arguments: [
        AgeCase(born: "1961-11-23", on: "2026-11-23", age: 65),   // the 65th birthday is today: 65
        AgeCase(born: "1961-11-23", on: "2026-11-22", age: 64),   // the day before it: still 64
        AgeCase(born: "1961-11-22", on: "2026-11-23", age: 65),
        AgeCase(born: "1961-12-01", on: "2026-11-23", age: 64),   // a later month
        AgeCase(born: "1961-01-31", on: "2026-02-01", age: 65),   // an earlier month, a later day
        AgeCase(born: "1960-02-29", on: "2025-02-28", age: 64),   // born on 29 Feb, common year: not yet on the 28th…
        AgeCase(born: "1960-02-29", on: "2025-03-01", age: 65),   // …reached on 1 March
        AgeCase(born: "1960-02-29", on: "2024-02-29", age: 64),   // a leap year: on the day itself
        AgeCase(born: "1960-02-29", on: "2024-02-28", age: 63),
        AgeCase(born: "2026-11-23", on: "2026-11-23", age: 0),
    ])
    func ageIsReachedOnTheBirthday(_ c: AgeCase) throws {
        let born = try #require(CivilDate(iso: c.born))
        let day = try #require(CivilDate(iso: c.on))
        #expect(GreenChannel.age(born: born, on: day) == c.age)
    }

    struct ReasonCase: Sendable, CustomTestStringConvertible {
        let born: String?
        let declared: DeclaredGround?
        let reason: PriorityReason?
        var testDescription: String { "born \(born ?? "-") declared \(declared?.rawValue ?? "-") → \(reason?.rawValue ?? "ordinary")" }
    }

    static let hall = GreenChannel(grounds: [.elderly, .disabled, .pregnant], elderlyAge: 65)

    @Test(arguments: [
        ReasonCase(born: "1961-11-23", declared: nil, reason: .elderly),       // 65 today
        ReasonCase(born: "1961-11-24", declared: nil, reason: nil),            // 65 tomorrow
        ReasonCase(born: nil, declared: nil, reason: nil),                     // no card: no age
        ReasonCase(born: nil, declared: .disabled, reason: .disabled),         // declared without a card
        ReasonCase(born: "1990-05-05", declared: .pregnant, reason: .pregnant),
        ReasonCase(born: "1940-01-01", declared: .disabled, reason: .disabled), // the declaration is the reason recorded
    ])
    func theTicketsReasonOnTheHallsDay(_ c: ReasonCase) throws {
        let day = try #require(CivilDate(iso: "2026-11-23"))
        #expect(try Self.hall.reason(birthDate: c.born.flatMap(CivilDate.init(iso:)), declared: c.declared, on: day) == c.reason)
    }

    @Test func aGroundTheHallDoesNotOfferIsRefusedAndNoAgeMakesNoElderly() throws {
        let day = try #require(CivilDate(iso: "2026-11-23"))
        let disabledOnly = GreenChannel(grounds: [.disabled], elderlyAge: nil)
        #expect(throws: WorkflowError.greenChannelNotOffered(ground: "pregnant")) {
            try disabledOnly.reason(birthDate: nil, declared: .pregnant, on: day)
        }
        #expect(try disabledOnly.reason(birthDate: CivilDate(iso: "1930-01-01"), declared: nil, on: day) == nil)
        #expect(disabledOnly.declarable == [.disabled])
        #expect(throws: WorkflowError.greenChannelNotOffered(ground: "disabled")) {
            try GreenChannel.off.reason(birthDate: nil, declared: .disabled, on: day)
        }
        #expect(try GreenChannel.off.reason(birthDate: CivilDate(iso: "1930-01-01"), declared: nil, on: day) == nil)
        // An appointment is no green-channel ground, even if listed.
        #expect(GreenChannel(grounds: [.appointment], elderlyAge: nil).grounds.isEmpty)
        #expect(WorkflowError.greenChannelNotOffered(ground: "pregnant").chineseMessage.contains("绿色通道"))
    }
}
