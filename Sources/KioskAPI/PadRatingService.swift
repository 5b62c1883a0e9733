import AsyncAlgorithms
import DeviceKit
import Foundation
import FrontDesk
import Logging
import ServiceLifecycle
import Synchronization
import Workflow

/// One service instance the pad is asked to rate, with the names the screen knows it by.
public struct RatingRequest: Sendable, Hashable {
    public var subject: EvaluationSubject
    public var filingNumber: String?
    /// The ticket as printed (`A007`); the subject carries its store id.
    public var ticket: String?

    public init(subject: EvaluationSubject, filingNumber: String? = nil, ticket: String? = nil) {
        self.subject = subject
        self.filingNumber = filingNumber
        self.ticket = ticket
    }

    public static func filing(_ number: String) -> RatingRequest { RatingRequest(subject: .filing(number), filingNumber: number) }

    public static func ticket(id: Int64, number: String) -> RatingRequest { RatingRequest(subject: .ticket(id), ticket: number) }
}

/// Why the pad cannot ask for a rating.
public enum PadPromptError: Error, Sendable, CustomStringConvertible {
    /// The workflow refuses (no such instance, not rateable, already rated).
    case refused(FrontDeskError)
    /// The pad is unplugged or unreadable: rate on the screen instead.
    case padUnavailable

    public var description: String {
        switch self {
        case let .refused(error): "\(error)"
        case .padUnavailable: "the evaluation pad is unavailable"
        }
    }
}

/// What became of the pad's keys (for /metrics and the technician): every key event lands in
/// exactly one of these.
public struct PadKeyCounters: Sendable, Hashable, Codable {
    /// Presses recorded as a rating.
    public var rated = 0
    /// Presses while no rating was asked.
    public var ignoredIdle = 0
    /// Presses inside the debounce window (a bounced contact).
    public var debounced = 0
    /// Auto-repeats and releases (a held key counts once).
    public var heldOrReleased = 0
    /// Second presses / second ratings of an instance, refused.
    public var refused = 0
    /// Keys the profile maps to no level 1–5.
    public var unknown = 0
    /// Prompts that ended without a rating (未评价).
    public var unrated = 0
}

/// The evaluation pad's side of 一次一评: idle until the workflow asks for the rating of one
/// service instance, then `padPrompt`; the first press (debounced, repeats ignored) is recorded
/// through the front desk's rating rules (a 差评 opens its rectification, the rating is queued
/// upstream) and announced as `padPressed`; no press before the timeout, a withdrawn prompt or an
/// unplugged pad is 未评价 — recorded as no rating, never as a level. Keys nobody asked for are
/// ignored and counted. Time comes from the kiosk's clock, so tests move it by hand.
public final class PadRatingService: Service, Sendable {
    private struct State: Sendable {
        var prompt: RatingPrompt
        var request: RatingRequest?
        var counters = PadKeyCounters()
        var padAvailable = true
    }

    private let state: Mutex<State>
    private let desk: FrontDesk
    private let events: KioskEventLog
    private let clock: any KioskClock
    private let logger: Logger
    /// Tells the pad what to show (its LED: asked / not asked).
    private let indicate: @Sendable (PadSignal) -> Void
    public let timeoutSeconds: Int

    public init(desk: FrontDesk, events: KioskEventLog, clock: any KioskClock, timeoutSeconds: Int = 30,
                debounceSeconds: Double = 0.3, indicate: @escaping @Sendable (PadSignal) -> Void = { _ in }, logger: Logger) {
        self.indicate = indicate
        self.desk = desk
        self.events = events
        self.clock = clock
        self.logger = logger
        self.timeoutSeconds = timeoutSeconds
        state = Mutex(State(prompt: RatingPrompt(timeout: TimeInterval(timeoutSeconds), debounce: debounceSeconds)))
    }

    public var counters: PadKeyCounters { state.withLock { $0.counters } }

    /// The instance being asked, if any.
    public var current: RatingRequest? { state.withLock { $0.prompt.asking == nil ? nil : $0.request } }

    /// Asks the pad for `request`'s rating: checks the workflow allows it, replaces an unanswered
    /// prompt (that one goes unrated), and announces `padPrompt`.
    @discardableResult
    public func ask(_ request: RatingRequest) async throws(PadPromptError) -> PadPromptEvent {
        do throws(FrontDeskError) {
            try await desk.checkRateable(request.subject)
        } catch {
            throw .refused(error)
        }
        let now = clock.now()
        let asked = state.withLock { s -> (deadline: Date, replaced: RatingRequest?)? in
            guard s.padAvailable else { return nil }
            let previous = s.request
            let (deadline, replaced) = s.prompt.ask(request.subject, now: now)
            s.request = request
            return (deadline, replaced == nil ? nil : previous)
        }
        guard let asked else { throw .padUnavailable }
        if let replaced = asked.replaced { await endUnrated(replaced, reason: "replaced", note: "被新的评价请求取代") }
        indicate(.prompt)
        let event = PadPromptEvent(filingNumber: request.filingNumber, ticket: request.ticket, expiresAt: asked.deadline,
                                   timeoutSeconds: timeoutSeconds)
        logger.info("rating asked on the pad", metadata: ["subject": "\(request.subject)", "timeoutSeconds": "\(timeoutSeconds)"])
        events.publish(.padPrompt, event)
        return event
    }

    /// Withdraws the prompt (the screen moved on): the instance goes unrated. False when nothing was asked.
    @discardableResult
    public func cancel() async -> Bool {
        let cancelled = state.withLock { s -> RatingRequest? in s.prompt.cancel() == nil ? nil : s.request }
        guard let cancelled else { return false }
        await endUnrated(cancelled, reason: "cancelled", note: "评价已取消")
        return true
    }

    /// Ends a prompt whose time is up (未评价). Called by `run()` and by tests after moving the clock.
    public func expireIfDue() async {
        let now = clock.now()
        let expired = state.withLock { s -> RatingRequest? in s.prompt.expire(now: now) == nil ? nil : s.request }
        guard let expired else { return }
        await endUnrated(expired, reason: "timeout", note: "超时未评价")
    }

    /// One input from the pad's driver.
    public func handle(_ input: PadInput) async {
        switch input {
        case .available:
            state.withLock { $0.padAvailable = true }
        case let .unavailable(why):
            let dropped = state.withLock { s -> RatingRequest? in
                s.padAvailable = false
                return s.prompt.cancel() == nil ? nil : s.request
            }
            if let dropped {
                logger.warning("the pad went away during a rating prompt", metadata: ["subject": "\(dropped.subject)", "why": "\(why)"])
                await endUnrated(dropped, reason: "padUnavailable", note: "评价器断开")
            }
        case let .key(key):
            await handle(key)
        }
    }

    private func handle(_ key: PadKeyEvent) async {
        guard let level = EvaluationLevel(rawValue: key.level) else {
            state.withLock { $0.counters.unknown += 1 }
            logger.warning("pad key with no level", metadata: ["key": "\(key)"])
            return
        }
        let now = clock.now()
        let (outcome, request) = state.withLock { s -> (RatingPrompt.KeyOutcome, RatingRequest?) in
            let outcome = s.prompt.key(level, isPress: key.action == .press, now: now)
            switch outcome {
            case .ignoredIdle: s.counters.ignoredIdle += 1
            case .debounced: s.counters.debounced += 1
            case .heldOrReleased: s.counters.heldOrReleased += 1
            case .secondPress: s.counters.refused += 1
            case .record: break
            }
            return (outcome, s.request)
        }
        switch outcome {
        case let .record(subject, level):
            await record(subject, level, request ?? RatingRequest(subject: subject))
        case let .secondPress(subject):
            logger.notice("second press on the pad refused: the instance is rated", metadata: ["subject": "\(subject)", "level": "\(level.rawValue)"])
        case .ignoredIdle:
            logger.debug("pad key ignored: no rating asked", metadata: ["level": "\(level.rawValue)"])
        case .debounced, .heldOrReleased:
            break
        }
    }

    private func record(_ subject: EvaluationSubject, _ level: EvaluationLevel, _ request: RatingRequest) async {
        do throws(FrontDeskError) {
            let record = try await desk.rate(subject, level: level.rawValue, channel: "pad")
            state.withLock { $0.counters.rated += 1 }
            logger.info("rating recorded from the pad", metadata: [
                "subject": "\(subject)", "level": "\(level.rawValue)", "evaluation": "\(record.id)",
                "rectification": "\(record.rectification.map { String($0.id) } ?? "-")",
            ])
            events.publish(.padPressed, PadPressedEvent(
                level: level.rawValue, levelName: level.chineseName, filingNumber: request.filingNumber, ticket: request.ticket,
                evaluationId: record.id, rectification: record.rectification?.status.rawValue))
            events.publish(.padPromptEnded, PadPromptEndedEvent(filingNumber: request.filingNumber, ticket: request.ticket,
                                                                outcome: "rated", reason: "rated"))
            indicate(.idle)
        } catch {
            indicate(.idle)
            if case .workflow(.alreadyRated) = error {
                state.withLock { $0.counters.refused += 1 }
                logger.notice("pad rating refused: the instance was rated meanwhile", metadata: ["subject": "\(subject)"])
                events.publish(.padPromptEnded, PadPromptEndedEvent(filingNumber: request.filingNumber, ticket: request.ticket,
                                                                    outcome: "rated", reason: "alreadyRated"))
            } else {
                logger.error("pad rating not recorded", metadata: ["subject": "\(subject)", "error": "\(error)"])
                events.publish(.padPromptEnded, PadPromptEndedEvent(filingNumber: request.filingNumber, ticket: request.ticket,
                                                                    outcome: "unrated", reason: "error"))
            }
        }
    }

    /// 未评价: an audit record on the instance (no level), the counter, and `padPromptEnded`.
    private func endUnrated(_ request: RatingRequest, reason: String, note: String) async {
        var recorded = false
        do throws(FrontDeskError) {
            recorded = try await desk.recordUnrated(request.subject, reason: note)
        } catch {
            logger.error("cannot record 未评价", metadata: ["subject": "\(request.subject)", "error": "\(error)"])
        }
        state.withLock { $0.counters.unrated += 1 }
        logger.info("rating prompt ended without a rating", metadata: ["subject": "\(request.subject)", "reason": "\(reason)",
                                                                     "recorded": "\(recorded)"])
        indicate(.idle)
        events.publish(.padPromptEnded, PadPromptEndedEvent(filingNumber: request.filingNumber, ticket: request.ticket,
                                                            outcome: "unrated", reason: reason))
    }

    /// Ends prompts whose time is up, four times a second.
    public func run() async throws {
        for await _ in AsyncTimerSequence.repeating(every: .milliseconds(250)).cancelOnGracefulShutdown() { await expireIfDue() }
    }
}
