import DeviceKit
import Foundation
import Workflow
import Synchronization

/// The kinds of event the touch screen's stream (`GET /api/v1/events`) carries.
public enum KioskEventType: String, Sendable, CaseIterable {
    case cardInserted, cardRemoved, deviceStatus, padPrompt, padPressed, padPromptEnded, slipPrinted, sessionExpiring, sessionEnded,
         maintenance
    /// A window called (or recalled) a ticket: the hall display shows and speaks it.
    case ticketCalled
    /// Sent to a reconnecting screen whose missed events are no longer kept: re-read the state.
    case resync
}

/// One event of the screen's stream: an id that only grows, a type, and its data as JSON (never
/// a full ID number or a name in clear).
public struct KioskEvent: Sendable, Hashable {
    public var id: Int64
    public var type: KioskEventType
    public var json: String

    /// The event in the Server-Sent Events wire format.
    public var serverSentEvent: String { "id: \(id)\nevent: \(type.rawValue)\ndata: \(json)\n\n" }
}

/// The kiosk's live events for the screen. Ids start at the boot's Unix milliseconds, so they keep
/// growing across restarts; the newest `capacity` events are kept so a screen that reconnects with
/// `Last-Event-ID` gets what it missed.
public final class KioskEventLog: Sendable {
    private struct State {
        var nextID: Int64
        var recent: [KioskEvent] = []
    }

    private let state: Mutex<State>
    private let live = EventBroadcaster<KioskEvent>(bufferSize: 512)
    public let capacity: Int

    public convenience init(capacity: Int = 512, clock: any KioskClock = SystemClock()) {
        self.init(capacity: capacity, firstID: Int64(clock.now().timeIntervalSince1970 * 1000))
    }

    /// A log whose first event has `firstID` (ids grow from the start time, so a restart never reuses one).
    public init(capacity: Int = 512, firstID: Int64) {
        self.capacity = capacity
        state = Mutex(State(nextID: firstID))
    }

    /// Publishes an event with `payload` encoded as JSON; returns it.
    @discardableResult
    public func publish(_ type: KioskEventType, _ payload: some Encodable) -> KioskEvent {
        let json = (try? KioskJSON.encoder.encode(payload)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return state.withLock { state in
            let event = KioskEvent(id: state.nextID, type: type, json: json)
            state.nextID += 1
            state.recent.append(event)
            if state.recent.count > capacity { state.recent.removeFirst(state.recent.count - capacity) }
            // Broadcast under the lock, so every subscriber sees ids in order.
            live.publish(event)
            return event
        }
    }

    /// The kept events after `lastID` (all kept ones when nil) and a stream of every later event.
    /// `gap` is true when events after `lastID` were already dropped from the log.
    public func subscribe(after lastID: Int64?) -> (replay: [KioskEvent], gap: Bool, live: AsyncStream<KioskEvent>) {
        state.withLock { state in
            let stream = live.subscribe()
            let replay = lastID.map { last in state.recent.filter { $0.id > last } } ?? []
            let oldestKept = state.recent.first?.id ?? state.nextID
            let gap = lastID.map { $0 + 1 < oldestKept } ?? false
            // Subscribed under the lock: the live stream starts exactly after the replay.
            return (replay, gap, stream)
        }
    }

    /// The newest kept events, oldest first.
    public func recent(_ count: Int = 50) -> [KioskEvent] {
        state.withLock { Array($0.recent.suffix(count)) }
    }

    public var subscriberCount: Int { live.subscriberCount }
}

// MARK: - Event data

/// `cardInserted`: a card was read into a session (masked: the stream is no place for a full number).
public struct CardInsertedEvent: Codable, Sendable {
    public var sessionId: String
    public var name: String
    public var idNumber: String
    public var cardType: String?

    public init(sessionId: String, name: String, idNumber: String, cardType: String?) {
        self.sessionId = sessionId; self.name = name; self.idNumber = idNumber; self.cardType = cardType
    }
}

/// `cardRemoved`.
public struct CardRemovedEvent: Codable, Sendable {
    public var sessionId: String?
    public init(sessionId: String?) { self.sessionId = sessionId }
}

/// `padPressed`: a rating recorded from the evaluation pad, with the instance it rates.
public struct PadPressedEvent: Codable, Sendable {
    public var level: Int
    public var levelName: String
    public var filingNumber: String?
    public var ticket: String?
    public var evaluationId: Int64?
    /// `pendingVerification` when the rating is a 差评 and opened a rectification record.
    public var rectification: String?

    public init(level: Int, levelName: String, filingNumber: String? = nil, ticket: String? = nil, evaluationId: Int64? = nil,
                rectification: String? = nil) {
        self.level = level; self.levelName = levelName; self.filingNumber = filingNumber; self.ticket = ticket
        self.evaluationId = evaluationId; self.rectification = rectification
    }
}

/// `padPrompt`: the pad waits for the rating of one service instance until `expiresAt`
/// (the screen shows the rating page).
public struct PadPromptEvent: Codable, Sendable, Hashable {
    public var filingNumber: String?
    public var ticket: String?
    public var expiresAt: Date
    public var timeoutSeconds: Int
}

/// `padPromptEnded`: the pad stopped waiting. `outcome` is `rated` or `unrated` (未评价);
/// `reason`: rated, timeout, cancelled, replaced (another instance was asked), padUnavailable,
/// alreadyRated (the instance was rated meanwhile, e.g. on the screen), error.
public struct PadPromptEndedEvent: Codable, Sendable, Hashable {
    public var filingNumber: String?
    public var ticket: String?
    public var outcome: String
    public var reason: String
}

/// `slipPrinted`: what became of a slip handed to a printer.
public struct SlipPrintedEvent: Codable, Sendable {
    public var jobId: Int64
    public var printerId: String
    public var state: String
    public var template: String
    public var reference: String?
}

/// `sessionExpiring`.
public struct SessionExpiringEvent: Codable, Sendable {
    public var sessionId: String
    public var expiresAt: Date
    public init(sessionId: String, expiresAt: Date) { self.sessionId = sessionId; self.expiresAt = expiresAt }
}

/// `sessionEnded`.
public struct SessionEndedEvent: Codable, Sendable {
    public var sessionId: String
    public var reason: String
    public init(sessionId: String, reason: String) { self.sessionId = sessionId; self.reason = reason }
}
