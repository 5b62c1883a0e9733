import Foundation
import Testing
import Workflow

/// The outbox payloads' dates are written by `UTCTimestamp` instead of JSONEncoder's `.iso8601`:
/// the text must be the same, byte for byte.
@Suite struct UTCTimestampTests {
    @Test func isoTextIsJSONEncodersISO8601() throws {
        var generator = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_795_399_199.9999),
                     Date(timeIntervalSince1970: 1_709_164_800.5), Date(timeIntervalSince1970: 1_798_761_599.999_999)]
        for _ in 0..<5_000 { dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_200_000_000, using: &generator))) }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let theirs = try JSONDecoder().decode([String].self, from: encoder.encode(dates))
        let ours = dates.map { UTCTimestamp($0).isoInternetText }
        let mismatches = zip(dates, zip(theirs, ours)).filter { $1.0 != $1.1 }
        let count = mismatches.count, examples = mismatches.prefix(5).map { "\($0.0.timeIntervalSince1970): \($0.1.0) vs \($0.1.1)" }
        #expect(count == 0, "\(count) mismatches, e.g. \(examples)")
    }

    @Test func fieldsOfAKnownMoment() {
        let t = UTCTimestamp(Date(timeIntervalSince1970: 1_795_399_200.1239))  // 2026-11-23 02:00:00.1239 UTC: .124 stored, whole second in ISO
        #expect(t.sqliteText == "2026-11-23 02:00:00.124")
        #expect(t.isoInternetText == "2026-11-23T02:00:00Z")
    }
}
