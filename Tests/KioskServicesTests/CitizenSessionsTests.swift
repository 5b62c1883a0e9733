import Foundation
import FrontDesk
import Synchronization
import Testing
import Workflow
@testable import KioskServices

/// Why a session ended, as the screen's `sessionEnded` says: another person's card ends the
/// open session as `anotherCard` (and wipes it); a session whose time was up, replaced before the
/// reaper came by, ends as `timeout`; the same card again keeps the session.
@Suite struct CitizenSessionsTests {
    static let zhang = Applicant(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true)
    static let li = Applicant(name: "李四", idNumber: "440524188001010014", documentKind: "resident", verifiedByCard: true)

    final class Ended: Sendable {
        let items = Mutex<[String]>([])
        var all: [String] { items.withLock { $0 } }
    }

    func sessions(_ clock: ManualClock, _ ended: Ended) -> CitizenSessions {
        CitizenSessions(timeoutSeconds: 120, warningSeconds: 15, clock: clock,
                        onEnd: { id, reason in ended.items.withLock { $0.append("\(id) \(reason.rawValue)") } })
    }

    @Test func anotherPersonsCardEndsTheSessionAsAnotherCardAndTheSameCardKeepsIt() async {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        let ended = Ended()
        let sessions = sessions(clock, ended)
        let screen = await sessions.open()
        await #expect(sessions.cardInserted(Self.zhang).id == screen.id)
        await #expect(sessions.cardInserted(Self.zhang).id == screen.id)
        let second = await sessions.cardInserted(Self.li)
        #expect(second.id != screen.id)
        #expect(second.identity?.idNumber == Self.li.idNumber)
        #expect(ended.all == ["\(screen.id) anotherCard"])
    }

    @Test func aSessionWhoseTimeWasUpEndsAsTimeoutWhenACardReplacesIt() async {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        let ended = Ended()
        let sessions = sessions(clock, ended)
        let first = await sessions.cardInserted(Self.zhang)
        clock.advance(by: 121)   // not reaped yet
        let next = await sessions.cardInserted(Self.zhang)
        #expect(next.id != first.id)
        #expect(ended.all == ["\(first.id) timeout"])
    }

    /// The clock stepped back an hour (an NTP correction) while a citizen had walked away: the
    /// session still ends within its timeout of the step, not an hour later with their data shown.
    @Test func aClockSteppedBackAnHourDoesNotKeepAnIdleSessionAliveForAnHour() async {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        let ended = Ended()
        let sessions = sessions(clock, ended)
        let session = await sessions.cardInserted(Self.zhang)
        clock.advance(by: 60)                 // idle for a minute of its two
        clock.advance(by: -3600)              // the clock steps back an hour
        await sessions.reap()
        #expect(sessions.count == 1, "not ended early either: its timeout counts from the step")
        clock.advance(by: 121)
        await sessions.reap()
        #expect(sessions.count == 0)
        #expect(ended.all == ["\(session.id) timeout"])
    }
}

