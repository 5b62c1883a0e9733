import IDCard

/// Decides, poll by poll, when a card was placed and when it was lifted, so a card left on the
/// reader is read once per placement, not at every poll.
public struct CardPresenceTracker: Sendable {
    /// What the poller should do after a find-card answer.
    public enum Step: Sendable, Equatable {
        /// A card appeared: select and read it.
        case read
        /// Nothing changed.
        case none
        /// The card that was read has gone.
        case removed
    }

    public private(set) var current: CardIdentity?

    public init() {}

    /// Feeds one find-card answer.
    public mutating func found(_ cardPresent: Bool) -> Step {
        switch (cardPresent, current != nil) {
        case (true, false): return .read
        case (true, true): return .none
        case (false, true):
            current = nil
            return .removed
        case (false, false): return .none
        }
    }

    /// Records a successful read of the placed card.
    public mutating func read(_ identity: CardIdentity) { current = identity }

    /// Forgets the card (the reader went away).
    public mutating func reset() -> Bool {
        defer { current = nil }
        return current != nil
    }
}
