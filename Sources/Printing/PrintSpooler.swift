import BlockingWork
import DeviceKit
import Foundation
import KioskConfig
import Synchronization

/// Where a `SlipPrinter` sends its jobs: the few spooler operations it needs (create a job, send
/// its document, ask after it, cancel, resume the queue) and the queue's state. `CUPSSpooler`
/// speaks IPP to a CUPS queue; `SimulatedSpooler` is its in-process twin for `driver: simulated`
/// printers, so a kiosk without CUPS still prints (nowhere) through the same job ledger. A real
/// printer's paper cannot be set: that is `PaperSimulating`, which only the simulators adopt.
public protocol PrintSpooler: Sendable {
    /// Where the jobs go, for logs and `kioskctl printer list` (`receipt@127.0.0.1:631`).
    var destination: String { get }
    /// Step one of two: an empty job named `name`; nothing can print yet.
    func createJob(name: String) async throws(CUPSProbeError) -> Int32
    /// Step two: the job's one document; the job prints once this returns.
    func sendDocument(jobId: Int32, document: [UInt8], name: String) async throws(CUPSProbeError)
    /// The job's state, or nil when the spooler no longer knows it.
    func job(_ id: Int32) async throws(CUPSProbeError) -> CUPSJobState?
    /// The queue's jobs that have not finished and carry `name` (orphans of a crash).
    func unfinishedJobs(named name: String) async throws(CUPSProbeError) -> [CUPSJobState]
    func cancel(_ id: Int32) async throws(CUPSProbeError)
    /// After a restock or a cleared fault: stale reasons cleared, queue accepting and resumed,
    /// held jobs released.
    func resume() async throws(CUPSProbeError)
    /// The queue's state as a device report for `binding` (paper from the spooler's reasons only).
    func queueStatus(of binding: DeviceBinding) async -> DeviceStatusReport
}

/// A printer whose paper sensor can be set from outside (the demo, tests): the simulated printer
/// and the demo's capture queues. Real printers do not have it.
public protocol PaperSimulating: Sendable {
    /// Sets the simulated sensor. Paper put back does not restart a stopped queue: a restock does.
    func simulatePaper(_ state: SimulatedPaper) async throws(PrintError)
}

/// A raw CUPS queue reached through libcups, each call on its own bounded connection, each on the
/// process's blocking pool.
public struct CUPSSpooler: PrintSpooler {
    public let queue: String
    let server: CUPSJobs.Server
    /// How long one IPP step may take.
    let timeoutMilliseconds: Int32

    public init(binding: DeviceBinding, timeoutMilliseconds: Int32 = 3000) {
        queue = binding.queue ?? binding.id
        server = CUPSProbe.server(for: binding)
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    public var destination: String { "\(queue)@\(CUPSProbe.display(server))" }

    /// One libcups call on the blocking pool; a call that never ran is `.interrupted`.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(CUPSProbeError) -> T) async throws(CUPSProbeError) -> T {
        try await BlockingPool.shared.run(body, interrupted: CUPSProbeError.interrupted)
    }

    public func createJob(name: String) async throws(CUPSProbeError) -> Int32 {
        let (queue, server, timeout) = (queue, server, timeoutMilliseconds)
        return try await blocking { () throws(CUPSProbeError) -> Int32 in
            try CUPSJobs.createJob(queue: queue, server: server, jobName: name, timeoutMilliseconds: timeout)
        }
    }

    public func sendDocument(jobId: Int32, document: [UInt8], name: String) async throws(CUPSProbeError) {
        let (queue, server, timeout) = (queue, server, timeoutMilliseconds)
        try await blocking { () throws(CUPSProbeError) in
            try CUPSJobs.sendDocument(jobId: jobId, queue: queue, server: server, document: document, name: name,
                                      timeoutMilliseconds: timeout)
        }
    }

    public func job(_ id: Int32) async throws(CUPSProbeError) -> CUPSJobState? {
        let server = server
        return try await blocking { () throws(CUPSProbeError) -> CUPSJobState? in try CUPSJobs.job(id, server: server) }
    }

    public func unfinishedJobs(named name: String) async throws(CUPSProbeError) -> [CUPSJobState] {
        let (queue, server) = (queue, server)
        return try await blocking { () throws(CUPSProbeError) -> [CUPSJobState] in
            try CUPSJobs.jobs(queue: queue, server: server).filter { $0.name == name && !$0.isFinished }
        }
    }

    public func cancel(_ id: Int32) async throws(CUPSProbeError) {
        let server = server
        try await blocking { () throws(CUPSProbeError) in try CUPSJobs.cancel(id, server: server) }
    }

    public func resume() async throws(CUPSProbeError) {
        let (queue, server) = (queue, server)
        try await blocking { () throws(CUPSProbeError) in try CUPSJobs.resume(queue: queue, server: server) }
    }

    public func queueStatus(of binding: DeviceBinding) async -> DeviceStatusReport {
        await CUPSPrinter(binding: binding).checkStatus()
    }

    /// The queue as a demo capture queue (`kiosk-capture:` device URI, a sensor file in its
    /// directory), or nil when it is a real printer.
    public func captureQueue() async throws(PrintError) -> CaptureSpooler? {
        let (queue, server) = (queue, server)
        let uri: String?
        do {
            uri = try await blocking { () throws(CUPSProbeError) in try CUPSJobs.deviceURI(queue: queue, server: server) }
        } catch {
            throw .cups(error)
        }
        guard let uri, uri.hasPrefix("kiosk-capture:") else { return nil }
        var directory = String(uri.dropFirst("kiosk-capture:".count))
        while directory.hasPrefix("//") { directory.removeFirst() }
        return CaptureSpooler(cups: self, directory: directory)
    }
}

/// One of the demo's capture queues: a CUPS queue whose backend (`scripts/cups-backend/kiosk-capture`)
/// writes jobs into a directory and reads a paper sensor file there. Prints as `CUPSSpooler`; its
/// paper can be set, and its printer-state-reasons follow as a real printer's sensor would set them.
public struct CaptureSpooler: PrintSpooler, PaperSimulating {
    public let cups: CUPSSpooler
    /// The backend's directory (the sensor is its `paper` file).
    public let directory: String

    public var destination: String { cups.destination }
    public func createJob(name: String) async throws(CUPSProbeError) -> Int32 { try await cups.createJob(name: name) }
    public func sendDocument(jobId: Int32, document: [UInt8], name: String) async throws(CUPSProbeError) {
        try await cups.sendDocument(jobId: jobId, document: document, name: name)
    }
    public func job(_ id: Int32) async throws(CUPSProbeError) -> CUPSJobState? { try await cups.job(id) }
    public func unfinishedJobs(named name: String) async throws(CUPSProbeError) -> [CUPSJobState] {
        try await cups.unfinishedJobs(named: name)
    }
    public func cancel(_ id: Int32) async throws(CUPSProbeError) { try await cups.cancel(id) }
    public func resume() async throws(CUPSProbeError) { try await cups.resume() }
    public func queueStatus(of binding: DeviceBinding) async -> DeviceStatusReport { await cups.queueStatus(of: binding) }

    public func simulatePaper(_ state: SimulatedPaper) async throws(PrintError) {
        let (queue, server, directory) = (cups.queue, cups.server, directory)
        do throws(SensorWriteError) {
            try await BlockingPool.shared.run({ () throws(SensorWriteError) in
                do {
                    try (state.rawValue + "\n").write(toFile: directory + "/paper", atomically: true, encoding: .utf8)
                } catch {
                    throw SensorWriteError(message: "\(error)")
                }
            }, interrupted: { SensorWriteError(message: "\($0)") })
        } catch {
            throw .refused("cannot write the simulated paper sensor in \(directory): \(error.message)")
        }
        do {
            try await cups.blocking { () throws(CUPSProbeError) in
                try CUPSJobs.setStateReasons(state.cupsReasons, queue: queue, server: server)
            }
        } catch {
            throw .cups(error)
        }
    }
}

/// Why the capture queue's sensor file could not be written.
struct SensorWriteError: Error {
    var message: String
}

/// An in-process printer for `driver: simulated` bindings: a job completes as soon as its document
/// arrives while the simulated paper is in; with the paper out or jammed the queue stops, as CUPS
/// stops a real one, and the job waits for `resume()` (a restock) with paper back in. Keeps the
/// last documents it printed for tests and the demo; forgets everything on restart (a job it no
/// longer knows is reported lost, so recovery never guesses that it printed).
public final class SimulatedSpooler: PrintSpooler, PaperSimulating {
    public let destination: String
    /// How many printed documents and finished jobs are kept.
    public static let retained = 32

    private struct Queue {
        var nextId: Int32
        var jobs: [Int32: CUPSJobState] = [:]
        var documents: [Int32: [UInt8]] = [:]
        var finishedOrder: [Int32] = []
        var printed: [(id: Int32, document: [UInt8])] = []
        var printedCount = 0
        var paper: SimulatedPaper = .ok
        var stopped = false

        var paperIn: Bool { paper == .ok || paper == .low }

        mutating func finish(_ id: Int32) {
            guard var job = jobs[id] else { return }
            job.state = CUPSJobState.completed
            job.reasons = ["job-completed-successfully"]
            jobs[id] = job
            printed.append((id, documents.removeValue(forKey: id) ?? []))
            printedCount += 1
            if printed.count > SimulatedSpooler.retained { printed.removeFirst(printed.count - SimulatedSpooler.retained) }
            retire(id)
        }

        mutating func retire(_ id: Int32) {
            finishedOrder.append(id)
            while finishedOrder.count > SimulatedSpooler.retained { jobs.removeValue(forKey: finishedOrder.removeFirst()) }
        }
    }

    private let state: Mutex<Queue>

    /// Job ids start from the clock, so a restarted kiosk never takes a job id the store still
    /// remembers from the previous run for one of its own.
    public init(name: String, firstJobId: Int32 = Int32.random(in: 1...999_999_999)) {
        destination = "\(name) (simulated)"
        state = Mutex(Queue(nextId: max(firstJobId, 1)))
    }

    /// The documents printed, oldest first (at most `retained`), and how many printed in all.
    public var printed: (documents: [[UInt8]], count: Int) {
        state.withLock { ($0.printed.map(\.document), $0.printedCount) }
    }

    public var paper: SimulatedPaper { state.withLock { $0.paper } }

    public func createJob(name: String) async throws(CUPSProbeError) -> Int32 {
        state.withLock { queue in
            let id = queue.nextId
            queue.nextId = id == Int32.max ? 1 : id + 1
            queue.jobs[id] = CUPSJobState(id: id, name: name, state: CUPSJobState.held, reasons: ["job-incoming"])
            return id
        }
    }

    public func sendDocument(jobId: Int32, document: [UInt8], name: String) async throws(CUPSProbeError) {
        let known = state.withLock { queue -> Bool in
            guard var job = queue.jobs[jobId], job.reasons.contains("job-incoming") else { return false }
            queue.documents[jobId] = document
            job.state = CUPSJobState.pending
            job.reasons = []
            queue.jobs[jobId] = job
            if queue.paperIn && !queue.stopped {
                queue.finish(jobId)
            } else {
                queue.stopped = true   // the printer found no paper: the queue stops, the job waits
            }
            return true
        }
        guard known else { throw .ipp(status: 0x406, message: "no job \(jobId) waiting for a document", server: destination) }
    }

    public func job(_ id: Int32) async throws(CUPSProbeError) -> CUPSJobState? {
        state.withLock { $0.jobs[id] }
    }

    public func unfinishedJobs(named name: String) async throws(CUPSProbeError) -> [CUPSJobState] {
        state.withLock { queue in queue.jobs.values.filter { $0.name == name && !$0.isFinished }.sorted { $0.id < $1.id } }
    }

    /// As CUPS: a job that already finished cannot be canceled (client-error-not-possible).
    public func cancel(_ id: Int32) async throws(CUPSProbeError) {
        let finished = state.withLock { queue -> Bool in
            guard var job = queue.jobs[id] else { return false }
            guard !job.isFinished else { return true }
            job.state = CUPSJobState.canceled
            job.reasons = ["job-canceled-by-user"]
            queue.jobs[id] = job
            queue.documents.removeValue(forKey: id)
            queue.retire(id)
            return false
        }
        if finished { throw .ipp(status: 0x0404, message: "job \(id) is already finished - can't cancel", server: destination) }
    }

    public func resume() async throws(CUPSProbeError) {
        state.withLock { queue in
            queue.stopped = false
            guard queue.paperIn else { return }
            let waiting = queue.jobs.values.filter { $0.state == CUPSJobState.pending }.map(\.id).sorted()
            for id in waiting { queue.finish(id) }
        }
    }

    /// Sets the sensor. Paper put back does not restart a stopped queue: a restock does.
    public func simulatePaper(_ paper: SimulatedPaper) async throws(PrintError) {
        state.withLock { $0.paper = paper }
    }

    public func queueStatus(of binding: DeviceBinding) async -> DeviceStatusReport {
        let (paper, stopped, busy) = state.withLock { queue in
            (queue.paper, queue.stopped, queue.jobs.values.contains { $0.state == CUPSJobState.pending })
        }
        let queueState = CUPSQueueState(state: stopped ? 5 : (busy ? 4 : 3), reasons: paper.cupsReasons, isAcceptingJobs: true,
                                        message: stopped ? "simulated printer stopped: \(paper.rawValue)" : nil)
        return CUPSStateMapping.report(for: binding, queue: queueState)
    }
}
