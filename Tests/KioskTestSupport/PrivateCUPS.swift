import Foundation

/// A real cupsd on a loopback port, private to one test, with raw queues whose backend writes
/// each job to a file (`scripts/private-cups.sh`, the same script `make demo` uses).
/// Fails loudly if CUPS is not installed: tests that need it never skip.
public final class PrivateCUPS: @unchecked Sendable {
    public let base: TemporaryDirectory
    public let port: Int
    public let queues: [String]

    /// `CUPS_SERVER` value that points libcups at this instance.
    public var server: String { "127.0.0.1:\(port)" }

    /// Starts cupsd on a port the script asks the OS for (port 0). The script refuses a port
    /// someone holds (exit 3) and adds the queues only once its own cupsd listens there, so a
    /// port a parallel test took in the meantime never gets this test's queues: it is tried
    /// again with another port.
    public init(queues: [String]) throws {
        _ = try ChildProcess.which("cupsd", package: "cups-daemon")
        _ = try ChildProcess.which("lpadmin", package: "cups-client")
        base = try TemporaryDirectory("cups")
        self.queues = queues
        port = try Self.start(base: base, queues: queues)
    }

    private static func start(base: TemporaryDirectory, queues: [String]) throws -> Int {
        for attempt in 1...3 {
            let result = try ChildProcess.run(RepoPaths.scripts + "/private-cups.sh", ["start", base.path, "0"] + queues)
            if result.status == 0 {
                let text = try String(contentsOfFile: base.file("port"), encoding: .utf8)
                guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw TestSupportError("private cupsd started but wrote no port: \(text)")
                }
                return port
            }
            guard result.status == 3, attempt < 3 else {
                base.remove()
                throw TestSupportError("private cupsd did not start: \(result.stderr)\(result.stdout)")
            }
        }
        throw TestSupportError("private cupsd did not start")
    }

    /// Folder where the queue's jobs land as `job-N.bin`.
    public func outputDirectory(queue: String) -> String { base.path + "/out/" + queue }

    /// Sets the simulated paper sensor of a queue's printer: ok, low, out or jam.
    public func setPaper(_ state: String, queue: String) throws {
        try (state + "\n").write(toFile: outputDirectory(queue: queue) + "/paper", atomically: true, encoding: .utf8)
    }

    /// The completed jobs' bytes, in job order.
    public func jobs(queue: String) throws -> [Data] {
        let dir = outputDirectory(queue: queue)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
            .filter { $0.hasPrefix("job-") && $0.hasSuffix(".bin") }
            .sorted { Int($0.dropFirst(4).dropLast(4)) ?? 0 < Int($1.dropFirst(4).dropLast(4)) ?? 0 }
        return try names.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)) }
    }

    /// Submits raw bytes with `lp` (the CUPS client, not the kiosk's code).
    public func submitWithLP(_ data: Data, queue: String) throws {
        let file = base.file("submit-\(UUID().uuidString.prefix(6)).bin")
        try data.write(to: URL(fileURLWithPath: file))
        let lp = try ChildProcess.which("lp", package: "cups-client")
        let result = try ChildProcess.run(lp, ["-h", server, "-d", queue, "-o", "raw", file])
        guard result.status == 0 else { throw TestSupportError("lp failed: \(result.stderr)") }
    }

    public func stop() {
        _ = try? ChildProcess.run(RepoPaths.scripts + "/private-cups.sh", ["stop", base.path])
        base.remove()
    }

    deinit { stop() }
}
