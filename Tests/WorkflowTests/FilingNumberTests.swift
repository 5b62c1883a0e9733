import KioskTestSupport
import Testing
@testable import Workflow

@Suite("Filing numbers, their sequence and progress tokens")
struct FilingNumberTests {
    @Test func theDocumentedExampleRoundTrips() throws {
        let number = try #require(FilingNumber("370481-TZ01-20261122-00017"))
        #expect(number.regionCode == "370481")
        #expect(number.kioskID == "TZ01")
        #expect(number.day == civil("2026-11-22"))
        #expect(number.sequence == 17)
        #expect(number.description == "370481-TZ01-20261122-00017")
        #expect(FilingNumber(regionCode: "370481", kioskID: "TZ01", day: civil("2026-11-22"), sequence: 17) == number)
    }

    @Test(arguments: [
        ("110105-AB-20260101-00001", "110105", "AB", "2026-01-01", 1),
        ("370481-ABCDEFGH-20240229-99999", "370481", "ABCDEFGH", "2024-02-29", 99999),
        ("370481-123456-20261231-123456", "370481", "123456", "2026-12-31", 123456),   // sequences grow past five digits
        ("000000-Z9-19700101-00100", "000000", "Z9", "1970-01-01", 100),
    ])
    func validNumbersRoundTrip(_ text: String, _ region: String, _ kiosk: String, _ day: String, _ seq: Int) throws {
        let number = try #require(FilingNumber(text))
        #expect(number.regionCode == region)
        #expect(number.kioskID == kiosk)
        #expect(number.day == civil(day))
        #expect(number.sequence == seq)
        #expect(number.description == text)
        #expect(FilingNumber(number.description) == number)
    }

    @Test(arguments: [
        "37048-TZ01-20261122-00017",        // region: 5 digits
        "3704810-TZ01-20261122-00017",      // region: 7 digits
        "37048A-TZ01-20261122-00017",       // region: a letter
        "３70481-TZ01-20261122-00017",       // region: a full-width digit
        "٣٧٠٤٨١-TZ01-20261122-00017",       // region: Arabic-Indic digits
        "370481-tz01-20261122-00017",       // kiosk: lowercase
        "370481-Tz01-20261122-00017",
        "370481-T-20261122-00017",          // kiosk: 1 character
        "370481-ABCDEFGHI-20261122-00017",  // kiosk: 9 characters
        "370481-TZ_1-20261122-00017",
        "370481-ÄB-20261122-00017",
        "370481-TZ01-20260230-00017",       // 30 February
        "370481-TZ01-20261322-00017",       // month 13
        "370481-TZ01-20261100-00017",       // day 0
        "370481-TZ01-2026112-00017",        // 7-digit day
        "370481-TZ01-202611220-00017",
        "370481-TZ01-2026-11-22-00017",
        "370481-TZ01-20261122-00000",       // sequence 0
        "370481-TZ01-20261122-0017",        // 4-digit sequence
        "370481-TZ01-20261122-+0017",
        "370481-TZ01-20261122--0017",
        "370481-TZ01-20261122-0001x",
        "370481-TZ01-20261122",             // missing parts
        "370481-TZ01--00017",
        "TZ01-20261122-00017",
        "370481-TZ01-20261122-00017-2",
        "370481 TZ01 20261122 00017",
        "",
    ])
    func invalidNumbersAreRejected(_ text: String) {
        #expect(FilingNumber(text) == nil)
    }

    /// "0–9 only (not other scripts' digits)" and "A–Z": a combining mark glued to an allowed
    /// character must not pass. `("0"..."9").contains(c)` compares Characters as strings, so
    /// "1\u{20E3}" (keycap 1) sorts between "0" and "9".
    @Test(arguments: [
        "37048\u{31}\u{20E3}-TZ01-20261122-00017",   // region "37048" + keycap 1 (6 Characters)
        "370481-T\u{20DD}Z01-20261122-00017",        // kiosk "T" + combining circle
    ])
    func combiningMarksAreRejected(_ text: String) {
        #expect(FilingNumber(text) == nil, "accepted \(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test func orderingIsByDayThenSequence() {
        let a = FilingNumber(regionCode: "370481", kioskID: "TZ01", day: civil("2026-11-22"), sequence: 99)
        let b = FilingNumber(regionCode: "370481", kioskID: "TZ01", day: civil("2026-11-23"), sequence: 1)
        let c = FilingNumber(regionCode: "370481", kioskID: "TZ01", day: civil("2026-11-23"), sequence: 2)
        #expect(a < b && b < c && !(c < a))
        #expect([c, a, b].sorted() == [a, b, c])
    }

    // MARK: FilingNumberSequence

    @Test func sequenceIncrementsResetsAndSurvivesTheClockSteppingBack() {
        var seq = FilingNumberSequence()
        func next(_ day: String) -> String { seq.next(today: civil(day), regionCode: "370481", kioskID: "TZ01").description }
        #expect(next("2026-11-22") == "370481-TZ01-20261122-00001")
        #expect(next("2026-11-22") == "370481-TZ01-20261122-00002")
        #expect(next("2026-11-22") == "370481-TZ01-20261122-00003")
        #expect(next("2026-11-23") == "370481-TZ01-20261123-00001")   // new day: reset
        #expect(next("2026-11-21") == "370481-TZ01-20261123-00002")   // clock stepped back: keep 11-23, continue
        #expect(seq.lastDay == civil("2026-11-23"))
        #expect(seq.lastSequence == 2)
        #expect(next("2026-11-23") == "370481-TZ01-20261123-00003")
        #expect(next("2026-12-01") == "370481-TZ01-20261201-00001")
    }

    @Test func sequenceResumesFromPersistedState() {
        var seq = FilingNumberSequence(lastDay: civil("2026-11-22"), lastSequence: 41)
        #expect(seq.next(today: civil("2026-11-22"), regionCode: "370481", kioskID: "TZ01").sequence == 42)
        var rolled = FilingNumberSequence(lastDay: civil("2026-11-22"), lastSequence: 99_999)
        let n = rolled.next(today: civil("2026-11-22"), regionCode: "370481", kioskID: "TZ01")
        #expect(n.description == "370481-TZ01-20261122-100000")
        #expect(FilingNumber(n.description) == n)
    }

    /// Property: a random walk of the clock, 1000 steps forward/backward, never issues a number twice,
    /// every number is strictly greater than the one before, and numbers stay on the latest day seen.
    @Test func randomClockWalkNeverRepeatsANumber() {
        var rng = SplitMix64(seed: 0xF11E_0017)
        var seq = FilingNumberSequence()
        var today = civil("2026-01-01")
        var latest = today
        var issued = Set<String>()
        var previous: FilingNumber?
        var backwardSteps = 0
        for _ in 0..<1_000 {
            let step = Int.random(in: -4...4, using: &rng)
            if step < 0 { backwardSteps += 1 }
            today = today.adding(days: step)
            latest = max(latest, today)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let number = seq.next(today: today, regionCode: "370481", kioskID: "TZ01")
                #expect(issued.insert(number.description).inserted, "issued twice: \(number)")
                if let previous { #expect(previous < number, "\(previous) then \(number)") }
                #expect(number.day == latest)
                #expect(FilingNumber(number.description) == number)
                previous = number
            }
        }
        #expect(backwardSteps > 300)   // the walk really did step back
        #expect(issued.count >= 1_000)
    }

    // MARK: ProgressToken

    static let crockford = Set("0123456789abcdefghjkmnpqrstvwxyz")

    @Test func tokensAre26CrockfordCharactersAndDistinct() {
        var rng = SplitMix64(seed: 7)
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let token = ProgressToken(using: &rng)
            #expect(token.value.count == 26)
            #expect(token.value.allSatisfy { Self.crockford.contains($0) })
            #expect(!token.value.contains { "ilou".contains($0) })
            // 128 bits = 25 × 5 + 3: the last character carries 3 bits, padded with two zero bits.
            #expect("048cgmrw".contains(token.value.last!))
            #expect(ProgressToken(token.value) == token)
            #expect(token.description == token.value)
            seen.insert(token.value)
        }
        #expect(seen.count == 10_000)
    }

    struct ConstantGenerator: RandomNumberGenerator {
        let value: UInt64
        mutating func next() -> UInt64 { value }
    }

    @Test func tokenEncodingOfKnownBits() {
        var zeros = ConstantGenerator(value: 0)
        #expect(ProgressToken(using: &zeros).value == String(repeating: "0", count: 26))
        var ones = ConstantGenerator(value: .max)
        #expect(ProgressToken(using: &ones).value == String(repeating: "z", count: 25) + "w")
    }

    @Test(arguments: [
        ("https://zwfw.example.gov.cn", "https://zwfw.example.gov.cn/p/"),
        ("https://zwfw.example.gov.cn/", "https://zwfw.example.gov.cn/p/"),
        ("https://zwfw.example.gov.cn/kiosk", "https://zwfw.example.gov.cn/kiosk/p/"),
        ("https://zwfw.example.gov.cn/kiosk/", "https://zwfw.example.gov.cn/kiosk/p/"),
    ])
    func progressURL(_ base: String, _ prefix: String) throws {
        let token = try #require(ProgressToken("0123456789abcdefghjkmnpqrr"))
        #expect(token.url(publicBase: base) == prefix + "0123456789abcdefghjkmnpqrr")
    }

    @Test(arguments: [
        "short", "", "0123456789abcdefghjkmnpqr", "0123456789abcdefghjkmnpqrst",   // 5, 0, 25, 27 characters
        "0123456789ABCDEFGHJKMNPQRS",   // uppercase
        "0123456789abcdefghjkmnpqri",   // i is not Crockford
        "0123456789abcdefghjkmnpqrl", "0123456789abcdefghjkmnpqro", "0123456789abcdefghjkmnpqru",
        "0123456789abcdefghjkmnpq/s", "0123456789abcdefghjkmnpq s",
        "0123456789abcdefghjkmnpqrs",   // s cannot end a 128-bit token (its two low bits would be set)
    ])
    func invalidTokensAreRejected(_ text: String) {
        #expect(ProgressToken(text) == nil)
    }
}
