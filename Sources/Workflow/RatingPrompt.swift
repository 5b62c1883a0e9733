import Foundation

/// The evaluation pad's rules between "the workflow asks for a rating" and "a level is recorded"
/// (一次一评), as a pure state machine: one instance asked at a time, a deadline after which it is
/// 未评价 (no rating, not a level), key bounce and key repeat counted once, and a press after the
/// rating refused rather than taken as a second rating. Time is passed in, so tests need no waiting.
public struct RatingPrompt: Sendable {
    /// Where the pad is.
    public enum Phase: Sendable, Hashable {
        /// Nobody is asked: keys are ignored (and counted).
        case idle
        /// `subject` is being rated until `deadline`.
        case asking(EvaluationSubject, deadline: Date)
        /// `subject` was just rated; until `until`, more presses are second presses of that instance.
        case answered(EvaluationSubject, until: Date)
    }

    /// What became of one key event.
    public enum KeyOutcome: Sendable, Hashable {
        /// Record this level for this instance (the prompt is then answered).
        case record(EvaluationSubject, EvaluationLevel)
        /// No rating was asked for.
        case ignoredIdle
        /// Within the debounce window of the previous press (a bounced contact or a double tap).
        case debounced
        /// The key's auto-repeat or its release (prompt or not): a held key counts once.
        case heldOrReleased
        /// The instance was rated already: a second press is refused.
        case secondPress(EvaluationSubject)
    }

    /// How long a rating is waited for.
    public let timeout: TimeInterval
    /// Presses closer than this to the previous press count once.
    public let debounce: TimeInterval
    /// How long after a rating further presses are refused as second presses of that instance
    /// (the thank-you screen), rather than ignored as idle.
    public let answeredHold: TimeInterval
    public private(set) var phase: Phase = .idle
    private var lastPress: Date?

    public init(timeout: TimeInterval = 30, debounce: TimeInterval = 0.3, answeredHold: TimeInterval = 5) {
        self.timeout = timeout
        self.debounce = debounce
        self.answeredHold = answeredHold
    }

    /// The instance being asked, if any.
    public var asking: EvaluationSubject? {
        if case let .asking(subject, _) = phase { return subject }
        return nil
    }

    /// Starts asking for `subject`'s rating at `now`; returns the deadline and the instance whose
    /// prompt this one replaced (that one goes unrated).
    public mutating func ask(_ subject: EvaluationSubject, now: Date) -> (deadline: Date, replaced: EvaluationSubject?) {
        let replaced = asking.flatMap { $0 == subject ? nil : $0 }
        let deadline = now.addingTimeInterval(timeout)
        phase = .asking(subject, deadline: deadline)
        return (deadline, replaced)
    }

    /// A key event at `now`: `isPress` false for an auto-repeat or a release.
    public mutating func key(_ level: EvaluationLevel, isPress: Bool, now: Date) -> KeyOutcome {
        settle(now: now)
        guard isPress else { return .heldOrReleased }
        if let last = lastPress, now >= last, now.timeIntervalSince(last) < debounce {
            lastPress = now   // a chattering contact keeps extending its own window
            return phase == .idle ? .ignoredIdle : .debounced
        }
        lastPress = now
        switch phase {
        case .idle:
            return .ignoredIdle
        case let .answered(subject, _):
            return .secondPress(subject)
        case let .asking(subject, _):
            phase = .answered(subject, until: now.addingTimeInterval(answeredHold))
            return .record(subject, level)
        }
    }

    /// Ends a prompt whose deadline has passed: returns the instance that goes unrated (未评价).
    public mutating func expire(now: Date) -> EvaluationSubject? {
        guard case let .asking(subject, deadline) = phase, now >= deadline else {
            settle(now: now)
            return nil
        }
        phase = .idle
        return subject
    }

    /// Withdraws the prompt (the screen moved on, the pad went away): returns the instance that
    /// goes unrated, nil when nothing was asked.
    public mutating func cancel() -> EvaluationSubject? {
        defer { if asking != nil { phase = .idle } }
        return asking
    }

    /// The answered hold ends by itself.
    private mutating func settle(now: Date) {
        if case let .answered(_, until) = phase, now >= until { phase = .idle }
    }
}
