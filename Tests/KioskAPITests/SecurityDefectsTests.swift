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
import KioskServices

/// The defects of the security review (issue 17), each reproduced as the attacker did it: PIN
/// guessing with one's own PIN in between, ratings by filing number alone, a full disk nobody
/// sees, staff actions on the citizen's progress page.
@Suite struct SecurityDefectsTests {
    static let staffPIN = InProcessKiosk.staffPIN
    static let technicianPIN = InProcessKiosk.technicianPIN
    static func fixture(_ edit: (ConfigFixture) throws -> Void = { _ in }) throws -> ConfigFixture { try InProcessKiosk.fixture(edit) }
    func json(_ buffer: ByteBuffer) throws -> [String: Any] { try InProcessKiosk.json(buffer) }
    func login(_ client: some TestClientProtocol, _ account: String, _ pin: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await InProcessKiosk.login(client, account, pin)
    }
    func submitted(_ client: some TestClientProtocol, _ kiosk: Kiosk) async throws -> (String, String, String) {
        try await InProcessKiosk.submitted(client, kiosk)
    }

    // MARK: 1. PIN guessing

    @Test func onesOwnPINBetweenGuessesNoLongerResetsTheColleaguesCount() throws {
        let door = StaffDoor(accounts: [StaffAccount(name: "wangfang", role: .staff, pinHash: try PINHash.hash(pin: Self.staffPIN)),
                                        StaffAccount(name: "lijun", role: .technician, pinHash: try PINHash.hash(pin: Self.technicianPIN))],
                             settings: .init(maxFailures: 5, lockoutMinutes: 5, doorMaxFailures: 50))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var outcomes: [StaffDoor.Attempt] = []
        // The review's loop: four guesses at the technician, then one's own PIN, again and again.
        for round in 0..<2 {
            for guess in 0..<4 { outcomes.append(door.login(account: "lijun", pin: "9\(round)\(guess)\(guess)7", now: t0)) }
            guard case .granted = door.login(account: "wangfang", pin: Self.staffPIN, now: t0) else {
                Issue.record("the staff member's own PIN must still work")
                return
            }
        }
        #expect(outcomes.prefix(4) == [.wrongPIN(attemptsLeft: 4), .wrongPIN(attemptsLeft: 3), .wrongPIN(attemptsLeft: 2), .wrongPIN(attemptsLeft: 1)])
        // The fifth wrong guess at lijun locks lijun, whatever wangfang did in between…
        #expect(outcomes[4] == .locked(.init(scope: .account("lijun"), since: t0, until: t0 + 300), justNow: true))
        // …and the right PIN is refused until the lock ends; wangfang's own account is not locked.
        if case .granted = door.login(account: "lijun", pin: Self.technicianPIN, now: t0 + 10) { Issue.record("a locked account must stay locked") }
        if case .granted = door.login(account: "wangfang", pin: Self.staffPIN, now: t0 + 10) {} else { Issue.record("only lijun is locked") }
        if case .granted = door.login(account: "lijun", pin: Self.technicianPIN, now: t0 + 301) {} else { Issue.record("the lock ends") }
    }

    @Test func theDoorWideBudgetCountsEveryWrongGuessAndASuccessNeverGivesItBack() throws {
        let door = StaffDoor(accounts: [StaffAccount(name: "wangfang", role: .staff, pinHash: try PINHash.hash(pin: Self.staffPIN))],
                             settings: .init(maxFailures: 5, lockoutMinutes: 5, doorMaxFailures: 6, doorWindowMinutes: 15))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        // Guesses spread over made-up account names (each answered like a wrong PIN) and one's own success.
        for i in 0..<5 {
            #expect(door.login(account: "guess\(i)", pin: "24680", now: t0 + Double(i)) == .wrongPIN(attemptsLeft: 5 - i))
            if case .granted = door.login(account: "wangfang", pin: Self.staffPIN, now: t0 + Double(i)) {} else { Issue.record("own PIN") }
        }
        #expect(door.login(account: "guess5", pin: "24680", now: t0 + 5) == .locked(.init(scope: .door, since: t0 + 5, until: t0 + 305), justNow: true))
        // The whole door is locked now, for every account.
        if case .locked = door.login(account: "wangfang", pin: Self.staffPIN, now: t0 + 6) {} else { Issue.record("the door must be locked") }
        #expect(door.recentLockouts(now: t0 + 6).map(\.scope) == [.door])
        // Failures older than the window no longer count.
        let later = t0 + 400
        for i in 0..<5 { #expect(door.login(account: "x", pin: "24680", now: later + Double(i) * 200) == .wrongPIN(attemptsLeft: i < 4 ? 5 - i : 1)) }
    }

    @Test func aLockoutIsAStaffAlertAndAnAuditRecordAndTheDoorCanBeShutOnTheCitizenListener() async throws {
        let fixture = try Self.fixture { try $0.replaceFirst("  maxFailures: 5", with: "  maxFailures: 2", in: "kiosk.yaml") }
        defer { fixture.remove() }
        let data = try TemporaryDirectory("sec-door")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            #expect(try await login(client, "lijun", "11111").0 == .unauthorized)
            let (locked, body) = try await login(client, "lijun", "22222")
            #expect(locked == .tooManyRequests)
            #expect(body["title"] as? String == "错误次数过多，请5分钟后再试")
            let (ok, staff) = try await login(client, "wangfang", Self.staffPIN)
            #expect(ok == .ok)
            let token = try #require(staff["token"] as? String)
            try await client.execute(uri: "/api/v1/staff/alerts", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                let alerts = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
                let lock = try #require(alerts.first { $0["code"] as? String == "staff-account-locked" })
                #expect(lock["severity"] as? String == "critical")
                #expect((lock["title"] as? String)?.contains("lijun") == true)
            }
        }
        await #expect(try kiosk.desk.auditTrail(subject: "staff:lijun").map(\.to) == ["refused", "locked"])

        // A hall that turns the door off on the citizen listener: nothing there can guess or lock.
        let shut = try Self.fixture {
            try $0.replaceFirst("  maintenanceMessage:", with: "  staffOnCitizenListener: false\n  maintenanceMessage:", in: "kiosk.yaml")
        }
        defer { shut.remove() }
        let shutData = try TemporaryDirectory("sec-door-shut")
        defer { shutData.remove() }
        let closed = try await Kiosk.prepare(KioskOptions(configDirectory: shut.directory, dataDirectory: shutData.path), logger: Logger(label: "test"))
        try await Application(router: closed.makeRouter()).test(.router) { client in
            let (status, _) = try await login(client, "wangfang", Self.staffPIN)
            #expect(status == .notFound)
        }
    }

    // MARK: 3. Ratings

    @Test func aRatingNeedsTheSessionThatWasServedOrTheSlipsRatingCode() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("sec-rating")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (session, number, token) = try await submitted(client, kiosk)
            let rate = { (extra: String) async throws -> (HTTPResponse.Status, [String: Any]) in
                try await client.execute(uri: "/api/v1/evaluations", method: .post,
                                         body: ByteBuffer(string: #"{"filingNumber":"\#(number)","level":1\#(extra)}"#)) { ($0.status, try json($0.body)) }
            }
            // The review's attack: the number alone (numbers are sequential).
            let (anonymous, refusal) = try await rate("")
            #expect(anonymous == .forbidden)
            #expect(refusal["title"] as? String == "请在办理后评价，或输入凭条上的评价码")
            // A session that did not receive it, or a wrong code, is no better.
            #expect(try await rate(#","sessionId":"\#(UUID().uuidString.lowercased())""#).0 == .forbidden)
            #expect(try await rate(#","ratingCode":"000000000000""#).0 == .forbidden)
            await #expect(try kiosk.desk.isRated(.filing(number)) == false)
            // The printed code is on the slip and the progress page.
            let code = try await kiosk.desk.ratingCode(for: .filing(number))
            #expect(code.count == 12 && code.allSatisfy(\.isNumber))
            let jobID = try await #require(try kiosk.desk.latestPrintJobID(reference: number))
            let slip = try #require(try await kiosk.store.printJob(id: jobID)).document
            #expect(String(decoding: slip, as: UTF8.self).contains(String(code.prefix(4)) + " " + String(code.dropFirst(4).prefix(4))))
            let progress = try await client.execute(uri: "/api/v1/progress/\(token)", method: .get) { try json($0.body) }
            #expect(progress["ratingCode"] as? String == code)
            // The session that submitted may rate; then the one rating is taken.
            let (rated, answer) = try await rate(#","sessionId":"\#(session)""#)
            #expect(rated == .created, "\(answer)")
            #expect(try await rate(#","ratingCode":"\#(code)""#).0 == .conflict)
        }
    }

    // MARK: 4. A full disk

    @Test func aFullDataDiskIsInHealthAlertsAndMetricsAndStaffActionsFailClosed() async throws {
        let scratch = try TemporaryDirectory("sec-full")
        defer { scratch.remove() }
        let mountPoint = scratch.file("data")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try ChildProcess.run(try ChildProcess.which("mount", package: "mount"), ["-t", "tmpfs", "-o", "size=40m", "tmpfs", mountPoint])
        try #require(mount.status == 0, "mounting a tmpfs needs root: \(mount.stderr)")
        defer { _ = try? ChildProcess.run("/bin/umount", [mountPoint]) }
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: mountPoint), logger: Logger(label: "test"))
        await kiosk.monitor.pollOnce()
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/health", method: .get) {
                let health = try json($0.body)
                // 40 MB: under twice the 32 MB reserve, over it — a warning, not yet a fault.
                #expect((health["reasons"] as? [String] ?? []).allSatisfy { !$0.contains("disk") }, "\(health)")
                #expect((health["disk"] as? [String: Any])?["state"] as? String == "low")
            }
            // Fill the disk to the last block.
            #expect(FileManager.default.createFile(atPath: mountPoint + "/filler", contents: nil))
            let filler = try #require(FileHandle(forWritingAtPath: mountPoint + "/filler"))
            let block = Data(count: 1 << 20)
            while (try? filler.write(contentsOf: block)) != nil {}
            try? filler.close()
            try await client.execute(uri: "/api/v1/health", method: .get) {
                let health = try json($0.body)
                #expect(health["status"] as? String == "degraded")
                #expect((health["disk"] as? [String: Any])?["state"] as? String == "full")
                #expect((health["reasons"] as? [String])?.contains { $0.hasPrefix("data disk full") } == true)
            }
            try await client.execute(uri: "/metrics", method: .get) {
                let text = String(buffer: $0.body)
                let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("kiosk_disk_free_bytes ") })
                #expect((Double(line.split(separator: " ")[1]) ?? .infinity) < 1_048_576)
            }
            // The login cannot be audited: refused, and no token was handed out.
            let (status, refusal) = try await login(client, "wangfang", Self.staffPIN)
            #expect(status == .serviceUnavailable)
            #expect(refusal["title"] as? String == "系统暂时无法记录操作，请联系技术人员")
            #expect(refusal["token"] == nil)
            // Free a little room: the login is audited and the alert says why.
            try FileManager.default.removeItem(atPath: mountPoint + "/filler")
            #expect(FileManager.default.createFile(atPath: mountPoint + "/filler", contents: nil))
            let filler2 = try #require(FileHandle(forWritingAtPath: mountPoint + "/filler"))
            try filler2.write(contentsOf: Data(count: 30 << 20))
            try filler2.close()
            let (ok, staff) = try await login(client, "wangfang", Self.staffPIN)
            #expect(ok == .ok)
            let token = try #require(staff["token"] as? String)
            try await client.execute(uri: "/api/v1/staff/alerts", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                let alerts = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
                #expect(alerts.contains { $0["code"] as? String == "disk-full" && $0["severity"] as? String == "critical" })
            }
        }
    }

    // MARK: 5. The public progress page

    @Test func aStaffReprintIsNotAStepOnTheCitizensProgressPage() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("sec-progress")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (_, number, token) = try await submitted(client, kiosk)
            let (_, staff) = try await login(client, "wangfang", Self.staffPIN)
            let token2 = try #require(staff["token"] as? String)
            try await client.execute(uri: "/api/v1/staff/filings/\(number)/reprint", method: .post, headers: [.authorization: "Bearer \(token2)"]) {
                #expect($0.status == .ok, "\(String(buffer: $0.body))")
            }
            await #expect(try kiosk.desk.auditTrail(subject: "filing:\(number)").contains { $0.event == "reprint" })
            try await client.execute(uri: "/api/v1/progress/\(token)", method: .get) { response in
                let history = try #require(try json(response.body)["history"] as? [[String: Any]])
                #expect(history.map { $0["statusName"] as? String } == ["已收件", "已受理"])
                #expect(history.allSatisfy { $0["by"] as? String == "自助机" })
            }
            try await client.execute(uri: "/p/\(token)", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(!page.contains("窗口工作人员") && !page.contains("done"))
            }
            // …while `kioskctl audit show staff:wangfang` finds the reprint under the staff member.
            await #expect(try kiosk.desk.auditTrail(subject: "staff:wangfang").map(\.event) == ["login", "reprint", "reprint"])
        }
    }
}
