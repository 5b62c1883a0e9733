import Foundation
import KioskTestSupport
import Testing

/// kioskd under systemd's notification protocol, with the test playing systemd: it binds the
/// `NOTIFY_SOCKET` datagram socket and reads what a real kioskd sends.
@Suite struct SystemdNotifyTests {
    /// Another process holding the store's write lock (`BEGIN IMMEDIATE` in the sqlite3 shell):
    /// kioskd's writer cannot commit anything until it lets go — a wedged store writer, made from
    /// outside without any test hook in kioskd.
    final class WriteLockHolder {
        let process = Process()
        let input = Pipe()
        let output = Pipe()

        init(database: String) throws {
            process.executableURL = URL(fileURLWithPath: try ChildProcess.which("sqlite3", package: "sqlite3"))
            process.arguments = [database]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            // Waits up to 10 s for kioskd's own write to finish, then holds the lock.
            input.fileHandleForWriting.write(Data(".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'held';\n".utf8))
            var seen = ""
            while !seen.contains("held") {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw TestSupportError("sqlite3 ended before taking the lock: \(seen)") }
                seen += String(decoding: chunk, as: UTF8.self)
                if seen.contains("Error") { throw TestSupportError("sqlite3 could not take the write lock: \(seen)") }
            }
        }

        func release() {
            input.fileHandleForWriting.write(Data("ROLLBACK;\n.quit\n".utf8))
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    /// What the ready test saw, gathered off the cooperative pool.
    struct ReadyRun: Sendable {
        var port = 0
        var ready: [String: String] = [:]
        var healthAtReady: (status: Int, body: String)?
        var receivedBeforeReady: [[String: String]] = []
        var pings: [[String: String]] = []
        var exitStatus: Int32 = -1
        var stopping: [String: String] = [:]
    }

    @Test(arguments: [true, false])
    func readyOnlyOnceHealthyThenWatchdogKeepAlives(abstractSocket: Bool) async throws {
        let run = try await blocking {
            var run = ReadyRun()
            let cups = try PrivateCUPS(queues: ["receipt", "ticket"])
            defer { cups.stop() }
            let systemd = try NotifySocket(abstract: abstractSocket)
            let kioskd = try KioskdProcess(environment: ["CUPS_SERVER": cups.server, "NOTIFY_SOCKET": systemd.name,
                                                          "WATCHDOG_USEC": "2000000"])
            run.port = kioskd.port
            run.ready = try systemd.waitFor("READY=1") { $0["READY"] == "1" }
            run.healthAtReady = kioskd.get("/api/v1/health").map { ($0.status, String(decoding: $0.body, as: UTF8.self)) }
            run.receivedBeforeReady = Array(systemd.received.dropLast())
            for _ in 0..<3 { run.pings.append(try systemd.waitFor("WATCHDOG=1", timeout: .seconds(10)) { $0["WATCHDOG"] != nil }) }
            run.exitStatus = try kioskd.terminate()
            run.stopping = try systemd.waitFor("STOPPING=1", timeout: .seconds(5)) { $0["STOPPING"] == "1" }
            return run
        }
        // READY comes after the first healthy answer: health is already 200 (not 503 "starting").
        let health = try #require(run.healthAtReady)
        #expect(health.status == 200)
        #expect(health.body.contains("\"status\":\"ok\""))
        #expect(run.ready["STATUS"]?.hasPrefix("ready: ok on http://127.0.0.1:\(run.port)") == true, "\(run.ready)")
        #expect(run.ready["STATUS"]?.contains("devices 5/5 ok") == true, "\(run.ready)")
        // No keep-alive before READY.
        #expect(!run.receivedBeforeReady.contains { $0["WATCHDOG"] != nil })
        // Then keep-alives, each with the status line, every half WATCHDOG_USEC.
        #expect(run.pings.count == 3)
        for ping in run.pings {
            #expect(ping["WATCHDOG"] == "1")
            #expect(ping["STATUS"]?.hasPrefix("ok on http://") == true, "\(ping)")
        }
        #expect(run.exitStatus == 0)
        #expect(run.stopping["STATUS"] == "kioskd stopping")
    }

    /// What the wedge test saw.
    struct WedgeRun: Sendable {
        var firstWithheld: [String: String] = [:]
        var ticksWhileWedged: [[String: String]] = []
        var healthWhileWedged: Int?
        var resumed: [String: String] = [:]
        var log = ""
        var exitStatus: Int32 = -1
    }

    @Test func watchdogStopsWhileTheStoreWriterIsWedgedAndResumesAfter() async throws {
        let run = try await blocking {
            var run = WedgeRun()
            let systemd = try NotifySocket(abstract: false)
            let kioskd = try KioskdProcess(environment: ["NOTIFY_SOCKET": systemd.name, "WATCHDOG_USEC": "2000000"])
            try systemd.waitFor("READY=1") { $0["READY"] == "1" }
            try systemd.waitFor("WATCHDOG=1", timeout: .seconds(10)) { $0["WATCHDOG"] == "1" }

            let lock = try WriteLockHolder(database: kioskd.data.file("kiosk.sqlite"))
            var released = false
            defer { if !released { lock.release() } }
            run.firstWithheld = try systemd.waitFor("a withheld keep-alive", timeout: .seconds(20)) {
                $0["STATUS"]?.hasPrefix("watchdog withheld: ") == true
            }
            // Three more ticks (each half WATCHDOG_USEC) with the lock still held.
            for _ in 0..<3 { run.ticksWhileWedged.append(try systemd.waitFor("a status tick", timeout: .seconds(10)) { $0["STATUS"] != nil }) }
            run.healthWhileWedged = kioskd.get("/api/v1/health")?.status

            lock.release()
            released = true
            run.resumed = try systemd.waitFor("WATCHDOG=1 after the lock is released", timeout: .seconds(20)) { $0["WATCHDOG"] == "1" }
            run.exitStatus = try kioskd.terminate()
            run.log = kioskd.log
            return run
        }
        #expect(run.firstWithheld["WATCHDOG"] == nil)
        #expect(run.firstWithheld["STATUS"]?.contains("store writer: no heartbeat write committed") == true, "\(run.firstWithheld)")
        #expect(run.ticksWhileWedged.count == 3)
        for tick in run.ticksWhileWedged {
            #expect(tick["WATCHDOG"] == nil, "a keep-alive while the store writer was wedged: \(tick)")
            #expect(tick["STATUS"]?.contains("store writer") == true, "\(tick)")
        }
        // kioskd itself still answers (reads go on); it only stops claiming to be alive.
        #expect(run.healthWhileWedged == 200)
        #expect(run.resumed["STATUS"]?.contains("watchdog withheld") == false)
        #expect(run.log.contains("keep-alive withheld"))
        #expect(run.log.contains("keep-alive resumed"))
        #expect(run.exitStatus == 0)
    }
}
