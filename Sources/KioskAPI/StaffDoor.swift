import Crypto
import Foundation
import KioskConfig
import Synchronization

/// The staff door's guard: PIN login against the salted hashes of `staff.yaml`, short-lived
/// bearer tokens kept in memory only, and a lockout after repeated wrong PINs (during which even
/// the right PIN is refused, so guessing cannot go on).
public final class StaffDoor: Sendable {
    /// A logged-in staff member.
    public struct Login: Sendable, Hashable {
        public var token: String
        public var name: String
        public var role: StaffRole
        public var expiresAt: Date
    }

    /// What a login attempt came to.
    public enum Attempt: Sendable, Equatable {
        case granted(Login)
        case wrongPIN(attemptsLeft: Int)
        case locked(until: Date, justNow: Bool)
        /// No account is configured: the door is shut until `kioskctl staff set-pin` is run.
        case noAccounts
    }

    /// Why a bearer token was not accepted.
    public enum Refusal: Error, Sendable, Equatable {
        case missing, unknownOrExpired
        case forbidden(has: StaffRole, needs: StaffRole)
    }

    public let accounts: [StaffAccount]
    public let tokenLifetime: TimeInterval
    public let maxFailures: Int
    public let lockout: TimeInterval
    private let state = Mutex<(tokens: [String: Login], failures: Int, lockedUntil: Date?)>(([:], 0, nil))

    public init(accounts: [StaffAccount], settings: KioskSettings.Staff?) {
        self.accounts = accounts
        tokenLifetime = TimeInterval((settings?.tokenMinutes ?? 15) * 60)
        maxFailures = settings?.maxFailures ?? 5
        lockout = TimeInterval((settings?.lockoutMinutes ?? 5) * 60)
    }

    /// Checks `pin` against every account (each check is a slow hash, so this takes tens of
    /// milliseconds per account: call it off the event loop, which Hummingbird's handlers are).
    public func login(pin: String, now: Date = Date()) -> Attempt {
        if let until = state.withLock({ s -> Date? in
            if let until = s.lockedUntil, until > now { return until }
            return nil
        }) {
            return .locked(until: until, justNow: false)
        }
        guard !accounts.isEmpty else { return .noAccounts }
        let match = accounts.first { account in (try? PINHash.verify(pin: pin, against: account.pinHash)) == true }
        return state.withLock { s -> Attempt in
            // Lockout may have started on another request meanwhile.
            if let until = s.lockedUntil, until > now { return .locked(until: until, justNow: false) }
            guard let match else {
                s.failures += 1
                if s.failures >= maxFailures {
                    s.failures = 0
                    let until = now + lockout
                    s.lockedUntil = until
                    return .locked(until: until, justNow: true)
                }
                return .wrongPIN(attemptsLeft: maxFailures - s.failures)
            }
            s.failures = 0
            s.lockedUntil = nil
            s.tokens = s.tokens.filter { $0.value.expiresAt > now }
            let login = Login(token: Self.newToken(), name: match.name, role: match.role, expiresAt: now + tokenLifetime)
            s.tokens[login.token] = login
            return .granted(login)
        }
    }

    /// The login an `Authorization: Bearer …` header belongs to, if its role covers `needed`.
    public func authorize(_ authorization: String?, needs needed: StaffRole, now: Date = Date()) throws(Refusal) -> Login {
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

    private static func newToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }
}
