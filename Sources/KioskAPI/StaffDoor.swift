import Crypto
import Foundation
import Workflow
import KioskConfig
import Synchronization

/// The staff door's guard: a staff member names their account and enters its PIN, checked against
/// the salted hash of `staff.yaml`; logins are short-lived bearer tokens kept in memory only.
///
/// Guessing is bounded twice. Each account locks after `maxFailures` wrong PINs in a row (a
/// success clears only that account's count), and the whole door locks once `doorMaxFailures`
/// wrong PINs over all accounts fall within `doorWindow` — a success never gives that budget back,
/// so slipping in one's own PIN between guesses at a colleague's does not reset anything. While a
/// lock holds even the right PIN is refused. An unknown account costs a door-wide failure and the
/// same slow hash as a real one, and answers exactly like a wrong PIN, so accounts cannot be
/// enumerated from outside.
public final class StaffDoor: Sendable {
    /// A logged-in staff member.
    public struct Login: Sendable, Hashable {
        public var token: String
        public var name: String
        public var role: StaffRole
        public var expiresAt: Date
    }

    /// What a lock covers.
    public enum LockScope: Sendable, Hashable {
        /// One account (its own wrong PINs in a row).
        case account(String)
        /// Every account (too many wrong PINs at the door as a whole).
        case door
    }

    /// A lock that was set, for the staff alerts and the audit chain.
    public struct Lockout: Sendable, Hashable {
        public var scope: LockScope
        public var since: Date
        public var until: Date
    }

    /// What a login attempt came to.
    public enum Attempt: Sendable, Equatable {
        case granted(Login)
        /// Wrong PIN or unknown account (indistinguishable on purpose); `attemptsLeft` before a lock.
        case wrongPIN(attemptsLeft: Int)
        case locked(Lockout, justNow: Bool)
        /// No account is configured: the door is shut until `kioskctl staff set-pin` is run.
        case noAccounts
    }

    /// Why a bearer token was not accepted.
    public enum Refusal: Error, Sendable, Equatable {
        case missing, unknownOrExpired
        case forbidden(has: StaffRole, needs: StaffRole)
    }

    private struct State {
        var tokens: [String: Login] = [:]
        /// Wrong PINs in a row, per account name.
        var accountFailures: [String: Int] = [:]
        var accountLocks: [String: Lockout] = [:]
        /// When each recent wrong PIN (any account, known or not) was entered.
        var doorFailures: [Date] = []
        var doorLock: Lockout?
        /// Locks set in the last day, newest last (for the staff alerts).
        var history: [Lockout] = []
    }

    public let accounts: [StaffAccount]
    public let tokenLifetime: TimeInterval
    public let maxFailures: Int
    public let lockout: TimeInterval
    public let doorMaxFailures: Int
    public let doorWindow: TimeInterval
    private let state = Mutex(State())
    /// A hash no PIN matches, checked for an unknown account so it costs what a real one does.
    private let decoyHash: String

    /// The time logins, tokens and lockouts go by.
    let clock: any KioskClock

    public init(accounts: [StaffAccount], settings: KioskSettings.Staff?, clock: any KioskClock = SystemClock()) {
        self.accounts = accounts
        self.clock = clock
        tokenLifetime = TimeInterval((settings?.tokenMinutes ?? 15) * 60)
        maxFailures = settings?.maxFailures ?? 5
        lockout = TimeInterval((settings?.lockoutMinutes ?? 5) * 60)
        doorMaxFailures = settings?.doorMaxFailures ?? 10
        doorWindow = TimeInterval((settings?.doorWindowMinutes ?? 15) * 60)
        decoyHash = accounts.first?.pinHash ?? ""
    }

    /// Checks `pin` against the account named `account` (a slow hash: tens of milliseconds, so call
    /// it off the event loop, which Hummingbird's handlers are).
    public func login(account name: String, pin: String, now: Date? = nil) -> Attempt {
        let now = now ?? clock.now()
        if let lock = currentLock(for: name, now: now) { return .locked(lock, justNow: false) }
        guard !accounts.isEmpty else { return .noAccounts }
        let account = accounts.first { $0.name == name }
        // An unknown name is checked against a real account's hash with the wrong name's PIN
        // discarded: the same cost, and never a match.
        let matches = ((try? PINHash.verify(pin: pin, against: account?.pinHash ?? decoyHash)) == true) && account != nil
        return state.withLock { s -> Attempt in
            // A lock may have been set by another request meanwhile.
            if let lock = Self.lock(in: s, for: name, now: now) { return .locked(lock, justNow: false) }
            guard matches, let account else {
                s.doorFailures = s.doorFailures.filter { $0 > now - doorWindow } + [now]
                var accountLeft = Int.max
                if account != nil {
                    let count = (s.accountFailures[name] ?? 0) + 1
                    s.accountFailures[name] = count
                    accountLeft = maxFailures - count
                }
                let doorLeft = doorMaxFailures - s.doorFailures.count
                if doorLeft <= 0 {
                    let lock = Lockout(scope: .door, since: now, until: now + lockout)
                    s.doorLock = lock
                    s.doorFailures = []
                    Self.remember(lock, in: &s)
                    return .locked(lock, justNow: true)
                }
                if accountLeft <= 0 {
                    let lock = Lockout(scope: .account(name), since: now, until: now + lockout)
                    s.accountLocks[name] = lock
                    s.accountFailures[name] = 0
                    Self.remember(lock, in: &s)
                    return .locked(lock, justNow: true)
                }
                return .wrongPIN(attemptsLeft: min(accountLeft, doorLeft))
            }
            s.accountFailures[account.name] = 0
            s.tokens = s.tokens.filter { $0.value.expiresAt > now }
            let login = Login(token: Self.newToken(), name: account.name, role: account.role, expiresAt: now + tokenLifetime)
            s.tokens[login.token] = login
            return .granted(login)
        }
    }

    /// The locks set in the last `within` seconds (still holding or not), newest first.
    public func recentLockouts(now: Date? = nil, within: TimeInterval = 3600) -> [Lockout] {
        let now = now ?? clock.now()
        return state.withLock { s in s.history.filter { $0.since > now - within }.reversed() }
    }

    /// The login an `Authorization: Bearer …` header belongs to, if its role covers `needed`.
    public func authorize(_ authorization: String?, needs needed: StaffRole, now: Date? = nil) throws(Refusal) -> Login {
        let now = now ?? clock.now()
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { throw .missing }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard let login = state.withLock({ $0.tokens[token] }), login.expiresAt > now else { throw .unknownOrExpired }
        guard login.role.covers(needed) else { throw .forbidden(has: login.role, needs: needed) }
        return login
    }

    /// Ends a login now.
    public func logout(token: String) {
        _ = state.withLock { $0.tokens.removeValue(forKey: token) }
    }

    private func currentLock(for name: String, now: Date) -> Lockout? {
        state.withLock { Self.lock(in: $0, for: name, now: now) }
    }

    /// The door's lock, else the account's, while it holds.
    private static func lock(in s: State, for name: String, now: Date) -> Lockout? {
        if let door = s.doorLock, door.until > now { return door }
        if let account = s.accountLocks[name], account.until > now { return account }
        return nil
    }

    private static func remember(_ lock: Lockout, in s: inout State) {
        s.history = s.history.filter { $0.since > lock.since - 86_400 }.suffix(99) + [lock]
    }

    private static func newToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }
}
