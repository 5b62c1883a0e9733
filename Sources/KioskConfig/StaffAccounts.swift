import _CryptoExtras
import Crypto
import Foundation
import Yams

/// What a staff member may do at the staff door.
public enum StaffRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// Hall staff: restock paper, reset devices, maintenance mode, reprint slips, see alerts.
    case staff
    /// Technicians: everything staff may, plus diagnostics and the outbox.
    case technician

    /// Whether this role may do what `needed` may.
    public func covers(_ needed: StaffRole) -> Bool { self == .technician || needed == .staff }
}

/// One account of `staff.yaml`: a name, a role and the salted slow hash of its PIN (never the PIN).
public struct StaffAccount: Sendable, Hashable, Codable {
    public var name: String
    public var role: StaffRole
    public var pinHash: String

    public init(name: String, role: StaffRole, pinHash: String) {
        self.name = name
        self.role = role
        self.pinHash = pinHash
    }
}

/// `kiosk-config/staff.yaml`: the staff accounts, written by `kioskctl staff set-pin`.
public struct StaffAccountsFile: Sendable, Hashable, Codable {
    public var accounts: [StaffAccount]

    public init(accounts: [StaffAccount] = []) { self.accounts = accounts }

    /// The file's text, with the header that says what it is and how to change it.
    public func yaml() throws -> String {
        let header = """
            # Staff accounts of the staff API (POST /api/v1/staff/login {"account", "pin"}): salted scrypt hashes of
            # the PINs, never a PIN. Change with `kioskctl staff set-pin NAME --role staff|technician`,
            # remove with `kioskctl staff remove NAME`. Roles: staff (restock, reset, maintenance,
            # reprint, alerts), technician (everything, incl. diagnostics and the outbox).

            """
        return header + (try YAMLEncoder().encode(self))
    }
}

/// Why a PIN or a stored hash is not acceptable.
public enum PINError: Error, Sendable, Equatable, CustomStringConvertible {
    case badPIN(String)
    case badHash(String)

    public var description: String {
        switch self {
        case let .badPIN(m): m
        case let .badHash(m): m
        }
    }
}

/// Salted scrypt hashes of staff PINs: `scrypt$N$r$p$<salt base64>$<hash base64>`. The cost
/// parameters travel with the hash, so they can be raised later without breaking old accounts.
public enum PINHash {
    /// scrypt cost (N = 2^14, r = 8, p = 1: 16 MiB and tens of milliseconds per try).
    public static let defaultCost = (n: 1 << 14, r: 8, p: 1)
    public static let pinLengths = 4...12

    /// Checks that a PIN is 4–12 digits and not trivially guessable.
    public static func validate(pin: String) throws(PINError) {
        guard pinLengths.contains(pin.count), pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .badPIN("a PIN is 4–12 digits")
        }
        let digits = pin.compactMap(\.wholeNumberValue)
        let allSame = Set(digits).count == 1
        let ascending = zip(digits, digits.dropFirst()).allSatisfy { $1 == ($0 + 1) % 10 }
        let descending = zip(digits, digits.dropFirst()).allSatisfy { $0 == ($1 + 1) % 10 }
        if allSame || ascending || descending {
            throw .badPIN("the PIN \(String(repeating: "*", count: pin.count)) is too easy to guess (repeated or consecutive digits)")
        }
    }

    /// A new salted hash of `pin`.
    public static func hash(pin: String, cost: (n: Int, r: Int, p: Int) = defaultCost) throws(PINError) -> String {
        try validate(pin: pin)
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &generator) }
        let derived = try derive(pin: pin, salt: salt, n: cost.n, r: cost.r, p: cost.p)
        return "scrypt$\(cost.n)$\(cost.r)$\(cost.p)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Whether `pin` matches `stored` (compared in constant time).
    public static func verify(pin: String, against stored: String) throws(PINError) -> Bool {
        let parsed = try parse(stored)
        guard pin.count <= 64 else { return false }
        let derived = try derive(pin: pin, salt: parsed.salt, n: parsed.n, r: parsed.r, p: parsed.p)
        guard derived.count == parsed.hash.count else { return false }
        return zip(derived, parsed.hash).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Checks a stored hash's shape (config validation).
    public static func parse(_ stored: String) throws(PINError) -> (n: Int, r: Int, p: Int, salt: [UInt8], hash: [UInt8]) {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
              n >= 1 << 10, n <= 1 << 20, n & (n - 1) == 0, (1...32).contains(r), (1...16).contains(p),
              let salt = Data(base64Encoded: parts[4]), salt.count >= 8,
              let hash = Data(base64Encoded: parts[5]), hash.count >= 16 else {
            throw .badHash("not a PIN hash written by `kioskctl staff set-pin` (expected scrypt$N$r$p$salt$hash)")
        }
        return (n, r, p, [UInt8](salt), [UInt8](hash))
    }

    private static func derive(pin: String, salt: [UInt8], n: Int, r: Int, p: Int) throws(PINError) -> [UInt8] {
        do {
            let key = try KDF.Scrypt.deriveKey(from: Array(pin.utf8), salt: salt, outputByteCount: 32, rounds: n,
                                               blockSize: r, parallelism: p)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw .badHash("scrypt failed: \(error)")
        }
    }
}

extension StaffAccountsFile {
    /// Reads and checks `directory/staff.yaml`; an absent file is no accounts.
    public static func load(configDirectory directory: String) throws(ConfigError) -> StaffAccountsFile {
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + ConfigFiles.staff
        guard FileManager.default.fileExists(atPath: path) else { return StaffAccountsFile() }
        let file: YAMLFile
        switch YAMLFile.read(path: path, displayPath: path) {
        case let .failure(diagnostic): throw ConfigError(diagnostics: [diagnostic])
        case let .success(read): file = read
        }
        switch file.decode(StaffAccountsFile.self) {
        case let .failure(diagnostic):
            throw ConfigError(diagnostics: [diagnostic])
        case let .success(accounts):
            var validator = Validator()
            validator.check(staff: accounts, file: file)
            if validator.diagnostics.contains(where: { $0.severity == .error }) { throw ConfigError(diagnostics: validator.diagnostics) }
            return accounts
        }
    }

    /// Writes the file atomically (owner read/write only: hashes are still secrets worth keeping).
    public func save(configDirectory directory: String) throws {
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + ConfigFiles.staff
        try yaml().write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
