import Foundation
import KioskTestSupport
import Testing

/// Several real `kioskd` processes in hall mode on one private PostgreSQL, driven through the
/// HTTP API only: 4 × 500 tickets at once, people trying at every kiosk at once, window calling
/// with staff logins, and the database stopped mid-run and started again.
@Suite(.serialized) struct HallKiosksTests {
    static let pins = ["wangfang": "13579", "lisi": "24680"]

    /// Runs blocking work (HTTP from threads, process waits) on a thread of its own, not on one of
    /// the two threads of the concurrency pool the async suites need meanwhile.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// A configuration copy for kiosk `id` in hall mode on `url` (printers simulated, every daily
    /// limit 999 so 2,000 tickets fit in a day).
    static func fixture(id: String, url: String, staff: Bool = false) throws -> ConfigFixture {
        let fixture = try ConfigFixture()
        try fixture.bindPrintersToSimulator()
        try fixture.replaceFirst("  id: TZ01", with: "  id: \(id)", in: "kiosk.yaml")
        try fixture.replaceFirst("dataDirectory:", with: """
            hall:
              store: postgres
              url: \(url)
              timeoutSeconds: 3
              checkIntervalSeconds: 0.3
              kiosks: [TZ01, TZ02, TZ03, TZ04]
              skipGraceMinutes: 15
            dataDirectory:
            """, in: "kiosk.yaml")
        let queue = try fixture.read("queue.yaml").replacingOccurrences(of: #"dailyLimit: \d+"#, with: "dailyLimit: 999", options: .regularExpression)
        try fixture.write("queue.yaml", queue)
        if staff {
            let kioskctl = try RepoPaths.binary("kioskctl")
            for (name, pin) in pins {
                let set = try ChildProcess.run(kioskctl, ["staff", "set-pin", name, "--role", "staff", "--config", fixture.directory, "--pin-stdin"],
                                               input: Data((pin + "\n").utf8))
                guard set.status == 0 else { throw TestSupportError("kioskctl staff set-pin failed: \(set.stderr)") }
            }
        }
        return fixture
    }

    static func start(_ fixture: ConfigFixture) throws -> KioskdProcess {
        let kioskd = try KioskdProcess(config: fixture.directory)
        try kioskd.waitFor("/api/v1/health", status: 200) { body in
            String(decoding: body, as: UTF8.self).contains("\"status\":\"ok\"") && hall(body)?["state"] as? String == "ok"
        }
        return kioskd
    }

    /// The `hall` object of a health answer.
    static func hall(_ body: Data) -> [String: Any]? {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["hall"] as? [String: Any]
    }

    static let categories = ["social-insurance", "medical-insurance", "real-estate", "housing-fund", "household-registration",
                             "veterans", "general"]

    /// A valid resident ID number (GB 11643 check digit) for person `n`.
    static func idNumber(_ n: Int) -> String {
        let body = "37048119800101" + String(format: "%03d", 100 + n)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }

    /// Runs `work(kiosk, worker)` on `workers` threads per kiosk (blocking HTTP, off the cooperative pool).
    static func inParallel(kiosks: Int, workers: Int, _ work: @escaping @Sendable (Int, Int) -> Void) async {
        _ = try? await offPool { inParallelBlocking(kiosks: kiosks, workers: workers, work) }
    }

    static func inParallelBlocking(kiosks: Int, workers: Int, _ work: @escaping @Sendable (Int, Int) -> Void) {
        let group = DispatchGroup()
        for kiosk in 0..<kiosks {
            for worker in 0..<workers {
                group.enter()
                Thread.detachNewThread {
                    work(kiosk, worker)
                    group.leave()
                }
            }
        }
        group.wait()
    }

    @Test func fourKiosksIssue2000TicketsAtOnceWithoutADuplicateAndOnePersonWaitsOnce() async throws {
        let postgres = try await Self.offPool { try PrivatePostgres() }
        defer { postgres.stop() }
        let fixtures = try await Self.offPool { try (1...4).map { try Self.fixture(id: "TZ0\($0)", url: postgres.url) } }
        defer { fixtures.forEach { $0.remove() } }
        let kiosks = try await Self.offPool { try fixtures.map(Self.start) }

        let issued = Locked<[String]>([])
        let failures = Locked<[String]>([])
        await Self.inParallel(kiosks: 4, workers: 2) { kiosk, worker in
            for n in 0..<250 {
                let category = Self.categories[(n * 2 + worker + kiosk) % Self.categories.count]
                let answer = HTTP.request("POST", kiosks[kiosk].baseURL + "/api/v1/tickets", headers: ["Content-Type": "application/json"],
                                          body: Data(#"{"category":"\#(category)"}"#.utf8))
                guard let answer, answer.status == 201,
                      let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any], let ticket = object["ticket"] as? String
                else {
                    failures.withLock { $0.append("\(answer?.status ?? 0) \(String(decoding: answer?.body ?? Data(), as: UTF8.self))") }
                    continue
                }
                issued.withLock { $0.append(ticket) }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value.prefix(5))")
        #expect(issued.value.count == 2000)
        #expect(Set(issued.value).count == 2000, "a number was issued twice")
        #expect(try postgres.psql("SELECT count(*), count(DISTINCT number), count(DISTINCT kiosk_id) FROM hall_ticket") == "2000|2000|4")
        // Every category numbered 1…n without a gap: nothing lost, nothing twice.
        #expect(try postgres.psql("""
            SELECT count(*) FROM (SELECT category, count(*) AS n, max(sequence) AS top, count(DISTINCT sequence) AS d
                                  FROM hall_ticket GROUP BY category) c WHERE n <> top OR n <> d
            """) == "0")

        // Ten people, each trying at all four kiosks at once with their ID card: one ticket each.
        let outcomes = Locked<[Int: [Int]]>([:])
        await Self.inParallel(kiosks: 4, workers: 1) { kiosk, _ in
            let base = kiosks[kiosk].baseURL + "/api/v1"
            for person in 0..<10 {
                let status = Self.ticketWithCard(base: base, idNumber: Self.idNumber(person), category: "housing-fund")
                outcomes.withLock { $0[person, default: []].append(status) }
            }
        }
        for person in 0..<10 {
            let statuses = outcomes.value[person] ?? []
            #expect(statuses.sorted() == [201, 409, 409, 409], "person \(person): \(statuses)")
        }
        #expect(try postgres.psql("""
            SELECT count(*) FROM (SELECT 1 FROM hall_ticket WHERE state = 'waiting' AND applicant_key IS NOT NULL
                                  GROUP BY category, applicant_key HAVING count(*) > 1) twice
            """) == "0")
        #expect(try postgres.psql("SELECT count(*) FROM hall_ticket WHERE applicant_key IS NOT NULL") == "10")
        for kiosk in kiosks { #expect(try await Self.offPool { try kiosk.terminate() } == 0) }
    }

    /// One card holder's ticket at one kiosk: session, card, identity read, ticket; the HTTP status.
    static func ticketWithCard(base: String, idNumber: String, category: String) -> Int {
        defer { _ = HTTP.request("POST", base + "/sim/idcard/remove") }
        guard let created = HTTP.request("POST", base + "/sessions"), created.status == 201,
              let session = (try? JSONSerialization.jsonObject(with: created.body) as? [String: Any])?["id"] as? String else { return -1 }
        defer { _ = HTTP.request("DELETE", base + "/sessions/\(session)") }
        let card = #"{"name":"王五","idNumber":"\#(idNumber)","sex":"male","birthDate":"1980-01-01"}"#
        guard HTTP.request("POST", base + "/sim/idcard/place", headers: ["Content-Type": "application/json"], body: Data(card.utf8))?.status == 202
        else { return -2 }
        let clock = ContinuousClock()
        let start = clock.now
        while HTTP.request("GET", base + "/sessions/\(session)/identity")?.status != 200 {
            if clock.now - start > .seconds(15) { return -3 }
            usleep(50_000)
        }
        return HTTP.request("POST", base + "/tickets", headers: ["Content-Type": "application/json"],
                            body: Data(#"{"category":"\#(category)","sessionId":"\#(session)"}"#.utf8))?.status ?? -4
    }

    @Test func theHallDatabaseStoppedMidRunRefusesTicketsThenNumberingGoesOnWithoutDuplicates() async throws {
        let postgres = try await Self.offPool { try PrivatePostgres() }
        defer { postgres.stop() }
        let fixtures = try await Self.offPool { try (1...2).map { try Self.fixture(id: "TZ0\($0)", url: postgres.url) } }
        defer { fixtures.forEach { $0.remove() } }
        let kiosks = try await Self.offPool { try fixtures.map(Self.start) }

        let handedOut = Locked<[String]>([])
        let refused = Locked<[String]>([])
        let healthWhileDown = Locked<[String]>([])
        let controllerError = Locked<String?>(nil)
        let stopAfter = 100
        let perWorker = 60
        // The outage: once 100 tickets are out, the database is stopped at once; both kiosks must
        // report it in health and refuse tickets; then it is started again on the same port.
        let controller = DispatchGroup()
        controller.enter()
        Thread.detachNewThread {
            defer { controller.leave() }
            let clock = ContinuousClock()
            let start = clock.now
            while handedOut.value.count < stopAfter {
                if clock.now - start > .seconds(120) { controllerError.withLock { $0 = "never reached \(stopAfter) tickets" }; return }
                usleep(5_000)
            }
            do { try postgres.stopImmediately() } catch { controllerError.withLock { $0 = "\(error)" }; return }
            for kiosk in kiosks {
                let body = try? kiosk.waitFor("/api/v1/health", status: 200, timeout: .seconds(30)) { Self.hall($0)?["state"] as? String == "unreachable" }
                healthWhileDown.withLock { $0.append(body.map { String(decoding: $0, as: UTF8.self) } ?? "no unreachable health") }
            }
            while refused.value.count < 8 {
                if clock.now - start > .seconds(180) { controllerError.withLock { $0 = "no refusals seen" }; break }
                usleep(20_000)
            }
            do { try postgres.start() } catch { controllerError.withLock { $0 = "restart: \(error)" } }
        }
        await Self.inParallel(kiosks: 2, workers: 2) { kiosk, _ in
            var mine = 0
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(240)
            while mine < perWorker && clock.now < deadline {
                let answer = HTTP.request("POST", kiosks[kiosk].baseURL + "/api/v1/tickets", headers: ["Content-Type": "application/json"],
                                          body: Data(#"{"category":"general"}"#.utf8), timeout: 60)
                if let answer, answer.status == 201,
                   let ticket = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["ticket"] as? String {
                    mine += 1
                    handedOut.withLock { $0.append(ticket) }
                } else {
                    let text = String(decoding: answer?.body ?? Data(), as: UTF8.self)
                    refused.withLock { $0.append("\(answer?.status ?? 0) \(text)") }
                    usleep(50_000)  // the citizen tries again a moment later
                }
            }
        }
        _ = try await Self.offPool { controller.wait() }
        #expect(controllerError.value == nil, "\(controllerError.value ?? "")")
        // Health said so on both kiosks, and the kiosk was degraded meanwhile.
        #expect(healthWhileDown.value.count == 2)
        #expect(healthWhileDown.value.allSatisfy { $0.contains("\"status\":\"degraded\"") && $0.contains("hall database unreachable") },
                "\(healthWhileDown.value)")
        // While it was down: 503 hall-unavailable with the Chinese sentence, nothing else.
        let refusals = refused.value
        #expect(refusals.count >= 8)
        let unexpected = refusals.filter { !($0.hasPrefix("503 ") && $0.contains("hall-unavailable") && $0.contains("暂停取号")) }
        #expect(unexpected.isEmpty, "\(unexpected.prefix(3))")
        // Every worker got its tickets after the database came back.
        #expect(handedOut.value.count == 4 * perWorker)
        #expect(Set(handedOut.value).count == handedOut.value.count, "a number was handed out twice")
        // The reconcile settled whatever was in doubt; what the hall holds as live tickets is
        // exactly what the citizens were handed, and a cancelled one was never handed out.
        for kiosk in kiosks {
            _ = try await Self.offPool {
                try kiosk.waitFor("/api/v1/health", status: 200, timeout: .seconds(60)) { body in
                    Self.hall(body)?["state"] as? String == "ok" && Self.hall(body)?["inDoubt"] as? Int == 0
                }
            }
        }
        let live = try postgres.psql("SELECT number FROM hall_ticket WHERE state <> 'cancelled' ORDER BY number").split(separator: "\n").map(String.init)
        #expect(live == handedOut.value.sorted())
        #expect(try postgres.psql("SELECT count(*) = count(DISTINCT number) FROM hall_ticket") == "t")
        #expect(try postgres.psql("SELECT count(*) FROM hall_ticket WHERE state = 'cancelled' AND cancel_reason NOT LIKE 'never handed out%'") == "0")
        for kiosk in kiosks { #expect(try await Self.offPool { try kiosk.terminate() } == 0) }
    }
}

extension HallKiosksTests {
    static func post(_ url: String, token: String? = nil, _ body: String? = nil) -> (status: Int, text: String, object: [String: Any]) {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if body != nil { headers["Content-Type"] = "application/json" }
        let answer = HTTP.request("POST", url, headers: headers, body: body.map { Data($0.utf8) })
        let object = answer.flatMap { try? JSONSerialization.jsonObject(with: $0.body) as? [String: Any] } ?? [:]
        return (answer?.status ?? 0, String(decoding: answer?.body ?? Data(), as: UTF8.self), object)
    }

    static func login(_ base: String, _ account: String) throws -> String {
        let answer = post(base + "/api/v1/staff/login", #"{"account":"\#(account)","pin":"\#(pins[account]!)"}"#)
        guard answer.status == 200, let token = answer.object["token"] as? String else { throw TestSupportError("login \(account): \(answer.text)") }
        return token
    }

    @Test func windowsCallThroughTheAPIWithTheirStaffAndTheDisplayHearsIt() async throws {
        let postgres = try await Self.offPool { try PrivatePostgres() }
        defer { postgres.stop() }
        let fixtures = try await Self.offPool { try (1...2).map { try Self.fixture(id: "TZ0\($0)", url: postgres.url, staff: true) } }
        defer { fixtures.forEach { $0.remove() } }
        let kiosks = try await Self.offPool { try fixtures.map(Self.start) }
        let (one, two) = (kiosks[0].baseURL, kiosks[1].baseURL)
        // kioskctl works on the hall store too (潮汐: window 3 serves the general queue).
        let kioskctl = try RepoPaths.binary("kioskctl")
        let assigned = try ChildProcess.run(kioskctl, ["queue", "window", "3", "general", "--config", fixtures[0].directory,
                                                       "--data", kiosks[0].data.path])
        #expect(assigned.status == 0, "\(assigned.stderr)")
        for _ in 0..<3 { #expect(Self.post(one + "/api/v1/tickets", #"{"category":"general"}"#).status == 201) }

        // Each ticket's QR leads to its live queue position (no personal data, an unguessable token).
        let issued = Self.post(one + "/api/v1/tickets", #"{"category":"general"}"#)
        let positionURL = try #require(issued.object["positionUrl"] as? String)
        let token = String(try #require(positionURL.split(separator: "/").last))
        #expect(positionURL.hasPrefix("https://zwfw.tengzhou.gov.cn/kiosk/q/") && token.count == 22)
        let position = try #require(HTTP.request("GET", two + "/api/v1/queue/position/\(token)"))
        let positionJSON = try #require(try JSONSerialization.jsonObject(with: position.body) as? [String: Any])
        #expect(positionJSON["ticket"] as? String == "G004" && positionJSON["waiting"] as? Int == 3 && positionJSON["state"] as? String == "waiting")
        let page = try #require(HTTP.request("GET", two + "/q/\(token)"))
        #expect(page.status == 200 && String(decoding: page.body, as: UTF8.self).contains("您前面还有 <b>3</b> 人等候"))
        #expect(HTTP.request("GET", one + "/q/AAAAAAAAAAAAAAAAAAAAAA")?.status == 404)
        #expect(HTTP.request("GET", one + "/api/v1/queue/position/G004")?.status == 404)

        let wang = try Self.login(one, "wangfang")
        let li = try Self.login(two, "lisi")
        #expect(Self.post(one + "/api/v1/windows/3/call-next").status == 401)
        let notOpen = Self.post(one + "/api/v1/windows/3/call-next", token: wang)
        #expect(notOpen.status == 409 && notOpen.text.contains("window-not-open"))
        #expect(Self.post(one + "/api/v1/windows/3/open", token: wang).status == 200)
        let held = Self.post(two + "/api/v1/windows/3/open", token: li)
        #expect(held.status == 403 && held.text.contains("window-held-by-other"), "\(held.text)")

        let events = try SSEClient(port: kiosks[0].port)
        let first = Self.post(one + "/api/v1/windows/3/call-next", token: wang)
        #expect(first.status == 200 && first.object["ticket"] as? String == "G001", "\(first.text)")
        let event = try #require(try events.next())
        #expect(event.type == "ticketCalled")
        #expect(event.data.contains("请G001号到3号窗口办理"), "\(event.data)")
        // Another member, signed in elsewhere, cannot work window 3 (on any kiosk).
        let other = Self.post(two + "/api/v1/windows/3/call-next", token: li)
        #expect(other.status == 403 && other.text.contains("window-held-by-other"))

        let recalled = Self.post(one + "/api/v1/windows/3/recall", token: wang)
        #expect(recalled.status == 200 && recalled.object["ticket"] as? String == "G001")
        #expect(try #require(try events.next()).data.contains("\"recall\":true"))
        #expect(Self.post(one + "/api/v1/windows/3/skip", token: wang).object["state"] as? String == "skipped")
        #expect(Self.post(one + "/api/v1/windows/3/call-next", token: wang).object["ticket"] as? String == "G002")
        #expect(Self.post(one + "/api/v1/windows/3/finish", token: wang).object["state"] as? String == "served")
        #expect(Self.post(one + "/api/v1/windows/3/call-next", token: wang).object["ticket"] as? String == "G003")
        let moved = Self.post(one + "/api/v1/windows/3/transfer", token: wang, #"{"category":"medical-insurance"}"#)
        #expect(moved.status == 200 && moved.object["category"] as? String == "medical-insurance" && moved.object["state"] as? String == "waiting")
        let paused = Self.post(one + "/api/v1/windows/3/pause", token: wang, #"{"reason":"午休"}"#)
        #expect(paused.status == 200 && paused.object["paused"] as? Bool == true)
        let whilePaused = Self.post(one + "/api/v1/windows/3/call-next", token: wang)
        #expect(whilePaused.status == 409 && whilePaused.text.contains("window-paused"))
        #expect(Self.post(one + "/api/v1/windows/3/resume", token: wang).object["paused"] as? Bool == false)
        // The skipped G001 comes back within the grace, from the other kiosk's staff door.
        let back = Self.post(two + "/api/v1/staff/tickets/G001/requeue", token: li)
        #expect(back.status == 200 && back.object["state"] as? String == "waiting", "\(back.text)")
        // G004 waited before G001 came back: G004 first, then G001.
        #expect(Self.post(one + "/api/v1/windows/3/call-next", token: wang).object["ticket"] as? String == "G004")
        // The phone's page now says where to go.
        let called = try #require(HTTP.request("GET", two + "/q/\(token)"))
        #expect(String(decoding: called.body, as: UTF8.self).contains("请到3号窗口办理"))
        #expect(Self.post(one + "/api/v1/windows/3/call-next", token: wang).object["ticket"] as? String == "G001")
        #expect(Self.post(one + "/api/v1/windows/3/call-next", token: wang).status == 204)

        let status = try ChildProcess.run(kioskctl, ["queue", "status", "--config", fixtures[1].directory, "--data", kiosks[1].data.path])
        #expect(status.status == 0 && status.stdout.contains("window 3: general  staff wangfang"), "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("B  医疗保障") && status.stdout.contains("waiting 1"))

        // The fleet view: both kioskd wrote their heartbeat when they started; TZ03 and TZ04, listed in
        // hall.kiosks but never started, are "never sent" and come first (red).
        let fleet = try ChildProcess.run(kioskctl, ["hall", "status", "--json", "--config", fixtures[1].directory, "--data", kiosks[1].data.path])
        let fleetJSON = try #require(try JSONSerialization.jsonObject(with: Data(fleet.stdout.utf8)) as? [String: Any], "\(fleet.stderr)")
        let listed = (fleetJSON["kiosks"] as? [[String: Any]] ?? []).map { "\($0["kioskID"] ?? "")=\($0["state"] ?? "")" }
        // (The running two are green, or amber while a device was still starting at their first heartbeat.)
        #expect(listed.prefix(2) == ["TZ03=never", "TZ04=never"] && Set(listed.dropFirst(2)) == ["TZ01=ok", "TZ02=ok"], "\(fleet.stdout)")
        let table = try ChildProcess.run(kioskctl, ["hall", "status", "--config", fixtures[0].directory, "--data", kiosks[0].data.path])
        #expect(table.status == 0 && table.stdout.contains("never sent") && table.stdout.contains("4 kiosk(s)"), "\(table.stdout)")
        let staffFleet = try #require(HTTP.request("GET", two + "/api/v1/staff/hall/fleet", headers: ["Authorization": "Bearer \(li)"]))
        #expect(staffFleet.status == 200 && String(decoding: staffFleet.body, as: UTF8.self).contains("\"kioskID\":\"TZ02\""))
        #expect(HTTP.request("GET", two + "/api/v1/staff/hall/fleet")?.status == 401)
        for kiosk in kiosks { #expect(try await Self.offPool { try kiosk.terminate() } == 0) }
    }
}

/// A value shared by test threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    @discardableResult
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&stored) } }
}
