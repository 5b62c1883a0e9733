import Foundation
import KioskTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `scripts/private-cups.sh` (the demo's, the tests' and the bench's cupsd) never touches a cupsd
/// it did not start: a port another cupsd holds is refused before anything starts, and that
/// cupsd's queues stay as they were (a bench run on a fixed port once re-pointed a test's
/// `receipt` queue and printed into it).
@Suite struct PrivateCUPSTests {
    func script(_ arguments: [String]) async throws -> ProcessResult {
        try await blocking { try ChildProcess.run(RepoPaths.scripts + "/private-cups.sh", arguments, timeout: .seconds(30)) }
    }

    func deviceURI(_ cups: PrivateCUPS, queue: String) async throws -> String {
        let lpstat = try ChildProcess.which("lpstat", package: "cups-client")
        return try await blocking { try ChildProcess.run(lpstat, ["-h", cups.server, "-v", queue]).stdout }
    }

    @Test func aPortHeldByAnotherCupsdIsRefusedAndItsQueuesAreLeftAlone() async throws {
        let first = try await blocking { try PrivateCUPS(queues: ["receipt"]) }
        defer { first.stop() }
        let before = try await deviceURI(first, queue: "receipt")
        #expect(before.contains(first.outputDirectory(queue: "receipt")), "\(before)")

        let second = try TemporaryDirectory("cups-second")
        defer {
            _ = try? ChildProcess.run(RepoPaths.scripts + "/private-cups.sh", ["stop", second.path])
            second.remove()
        }
        let refused = try await script(["start", second.path, "\(first.port)", "receipt", "ticket"])
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("127.0.0.1:\(first.port) is in use"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: second.file("cupsd.pid")), "a second cupsd was started")
        // The first cupsd's queue still prints into its own folder, and got no queue added.
        let after = try await deviceURI(first, queue: "receipt")
        #expect(after == before)
        let lpstat = try ChildProcess.which("lpstat", package: "cups-client")
        let printers = try await blocking { try ChildProcess.run(lpstat, ["-h", first.server, "-p"]).stdout }
        #expect(!printers.contains("ticket"))
    }

    @Test func aPortHeldByAnythingElseIsRefusedAtOnce() async throws {
        // A listener that is not CUPS at all (lpstat would wait on it).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(listening)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let base = try TemporaryDirectory("cups-taken")
        defer {
            _ = try? ChildProcess.run(RepoPaths.scripts + "/private-cups.sh", ["stop", base.path])
            base.remove()
        }
        let refused = try await script(["start", base.path, "\(port)", "receipt"])
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("is in use"))
    }

    @Test func portZeroTakesAFreePortAndSaysWhich() async throws {
        let cups = try await blocking { try PrivateCUPS(queues: ["receipt"]) }
        defer { cups.stop() }
        #expect(cups.port > 0)
        let uri = try await deviceURI(cups, queue: "receipt")
        #expect(uri.contains(cups.outputDirectory(queue: "receipt")))
    }
}
