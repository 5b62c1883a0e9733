import Foundation
import KioskTestSupport
import Testing
import Workflow
@testable import KioskConfig

/// PIN hashing and staff.yaml: the PIN is never stored, a hash verifies only its own PIN, weak PINs
/// are refused, a damaged staff.yaml is named by file and line.
@Suite struct StaffAccountsTests {
    @Test func aHashVerifiesItsPINAndNothingElseAndNeverContainsIt() throws {
        let hash = try PINHash.hash(pin: "258013")
        #expect(hash.hasPrefix("scrypt$16384$8$1$"))
        #expect(!hash.contains("258013"))
        #expect(try PINHash.verify(pin: "258013", against: hash))
        #expect(try !PINHash.verify(pin: "258014", against: hash))
        #expect(try !PINHash.verify(pin: "", against: hash))
        // Salted: the same PIN twice gives two different hashes, both valid.
        let again = try PINHash.hash(pin: "258013")
        #expect(again != hash)
        #expect(try PINHash.verify(pin: "258013", against: again))
    }

    @Test func weakOrMalformedPINsAreRefused() {
        for pin in ["123", "1234567890123", "12a45", "11111", "12345", "98765", "7890123", "٣٤٥٦٧"] {
            #expect(throws: PINError.self, "\(pin)") { try PINHash.validate(pin: pin) }
        }
        #expect(throws: Never.self) { try PINHash.validate(pin: "2580") }
    }

    @Test func aDamagedHashIsRefusedNotCrashedOn() {
        for bad in ["", "scrypt$1$8$1$AAAA$BBBB", "bcrypt$x", "scrypt$16384$8$1$!!!$???", "scrypt$16385$8$1$YWJjZGVmZ2g=$YWJjZGVmZ2hpamtsbW5vcA=="] {
            #expect(throws: PINError.self, "\(bad)") { try PINHash.verify(pin: "2580", against: bad) }
        }
    }

    @Test func aBrokenStaffFileStopsTheKioskNamingFileAndLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let good = try PINHash.hash(pin: "246801")
        try fixture.write("staff.yaml", """
            accounts:
              - name: wangfang
                role: staff
                pinHash: "\(good)"
              - name: lijun
                role: technician
                pinHash: "1234"
              - name: wangfang
                role: staff
                pinHash: "\(good)"
            """)
        do {
            _ = try ConfigLoader.load(directory: fixture.directory)
            Issue.record("a staff.yaml with a bad hash and a duplicate name loaded")
        } catch {
            let lines = error.errors.filter { $0.file.hasSuffix("staff.yaml") }.compactMap(\.line)
            #expect(lines == [7, 8])
            #expect(error.errors.contains { $0.message.contains("kioskctl staff set-pin lijun") })
            #expect(error.errors.contains { $0.message.contains("appears twice") })
        }
        try fixture.write("staff.yaml", "accounts:\n  - name: a\n    role: admin\n    pinHash: x\n")
        #expect(throws: ConfigError.self) { try ConfigLoader.load(directory: fixture.directory) }
        // No staff.yaml: no accounts, the kiosk starts with the staff door shut.
        try FileManager.default.removeItem(atPath: fixture.path("staff.yaml"))
        #expect(try ConfigLoader.load(directory: fixture.directory).staffAccounts.isEmpty)
        // Saved and read back.
        try StaffAccountsFile(accounts: [StaffAccount(name: "zhao", role: .technician, pinHash: good)]).save(configDirectory: fixture.directory)
        #expect(try StaffAccountsFile.load(configDirectory: fixture.directory).accounts.map(\.name) == ["zhao"])
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.path("staff.yaml"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
