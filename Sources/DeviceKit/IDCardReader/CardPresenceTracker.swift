import IDCard

/// Decides, poll by poll, when a card was placed, lifted or swapped, so a card left on the reader
/// is announced once per placement, not at every poll. Find-card only says that *a* card lies on
/// the reader: a card swapped for another between two polls (or placed on top while one lies
/// there) looks the same as the one read. So while a card lies there it is read again every
/// `recheckEvery` polls, and a read that gives another ID number is a new placement.
public struct CardPresenceTracker: Sendable {
    /// What the poller should do after a find-card answer.
    public enum Step: Sendable, Equatable {
        /// A card appeared: select and read it.
        case read
        /// A card still lies there and is due to be read again (`reread`), to notice a swap.
        case recheck
        /// Nothing changed.
        case none
        /// The card that was read has gone.
        case removed
    }

    public private(set) var current: CardIdentity?
    /// A card lying on the reader is read again every this many polls (0: never).
    public let recheckEvery: Int
    private var pollsSinceRead = 0

    /// - Parameter recheckEvery: polls between re-reads of a card that stays on the reader
    ///   (3: about once a second at the default 300 ms poll).
    public init(recheckEvery: Int = 3) {
        self.recheckEvery = max(0, recheckEvery)
    }

    /// Feeds one find-card answer; `recheckNow` asks for a re-read of a lying card at this poll.
    public mutating func found(_ cardPresent: Bool, recheckNow: Bool = false) -> Step {
        switch (cardPresent, current != nil) {
        case (true, false): return .read
        case (true, true):
            pollsSinceRead += 1
            return recheckNow || (recheckEvery > 0 && pollsSinceRead >= recheckEvery) ? .recheck : .none
        case (false, true):
            current = nil
            return .removed
        case (false, false): return .none
        }
    }

    /// Records a successful read of the placed card.
    public mutating func read(_ identity: CardIdentity) {
        current = identity
        pollsSinceRead = 0
    }

    /// Records a re-read of the lying card: true when it is another card (another ID number),
    /// which is now the current one; false for the same card.
    public mutating func reread(_ identity: CardIdentity) -> Bool {
        pollsSinceRead = 0
        guard identity.idNumber != current?.idNumber else { return false }
        current = identity
        return true
    }

    /// A re-read failed (the card was being lifted, a read error): try again `recheckEvery` polls on.
    public mutating func rereadFailed() { pollsSinceRead = 0 }

    /// Forgets the card (the reader went away).
    public mutating func reset() -> Bool {
        defer { current = nil; pollsSinceRead = 0 }
        return current != nil
    }
}
