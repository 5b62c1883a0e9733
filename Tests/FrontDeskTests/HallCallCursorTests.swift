import Foundation
@testable import FrontDesk
import Testing

/// The hall display feed's cursor: call ids become visible in commit order, not id order, so an id
/// skipped over is looked up again and announced once when it appears; a hole left by a rolled-back
/// call is given up after the grace.
struct HallCallCursorTests {
    static func call(_ id: Int64) -> FrontDesk.HallCall {
        FrontDesk.HallCall(id: id, ticket: "G\(id)", category: "general", categoryName: "综合受理", window: "1", recall: false,
                           at: Date(timeIntervalSince1970: 0))
    }

    @Test func aCallCommittedAfterANewerOneIsAnnouncedOnceAndHolesExpire() {
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        var cursor = HallCallCursor(newest: 10, grace: 30)
        // 11 and 13 visible, 12 not yet committed.
        #expect(cursor.accept([Self.call(11), Self.call(13)], now: t0).map(\.id) == [11, 13])
        #expect(cursor.newest == 13 && cursor.gapIDs == [12])
        // 12 commits: announced (once), even though it is older than 13.
        #expect(cursor.accept([Self.call(14), Self.call(12)], now: t0 + 1).map(\.id) == [12, 14])
        #expect(cursor.gapIDs.isEmpty)
        #expect(cursor.accept([Self.call(12), Self.call(14)], now: t0 + 2).isEmpty)
        // 15 was rolled back (a hole in the sequence): looked for during the grace, then given up.
        #expect(cursor.accept([Self.call(16)], now: t0 + 3).map(\.id) == [16])
        #expect(cursor.accept([], now: t0 + 20).isEmpty && cursor.gapIDs == [15])
        #expect(cursor.accept([], now: t0 + 34).isEmpty && cursor.gapIDs.isEmpty)
    }
}
