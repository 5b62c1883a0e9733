/// A queue ticket number (排队号): the category's prefix letter and a three-digit daily sequence,
/// e.g. `A007`. Sequences restart at 001 each hall day.
public struct TicketNumber: Sendable, Hashable, CustomStringConvertible, Codable {
    public var prefix: String
    public var sequence: Int

    public init(prefix: String, sequence: Int) {
        self.prefix = prefix
        self.sequence = sequence
    }

    public var description: String {
        let digits = String(sequence)
        return prefix + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}

/// Where a ticket is in the queue.
public enum TicketState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Issued and waiting to be called.
    case waiting
    /// Called to a window.
    case called
    /// Served at the window (the service may be rated).
    case served
    /// Called but the holder did not come (过号).
    case skipped
    /// Given up by the holder or voided by staff.
    case cancelled

    public var chineseName: String {
        switch self {
        case .waiting: "等待中"
        case .called: "已叫号"
        case .served: "已办理"
        case .skipped: "已过号"
        case .cancelled: "已取消"
        }
    }
}

/// The rules for issuing and calling tickets of one category on one day.
public enum QueueRules {
    /// The largest sequence three digits allow.
    public static let maximumDailySequence = 999

    /// The sequence the next ticket gets after `last` issued today, or nil when the category's
    /// daily limit (or 999) is reached.
    public static func nextSequence(after last: Int, dailyLimit: Int?) -> Int? {
        let limit = min(dailyLimit ?? maximumDailySequence, maximumDailySequence)
        return last < limit ? last + 1 : nil
    }

    /// Calling order among waiting tickets: appointment check-ins (预约) first, then in issue order.
    public static func callsBefore(_ a: (priority: Bool, issuedSequence: Int), _ b: (priority: Bool, issuedSequence: Int)) -> Bool {
        if a.priority != b.priority { return a.priority }
        return a.issuedSequence < b.issuedSequence
    }
}
