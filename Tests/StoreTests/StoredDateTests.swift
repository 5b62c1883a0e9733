import Foundation
import GRDB
import Testing
import Workflow
@testable import Store

/// The store binds dates as `UTCTimestamp` text instead of through GRDB's DateFormatter: the two
/// must agree byte for byte, or rows written each way would compare and sort apart.
@Suite struct StoredDateTests {
    /// Instants with sub-millisecond parts (truncation), whole seconds, day/month/year edges,
    /// leap days, and dates read back from their own stored text (the round trip the queue's
    /// position query makes).
    static func instants() -> [Date] {
        var generator = SystemRandomNumberGenerator()
        var dates: [Date] = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_795_399_200),
                             Date(timeIntervalSince1970: 1_795_399_199.9999), Date(timeIntervalSince1970: 1_709_164_800.5),  // 2024-02-29
                             Date(timeIntervalSince1970: 1_798_761_599.999_999), Date(timeIntervalSince1970: 4_102_444_800.001)]
        for _ in 0..<20_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_200_000_000, using: &generator)))
        }
        for _ in 0..<2_000 {  // whole milliseconds, as parsed back from the store
            dates.append(Date(timeIntervalSince1970: Double(Int64.random(in: 1_700_000_000_000..<1_900_000_000_000, using: &generator)) / 1000))
        }
        return dates
    }

    @Test func storedTextIsGRDBsText() throws {
        var mismatches: [String] = []
        for date in Self.instants() {
            let grdb = String.fromDatabaseValue(date.databaseValue)
            let ours = String.fromDatabaseValue(date.stored.databaseValue)
            if grdb != ours { mismatches.append("\(date.timeIntervalSince1970): GRDB \(grdb ?? "nil"), ours \(ours ?? "nil")") }
        }
        let count = mismatches.count, examples = Array(mismatches.prefix(5))
        #expect(count == 0, "\(count) mismatches, e.g. \(examples)")
    }

    /// A date read back from the store and bound again (the queue's position query does this)
    /// gets the same text it was stored with, and GRDB's.
    @Test func readBackDatesBindAsGRDBWould() throws {
        for date in Self.instants().prefix(2_000) {
            let back = try #require(Date.fromDatabaseValue(date.stored.databaseValue))
            #expect(String.fromDatabaseValue(back.stored.databaseValue) == String.fromDatabaseValue(back.databaseValue))
            #expect(String.fromDatabaseValue(back.stored.databaseValue) == String.fromDatabaseValue(date.stored.databaseValue))
        }
    }
}
