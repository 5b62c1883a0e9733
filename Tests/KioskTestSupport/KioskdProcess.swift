import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `kioskd` process on a loopback port with its own data directory, for end-to-end tests.
public final class KioskdProcess: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    public let data: TemporaryDirectory
    private let ownsData: Bool
    private let errPipe = Pipe()
    private let stderrBuffer = LockedData()

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts kioskd with `--config`, a free `--listen` port and a fresh `--data` directory (or
    /// `dataDirectory`, left in place afterwards, to restart a kiosk on the same store).
    public init(config: String = RepoPaths.defaultConfig, environment: [String: String] = [:], extraArguments: [String] = [],
                dataDirectory: TemporaryDirectory? = nil) throws {
        port = try ChildProcess.freePort()
        ownsData = dataDirectory == nil
        data = try dataDirectory ?? TemporaryDirectory("kioskd-data")
        process.executableURL = URL(fileURLWithPath: try RepoPaths.binary("kioskd"))
        process.arguments = ["--config", config, "--listen", "127.0.0.1:\(port)", "--data", data.path,
                             "--log-format", "json"] + extraArguments
        // A test run under systemd must not have its kioskd notify the real manager: the
        // notification variables reach kioskd only when the test gives them.
        var inherited = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { inherited[name] = nil }
        process.environment = inherited.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errPipe
        let buffer = stderrBuffer
        errPipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if !chunk.isEmpty { buffer.append(chunk) }
        }
        try process.run()
    }

    /// Everything kioskd logged so far.
    public var log: String { String(decoding: stderrBuffer.get(), as: UTF8.self) }

    /// GETs a path; nil while nothing answers.
    public func get(_ path: String) -> (status: Int, body: Data)? {
        HTTP.get(baseURL + path)
    }

    /// Polls until `GET path` answers with `status`, or throws after `timeout`.
    @discardableResult
    public func waitFor(_ path: String, status: Int = 200, timeout: Duration = .seconds(30),
                        until accept: (Data) -> Bool = { _ in true }) throws -> Data {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < timeout {
            if !process.isRunning {
                throw TestSupportError("kioskd exited with \(process.terminationStatus): \(log)")
            }
            if let answer = get(path), answer.status == status, accept(answer.body) { return answer.body }
            usleep(20_000)
        }
        throw TestSupportError("kioskd did not answer \(path) with \(status) within \(timeout): \(log)")
    }

    /// Sends SIGTERM and waits for the exit status.
    public func terminate(timeout: Duration = .seconds(15)) throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let clock = ContinuousClock()
        let start = clock.now
        while process.isRunning {
            if clock.now - start > timeout {
                kill(process.processIdentifier, SIGKILL)
                throw TestSupportError("kioskd did not stop within \(timeout) of SIGTERM")
            }
            usleep(10_000)
        }
        errPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        if ownsData { data.remove() }
    }

    /// Kills kioskd at once (SIGKILL), as a power cut or a crash would.
    public func crash() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        errPipe.fileHandleForReading.readabilityHandler = nil
    }
}

/// Minimal blocking HTTP for tests (the code under test is the server, not this client).
public enum HTTP {
    public static func get(_ url: String, timeout: TimeInterval = 2) -> (status: Int, body: Data)? {
        guard let url = URL(string: url) else { return nil }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let semaphore = DispatchSemaphore(value: 0)
        let box = LockedResult()
        let task = URLSession.shared.dataTask(with: request) { data, response, _ in
            if let http = response as? HTTPURLResponse { box.set((http.statusCode, data ?? Data())) }
            semaphore.signal()
        }
        task.resume()
        _ = semaphore.wait(timeout: .now() + timeout + 1)
        return box.get()
    }
}

final class LockedResult: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Int, Data)?
    func set(_ v: (Int, Data)) { lock.lock(); value = v; lock.unlock() }
    func get() -> (status: Int, body: Data)? { lock.lock(); defer { lock.unlock() }; return value.map { ($0.0, $0.1) } }
}

extension LockedData {
    func append(_ chunk: Data) { set(get() + chunk) }
}
