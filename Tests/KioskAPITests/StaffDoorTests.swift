import DeviceKit
import Foundation
import FrontDesk
import Hummingbird
import HummingbirdTesting
import KioskConfig
import KioskTestSupport
import Logging
import NIOCore
import Testing
@testable import KioskAPI
@testable import KioskRuntime

/// The staff door in-process: PIN login against staff.yaml's hashes, roles, lockout, the audit
/// trail of every action, and maintenance mode switched by staff.
@Suite struct StaffDoorTests {
    static let staffPIN = "13579"
    static let technicianPIN = "86420"

    /// A configuration copy with a staff and a technician account and a 3-strike lockout.
    static func fixture() throws -> ConfigFixture {
        let fixture = try ConfigFixture()
        let accounts = StaffAccountsFile(accounts: [
            StaffAccount(name: "wangfang", role: .staff, pinHash: try PINHash.hash(pin: staffPIN)),
            StaffAccount(name: "lijun", role: .technician, pinHash: try PINHash.hash(pin: technicianPIN)),
        ])
        try accounts.save(configDirectory: fixture.directory)
        try fixture.replaceFirst("  maxFailures: 5", with: "  maxFailures: 3", in: "kiosk.yaml")
        try fixture.replaceFirst("  lockoutMinutes: 5", with: "  lockoutMinutes: 2", in: "kiosk.yaml")
        return fixture
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    func login(_ client: some TestClientProtocol, _ pin: String, account: String = "wangfang") async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: "/api/v1/staff/login", method: .post,
                                 body: ByteBuffer(string: #"{"account":"\#(account)","pin":"\#(pin)"}"#)) { response in
            (response.status, try json(response.body))
        }
    }

    @Test func rolesDecideWhatATokenMayDoAndEveryActionIsAudited() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("staff")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (status, staff) = try await login(client, Self.staffPIN)
            #expect(status == .ok)
            #expect(staff["role"] as? String == "staff")
            #expect(staff["name"] as? String == "wangfang")
            let staffToken = try #require(staff["token"] as? String)
            #expect(staffToken.count == 64)
            let expires = try #require((staff["expiresAt"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
            #expect(expires.timeIntervalSinceNow > 14 * 60 && expires.timeIntervalSinceNow <= 15 * 60 + 5)

            let bearer = { (token: String) -> HTTPFields in [.authorization: "Bearer \(token)"] }
            // Without a token, with a made-up one: 401. Staff may see alerts, not the outbox or diagnostics.
            try await client.execute(uri: "/api/v1/staff/alerts", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/staff/alerts", method: .get, headers: bearer(String(repeating: "0", count: 64))) {
                #expect($0.status == .unauthorized)
                let decoded1 = try json($0.body)
                #expect(decoded1["title"] as? String == "登录已过期，请重新登录")
            }
            try await client.execute(uri: "/api/v1/staff/alerts", method: .get, headers: bearer(staffToken)) { #expect($0.status == .ok) }
            for path in ["/api/v1/staff/outbox", "/api/v1/staff/diagnostics"] {
                try await client.execute(uri: path, method: .get, headers: bearer(staffToken)) { response in
                    #expect(response.status == .forbidden)
                    let decoded2 = try json(response.body)
                    #expect(decoded2["title"] as? String == "无权执行此操作")
                }
            }
            let (_, technician) = try await login(client, Self.technicianPIN, account: "lijun")
            #expect(technician["role"] as? String == "technician")
            let technicianToken = try #require(technician["token"] as? String)
            try await client.execute(uri: "/api/v1/staff/outbox", method: .get, headers: bearer(technicianToken)) { response in
                #expect(response.status == .ok)
                let decoded3 = try json(response.body)
                #expect(decoded3["depth"] as? Int == 0)
            }
            try await client.execute(uri: "/api/v1/staff/diagnostics", method: .get, headers: bearer(technicianToken)) { response in
                #expect(response.status == .ok)
                let decoded4 = try json(response.body)
                #expect(decoded4["kioskId"] as? String == "TZ01")
            }

            // Maintenance by hand: citizen routes answer 503 with the message, health says so,
            // a citizen can still end a session; switched off, everything is open again.
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) { try json($0.body)["id"] as? String ?? "" }
            try await client.execute(uri: "/api/v1/staff/maintenance", method: .post, headers: bearer(staffToken),
                                     body: ByteBuffer(string: #"{"on":true,"message":"打印机维修中，请到3号窗口办理"}"#)) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["on"] as? Bool == true && body["manual"] as? Bool == true)
            }
            for (uri, method) in [("/api/v1/catalog/items", HTTPRequest.Method.get), ("/api/v1/sessions", .post),
                                  ("/api/v1/tickets", .post), ("/api/v1/evaluations", .post)] {
                try await client.execute(uri: uri, method: method, body: ByteBuffer(string: "{}")) { response in
                    #expect(response.status == .serviceUnavailable, "\(uri)")
                    let decoded5 = try json(response.body)
                    #expect(decoded5["title"] as? String == "打印机维修中，请到3号窗口办理")
                    #expect(response.headers[.retryAfter] == "60")
                }
            }
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                let decoded6 = try json(response.body)
                #expect(decoded6["maintenance"] as? Bool == true)
            }
            try await client.execute(uri: "/api/v1/sessions/\(session)", method: .delete) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/api/v1/staff/maintenance", method: .post, headers: bearer(staffToken),
                                     body: ByteBuffer(string: #"{"on":false}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/catalog/items", method: .get) { #expect($0.status == .ok) }

            // Logging out ends the token.
            try await client.execute(uri: "/api/v1/staff/logout", method: .post, headers: bearer(staffToken)) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/api/v1/staff/alerts", method: .get, headers: bearer(staffToken)) { #expect($0.status == .unauthorized) }
        }
        // Every step is in the audit chain, with the actor and the name; the chain is intact.
        let maintenance = try await kiosk.desk.auditTrail(subject: "kiosk:maintenance")
        #expect(maintenance.map(\.event) == ["maintenance-on", "maintenance-off"])
        #expect(maintenance.allSatisfy { $0.actor == .staff && $0.reason?.hasPrefix("by wangfang") == true })
        await #expect(try kiosk.desk.auditTrail(subject: "staff:lijun").map(\.actor) == [.technician])
        await #expect(try kiosk.desk.verifyAudit().isIntact)
        // The manual switch is kept across a restart.
        #expect(FileManager.default.fileExists(atPath: data.path + "/maintenance.json"))
    }

    @Test func repeatedWrongPINsLockTheDoorEvenForTheRightPIN() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("staff")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (first, body) = try await login(client, "11223")
            #expect(first == .unauthorized)
            #expect(body["attemptsLeft"] as? Int == 2)
            #expect(try await login(client, "11224").0 == .unauthorized)
            try await client.execute(uri: "/api/v1/staff/login", method: .post, body: ByteBuffer(string: #"{"account":"wangfang","pin":"11225"}"#)) { response in
                #expect(response.status == .tooManyRequests)
                let seconds = Int(response.headers[.retryAfter] ?? "") ?? 0
                #expect(seconds > 100 && seconds <= 120)
            }
            let (locked, lockedBody) = try await login(client, Self.staffPIN)
            #expect(locked == .tooManyRequests)
            #expect(lockedBody["title"] as? String == "错误次数过多，请2分钟后再试")
            // Malformed bodies are refused before any PIN is checked.
            try await client.execute(uri: "/api/v1/staff/login", method: .post, body: ByteBuffer(string: "{pin:")) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/staff/login", method: .post, body: ByteBuffer(string: #"{"account":"wangfang","pin":"12ab"}"#)) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/v1/staff/login", method: .post, body: ByteBuffer(string: #"{"account":"wangfang","pin":13579}"#)) {
                #expect($0.status == .badRequest)
            }
        }
        // Found where `kioskctl audit show staff:wangfang` looks: the refusals and the lockout of that account.
        let door = try await kiosk.desk.auditTrail(subject: "staff:wangfang")
        #expect(door.map(\.to) == ["refused", "refused", "locked"])
    }

    @Test func theLockoutEndsAfterItsTime() throws {
        let hash = try PINHash.hash(pin: "20482")
        let door = StaffDoor(accounts: [StaffAccount(name: "a", role: .staff, pinHash: hash)],
                             settings: .init(tokenMinutes: 1, maxFailures: 2, lockoutMinutes: 1))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(door.login(account: "a", pin: "99887", now: t0) == .wrongPIN(attemptsLeft: 1))
        let lock = StaffDoor.Lockout(scope: .account("a"), since: t0, until: t0 + 60)
        #expect(door.login(account: "a", pin: "99887", now: t0) == .locked(lock, justNow: true))
        #expect(door.login(account: "a", pin: "20482", now: t0 + 59) == .locked(lock, justNow: false))
        guard case let .granted(login) = door.login(account: "a", pin: "20482", now: t0 + 61) else {
            Issue.record("the right PIN after the lockout must log in")
            return
        }
        #expect(try door.authorize("Bearer \(login.token)", needs: .staff, now: t0 + 100).name == "a")
        #expect(throws: StaffDoor.Refusal.forbidden(has: .staff, needs: .technician)) {
            try door.authorize("Bearer \(login.token)", needs: .technician, now: t0 + 100)
        }
        #expect(throws: StaffDoor.Refusal.unknownOrExpired) { try door.authorize("Bearer \(login.token)", needs: .staff, now: t0 + 122) }
        #expect(StaffDoor(accounts: [], settings: nil).login(account: "a", pin: "20482") == .noAccounts)
    }
}
