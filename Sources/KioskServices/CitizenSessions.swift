import Foundation
import FrontDesk
import Synchronization
import Workflow

/// One citizen's visit at the screen: opened by the screen or by placing an ID card, ended by the
/// citizen, by inactivity, or by another card. The identity lives only here, in memory.
public struct CitizenSession: Sendable {
    public var id: String
    public var createdAt: Date
    public var lastActivity: Date
    public var identity: Applicant?
    /// 帮办代办: the person `identity` (the agent) files for, read from their card or entered.
    public var principal: Applicant?
    /// 帮办代办: the next other card read is the principal's, not a new citizen's.
    public var awaitingPrincipalCard = false
    /// Whether `sessionExpiring` was already announced for the current idle period.
    var warned = false
    /// The services this session received (filings submitted, tickets issued): the ones its
    /// citizen may rate from the screen without a rating code.
    var served: Set<EvaluationSubject> = []

    public func expiresAt(timeout: TimeInterval) -> Date { lastActivity + timeout }
}

/// The open citizen sessions (at most one at a kiosk: one screen, one reader). Ending a session
/// forgets its identity and calls `onEnd`, which abandons its unsubmitted drafts in the store.
public final class CitizenSessions: Sendable {
    /// Why a session ended, as the `sessionEnded` event says.
    public enum EndReason: String, Sendable {
        case ended, timeout, anotherCard
    }

    public let timeout: TimeInterval
    public let warning: TimeInterval
    private let clock: any KioskClock
    private let onEnd: @Sendable (String, EndReason) async -> Void
    private let onExpiring: @Sendable (String, Date) -> Void
    private let sessions = Mutex<[String: CitizenSession]>([:])

    public init(timeoutSeconds: Int, warningSeconds: Int, clock: any KioskClock = SystemClock(),
                onExpiring: @escaping @Sendable (String, Date) -> Void = { _, _ in },
                onEnd: @escaping @Sendable (String, EndReason) async -> Void = { _, _ in }) {
        timeout = TimeInterval(timeoutSeconds)
        warning = TimeInterval(warningSeconds)
        self.clock = clock
        self.onEnd = onEnd
        self.onExpiring = onExpiring
    }

    /// Opens a session (ending any other: one citizen at a time). The one it replaces ends as
    /// `timeout` when its time was up (not yet reaped), `anotherCard` when it held another
    /// person's identity and this one is opened for a card, else `ended`.
    public func open(identity: Applicant? = nil) async -> CitizenSession {
        let now = clock.now()
        let session = CitizenSession(id: UUID().uuidString.lowercased(), createdAt: now, lastActivity: now, identity: identity)
        let previous = sessions.withLock { all -> [(String, EndReason)] in
            let old = all.values.map { s -> (String, EndReason) in
                if s.expiresAt(timeout: timeout) <= now { return (s.id, .timeout) }
                if let identity, let held = s.identity, held.idNumber != identity.idNumber { return (s.id, .anotherCard) }
                return (s.id, .ended)
            }
            all = [session.id: session]
            return old
        }
        for (id, reason) in previous { await onEnd(id, reason) }
        return session
    }

    /// The live session with this id, its idle clock restarted; nil if unknown or expired.
    public func touch(_ id: String) -> CitizenSession? {
        let now = clock.now()
        return sessions.withLock { all -> CitizenSession? in
            guard var s = all[id], s.expiresAt(timeout: timeout) > now else { return nil }
            s.lastActivity = now
            s.warned = false
            all[id] = s
            return s
        }
    }

    /// Ends a session now and wipes it; false if there was none.
    @discardableResult
    public func end(_ id: String, reason: EndReason = .ended) async -> Bool {
        let existed = sessions.withLock { $0.removeValue(forKey: id) != nil }
        if existed { await onEnd(id, reason) }
        return existed
    }

    /// A card was read: it joins the open session if that has no identity yet (or the same person),
    /// otherwise a new session starts (and the previous one ends and is wiped).
    @discardableResult
    public func cardInserted(_ applicant: Applicant) async -> CitizenSession {
        let now = clock.now()
        let joined = sessions.withLock { all -> CitizenSession? in
            guard let (id, s) = all.first, s.expiresAt(timeout: timeout) > now else { return nil }
            if s.awaitingPrincipalCard, let agent = s.identity, agent.idNumber != applicant.idNumber {
                // The agent asked for the principal's card: it joins the session as the principal.
                var updated = s
                updated.principal = applicant
                updated.awaitingPrincipalCard = false
                updated.lastActivity = now
                all[id] = updated
                return updated
            }
            // The principal's card read again (the reader re-reads a card lying on it) is no new citizen.
            if s.principal?.verifiedByCard == true, s.principal?.idNumber == applicant.idNumber { return s }
            guard s.identity == nil || s.identity?.idNumber == applicant.idNumber else { return nil }
            var updated = s
            updated.identity = applicant
            updated.lastActivity = now
            all[id] = updated
            return updated
        }
        if let joined { return joined }
        return await open(identity: applicant)
    }

    /// Announces sessions about to expire and ends expired ones; call about once a second.
    public func reap() async {
        let now = clock.now()
        let (expiring, expired) = sessions.withLock { all -> ([(String, Date)], [String]) in
            var expiring: [(String, Date)] = []
            var expired: [String] = []
            for (id, found) in all {
                var s = found
                // The clock was stepped back (an NTP correction, a technician's date command):
                // idleness counts from now, so the session ends at most `timeout` after the step —
                // not an hour later with the citizen's data still on the screen.
                if s.lastActivity > now {
                    s.lastActivity = now
                    all[id]?.lastActivity = now
                }
                let end = s.expiresAt(timeout: timeout)
                if end <= now {
                    expired.append(id)
                } else if !s.warned, end.timeIntervalSince(now) <= warning {
                    all[id]?.warned = true
                    expiring.append((id, end))
                }
            }
            for id in expired { all.removeValue(forKey: id) }
            return (expiring, expired)
        }
        for (id, at) in expiring { onExpiring(id, at) }
        for id in expired { await onEnd(id, .timeout) }
    }

    public var count: Int { sessions.withLock { $0.count } }

    /// 帮办代办: the card read so far is the agent's; the principal is `principal` (entered), or,
    /// when nil, the next other card read. Nil when the session is not live.
    public func fileForPrincipal(_ id: String, principal: Applicant?) -> CitizenSession? {
        let now = clock.now()
        return sessions.withLock { all -> CitizenSession? in
            guard var s = all[id], s.expiresAt(timeout: timeout) > now else { return nil }
            s.principal = principal
            s.awaitingPrincipalCard = principal == nil
            s.lastActivity = now
            all[id] = s
            return s
        }
    }

    /// Notes that the session received `subject` (a filing it submitted, a ticket it took).
    public func recordService(_ subject: EvaluationSubject, in id: String) {
        sessions.withLock { all in all[id]?.served.insert(subject) }
    }

    /// Whether the live session `id` received `subject`.
    public func received(_ subject: EvaluationSubject, in id: String) -> Bool {
        let now = clock.now()
        return sessions.withLock { all in
            guard let s = all[id], s.expiresAt(timeout: timeout) > now else { return false }
            return s.served.contains(subject)
        }
    }

    /// The ids of the sessions open now.
    public var liveIDs: Set<String> { sessions.withLock { Set($0.keys) } }

    /// The open session's id, if any.
    public var currentID: String? { sessions.withLock { $0.keys.first } }
}
