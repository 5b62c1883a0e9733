import Foundation
import FrontDesk
import Logging
import ServiceLifecycle

/// Brings every call of the hall (any window, worked through any kiosk) to this kiosk's event
/// stream as `ticketCalled`, so a hall display on any kioskd shows and speaks them all: it reads
/// the hall store's new calls every `interval` (a display shows a call well within a second).
/// Calls made before kioskd started are not replayed; a call that became visible after a newer
/// one (commit order) is still announced, once (`HallCallCursor`).
public struct HallCallFeed: Service {
    let desk: FrontDesk
    let events: KioskEventLog
    let interval: Duration
    let logger: Logger

    public init(desk: FrontDesk, events: KioskEventLog, interval: Duration = .milliseconds(200), logger: Logger) {
        self.desk = desk
        self.events = events
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var cursor: HallCallCursor?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // A full batch means more calls are waiting: read on at once rather than after the interval.
            var full = false
            do {
                if var current = cursor {
                    let calls = try await desk.hallCalls(after: current.newest)
                    let found = try await desk.hallCalls(ids: current.gapIDs)
                    full = calls.count >= FrontDesk.hallCallBatch
                    for call in current.accept(calls + found, now: desk.clock.now()) {
                        events.publish(.ticketCalled, TicketCalledEvent(ticket: call.ticket, window: call.window, category: call.category,
                                                                        categoryName: call.categoryName, recall: call.recall, calledAt: call.at))
                    }
                    cursor = current
                } else {
                    cursor = HallCallCursor(newest: try await desk.lastHallCallID())
                }
            } catch {
                // The hall database is away: the link's check reports it; calls resume when it returns.
            }
            if full { continue }
            let interval = interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
