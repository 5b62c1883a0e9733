import DeviceKit
import Foundation
import Workflow
import KioskConfig
import Logging
import Slips
import Store

/// Why a slip could not be turned into a print job (the printer's own troubles are not errors:
/// they give a `held` or `waitingForPaper` job).
public enum PrintError: Error, Sendable, CustomStringConvertible {
    case render(SlipRenderError)
    case store(String)
    case unknownJob(Int64)
    /// A reprint of a job that printed, or of one still in CUPS.
    case refused(String)
    /// CUPS could not be reached or refused an administrative request.
    case cups(CUPSProbeError)

    public var description: String {
        switch self {
        case let .render(error): "cannot render the slip: \(error)"
        case let .store(message): "cannot record the print job: \(message)"
        case let .unknownJob(id): "no print job \(id)"
        case let .refused(message): message
        case let .cups(error): error.description
        }
    }
}

/// What became of a slip handed to a printer: its job and what the citizen's screen should say.
public struct PrintOutcome: Sendable, Hashable, Codable {
    public var jobId: Int64
    public var printerId: String
    public var state: PrintJobState
    /// English, for logs and staff.
    public var reason: String?
    /// Chinese, for the citizen's screen, when the slip did not come out (`请到窗口领取`).
    public var citizenMessage: String?

    public init(_ job: PrintJob) {
        jobId = job.id
        printerId = job.printerId
        state = job.state
        reason = job.reason
        switch job.state {
        case .held, .waitingForPaper, .failed:
            citizenMessage = "打印机暂时无法出单，凭条已保存，请到服务窗口领取（凭条编号 \(job.id)）"
        default:
            citizenMessage = nil
        }
    }
}

/// The states of a simulated paper sensor (the demo's capture printers and simulated printers).
public enum SimulatedPaper: String, Sendable, CaseIterable, Codable {
    case ok, low, out, jam

    /// The printer-state-reasons a printer with this sensor reading reports.
    var cupsReasons: [String] {
        switch self {
        case .ok: []
        case .low: ["media-low-report"]
        case .out: ["media-empty-error"]
        case .jam: ["media-jam-error"]
        }
    }

    /// The paper state a simulated device takes.
    public var paperState: PaperState {
        switch self {
        case .ok: .full
        case .low: .low
        case .out: .out
        case .jam: .jammed
        }
    }
}

/// What a restock did.
public struct RestockReport: Sendable, Hashable, Codable {
    public var printerId: String
    public var counters: PrinterCounters
    /// Jobs CUPS had stopped for paper, now printing.
    public var resumed: [Int64]
    /// Held or failed jobs sent again (their one automatic reprint).
    public var reprinted: [Int64]
    /// Held or failed jobs left for an explicit reprint (too old, or already reprinted once).
    public var left: [Int64]
}

/// A receipt or ticket printer behind a CUPS queue (or its simulated twin), printing slips as
/// persisted jobs: each slip is recorded before it is sent, sent once, followed by IPP until
/// `job-state == 9`, and never sent twice — not after a crash, a restart, a paper-out or a restock.
/// Its status joins the spooler's view of the queue with the profile's sensors and the roll counters.
public actor SlipPrinter: ResettableDevice {
    public nonisolated let binding: DeviceBinding
    public nonisolated let profile: PrinterProfile
    public nonisolated let profileName: String
    /// Where the jobs go: a CUPS queue, or the in-process simulator of a `driver: simulated` binding.
    public nonisolated let spooler: any PrintSpooler
    let store: KioskStore
    /// The time jobs, restocks and reprint windows go by.
    let clock: any KioskClock
    let kioskId: String
    let logger: Logger
    private var encoder: EscPosEncoder?

    /// Held and failed jobs older than this are not reprinted automatically after a restock.
    public static let automaticReprintWindow: TimeInterval = 12 * 3600

    /// `spooler` defaults to the binding's CUPS queue, or a simulated printer for `driver: simulated`.
    public init(binding: DeviceBinding, profilesDirectory: String, store: KioskStore, kioskId: String, logger: Logger,
                spooler: (any PrintSpooler)? = nil, clock: any KioskClock = SystemClock()) throws(ConfigError) {
        self.clock = clock
        self.binding = binding
        profileName = binding.profile ?? PrinterProfile.defaultName(for: binding.kind)
        profile = try PrinterProfile.load(name: profileName, profilesDirectory: profilesDirectory)
        self.spooler = spooler ?? (binding.driver == .simulated ? SimulatedSpooler(name: binding.id) : CUPSSpooler(binding: binding))
        self.store = store
        self.kioskId = kioskId
        var logger = logger
        logger[metadataKey: "printer"] = "\(binding.id)"
        self.logger = logger
    }

    // MARK: - Printing

    /// Lays out and encodes `document`, records it as a job and sends it — unless the printer cannot
    /// print now (out of paper, jammed, offline), in which case the job is `held` for reprint and the
    /// outcome says so. Waits up to `waitUpTo` for the job to complete.
    public func print(_ document: SlipDocument, reference: String? = nil, waitUpTo: Duration = .zero) async throws(PrintError) -> PrintOutcome {
        let layout = SlipLayout(document, profile: profile)
        let bytes = try encode(layout)
        let cuts = document.elements.filter { $0 == .cut }.count
        let status = await queueStatus()
        let blocked = !status.isHealthy && status.status != .busy
        let job: PrintJob
        do {
            job = try await store.addPrintJob(printerId: binding.id, template: document.kind, reference: reference, document: bytes,
                                        paperMillimetres: layout.paperLengthMillimetres, cuts: cuts,
                                        state: blocked ? .held : .queued,
                                        reason: blocked ? (status.detail ?? status.status.rawValue) : nil, now: clock.now())
        } catch {
            throw .store("\(error)")
        }
        if blocked {
            logger.warning("slip held: printer cannot print", metadata: ["job": "\(job.id)", "template": "\(document.kind)",
                                                                          "reason": "\(status.detail ?? status.status.rawValue)"])
            await countFailure(failureKey(status))
            return PrintOutcome(job)
        }
        var current = await send(job, from: [.queued])
        if waitUpTo > .zero, current.state.isActive {
            current = await waitForCompletion(of: current.id, upTo: waitUpTo) ?? current
        }
        return PrintOutcome(current)
    }

    /// Sends a queued, held or failed job to CUPS in two steps (create, then the document), recording
    /// the CUPS job id in between so recovery always knows whether CUPS has it.
    private func send(_ job: PrintJob, from: [PrintJobState], automaticReprint: Bool = false) async -> PrintJob {
        guard let claimed = await transition(job.id, from: from, to: .submitting, countAttempt: true, useAutomaticReprint: automaticReprint) else {
            return (try? await store.printJob(id: job.id)) ?? job  // another process sent it
        }
        let name = claimed.cupsJobName(kioskId: kioskId)
        let cupsJobId: Int32
        do {
            cupsJobId = try await spooler.createJob(name: name)
        } catch {
            logger.error("print job not accepted by CUPS", metadata: ["job": "\(job.id)", "error": "\(error)"])
            await countFailure(error.failureKey)
            return await transition(job.id, from: [.submitting], to: .failed, reason: error.description) ?? claimed
        }
        _ = await transition(job.id, from: [.submitting], to: .submitting, cupsJobId: cupsJobId)
        let document = claimed.document
        do {
            try await spooler.sendDocument(jobId: cupsJobId, document: document, name: name)
        } catch {
            // The document may or may not have arrived whole (a lost answer is not a lost job): let
            // recovery ask CUPS, which cancels and resends only a job still waiting for its document.
            logger.error("print job document not confirmed", metadata: ["job": "\(job.id)", "cupsJob": "\(cupsJobId)", "error": "\(error)"])
            await countFailure(error.failureKey)
            guard let pending = try? await store.printJob(id: job.id) else { return claimed }
            return await recoverSubmitting(pending, resendIfMissing: false)
        }
        logger.info("slip sent", metadata: ["job": "\(job.id)", "cupsJob": "\(cupsJobId)", "template": "\(job.template)"])
        return await transition(job.id, from: [.submitting], to: .printing) ?? claimed
    }

    /// Follows the job until it leaves CUPS' hands, stops for paper, or the time is up.
    public func waitForCompletion(of id: Int64, upTo limit: Duration) async -> PrintJob? {
        let deadline = ContinuousClock.now + limit
        var last: PrintJob?
        while let job = try? await store.printJob(id: id) {
            let followed = job.state.isActive ? await follow(job) : job
            last = followed
            if !followed.state.isActive || followed.state == .waitingForPaper || ContinuousClock.now >= deadline { break }
            // A slip takes tens of milliseconds: ask often at first, then every 25 ms.
            try? await Task.sleep(for: .milliseconds(ContinuousClock.now < deadline - limit + .milliseconds(300) ? 4 : 25))
        }
        return last
    }

    // MARK: - Following jobs

    /// One round over this printer's active jobs (the service calls this a few times a second).
    public func followActiveJobs() async {
        guard let jobs = try? await store.printJobs(printerId: binding.id, states: [.printing, .waitingForPaper, .submitting], limit: 200) else { return }
        for job in jobs.reversed() { _ = await follow(job) }
    }

    /// Asks CUPS about one active job and records what it says.
    private func follow(_ job: PrintJob) async -> PrintJob {
        if job.state == .submitting { return await recoverSubmitting(job) }
        guard let cupsJobId = job.cupsJobId else { return job }
        let state: CUPSJobState?
        do {
            state = try await spooler.job(cupsJobId)
        } catch {
            return job  // CUPS unreachable: the job is where it was; try again next round
        }
        guard let state else {
            await countFailure("lost")
            return await transition(job.id, from: [.printing, .waitingForPaper], to: .failed,
                              reason: "CUPS no longer knows job \(cupsJobId) (cupsd restarted without its spool?)") ?? job
        }
        if state.isCompleted {
            logger.info("slip printed", metadata: ["job": "\(job.id)", "cupsJob": "\(cupsJobId)"])
            return await transition(job.id, from: [.printing, .waitingForPaper], to: .completed) ?? job
        }
        if state.isFailed {
            let reason = "CUPS job \(cupsJobId) \(state.state == CUPSJobState.canceled ? "canceled" : "aborted")"
                + (state.reasons.isEmpty ? "" : " (\(state.reasons.joined(separator: ", ")))")
            await countFailure(state.state == CUPSJobState.canceled ? "canceled" : "aborted")
            return await transition(job.id, from: [.printing, .waitingForPaper], to: .failed, reason: reason) ?? job
        }
        // Pending or processing: is the queue stopped for paper, a jam, a cover?
        let report = await queueStatus()
        if !report.isHealthy && report.status != .busy {
            if job.state == .printing {
                logger.warning("slip waiting: printer stopped", metadata: ["job": "\(job.id)", "reason": "\(report.detail ?? "")"])
                await countFailure(failureKey(report))
            }
            return await transition(job.id, from: [.printing, .waitingForPaper], to: .waitingForPaper, reason: report.detail) ?? job
        }
        if job.state == .waitingForPaper {
            return await transition(job.id, from: [.waitingForPaper], to: .printing, reason: .some(nil)) ?? job
        }
        return job
    }

    /// A job left `submitting` by a crash or a failed step. The CUPS job id is recorded between
    /// Create-Job and Send-Document, so: without an id, CUPS never had the document and the job is
    /// sent afresh; with one, CUPS is asked — a job with its document is followed, never sent again;
    /// one still waiting for its document cannot have printed and is canceled, then sent afresh.
    private func recoverSubmitting(_ job: PrintJob, resendIfMissing: Bool = true) async -> PrintJob {
        guard let cupsJobId = job.cupsJobId else {
            // Best effort: cancel an orphan Create-Job of ours if CUPS shows its name (it has no document).
            if let orphans = try? await spooler.unfinishedJobs(named: job.cupsJobName(kioskId: kioskId)) {
                for orphan in orphans { try? await spooler.cancel(orphan.id) }
            }
            logger.notice("recovered job never reached CUPS: sending it", metadata: ["job": "\(job.id)"])
            guard let queued = await transition(job.id, from: [.submitting], to: .queued) else { return job }
            return await send(queued, from: [.queued])
        }
        let found: CUPSJobState?
        do {
            found = try await spooler.job(cupsJobId)
        } catch {
            return job  // cannot know yet: never guess, ask again next round
        }
        let waitingForDocument = found.map { $0.reasons.contains("job-incoming") } ?? false
        guard let found, !found.isFailed, !waitingForDocument else {
            if found != nil, waitingForDocument {
                // `job-incoming` says only that CUPS has not yet *processed* a document: one sent
                // just before a kill, or whose answer timed out, can still be in cupsd's socket and
                // print a moment later. Only a cancel CUPS accepted settles it. A refused cancel
                // (the document arrived and the job ran or completed) or an unreachable CUPS leaves
                // the job `submitting`, asked about again next round — never sent a second time.
                do {
                    try await spooler.cancel(cupsJobId)
                } catch {
                    logger.notice("job waiting for its document could not be canceled: asking CUPS again next round",
                                  metadata: ["job": "\(job.id)", "cupsJob": "\(cupsJobId)", "error": "\(error)"])
                    return job
                }
                // The cancel was accepted; the job must now be finished without printing.
                guard let after = try? await spooler.job(cupsJobId), after.isFailed else { return job }
            }
            guard resendIfMissing else {
                return await transition(job.id, from: [.submitting], to: .failed, cupsJobId: .some(nil),
                                  reason: "CUPS did not take the job's document") ?? job
            }
            logger.notice("recovered job has no document in CUPS: sending it afresh", metadata: ["job": "\(job.id)"])
            guard let queued = await transition(job.id, from: [.submitting], to: .queued, cupsJobId: .some(nil)) else { return job }
            return await send(queued, from: [.queued])
        }
        logger.notice("recovered job is in CUPS: following it, not sending again", metadata: ["job": "\(job.id)", "cupsJob": "\(found.id)"])
        guard let adopted = await transition(job.id, from: [.submitting], to: .printing) else { return job }
        return await follow(adopted)
    }

    // MARK: - Staff operations

    /// After a new roll or a cleared jam: clear CUPS' stale reasons, resume the queue, release held
    /// jobs (the waiting slip prints, once), start the roll counters again, and send each held or
    /// failed slip of the last hours once.
    public func restock(now: Date? = nil) async throws(PrintError) -> RestockReport {
        let now = now ?? clock.now()
        do {
            try await spooler.resume()
        } catch {
            throw .cups(error)
        }
        let counters: PrinterCounters
        let waiting: [PrintJob]
        let candidates: [PrintJob]
        do {
            counters = try await store.recordRestock(printerId: binding.id, now: now)
            waiting = try await store.printJobs(printerId: binding.id, states: [.waitingForPaper], limit: 500)
            candidates = try await store.printJobs(printerId: binding.id, states: [.held, .failed], limit: 500)
        } catch {
            throw .store("\(error)")
        }
        logger.notice("printer restocked", metadata: ["waiting": "\(waiting.count)", "held": "\(candidates.count)"])
        var reprinted: [Int64] = []
        var left: [Int64] = []
        for job in candidates.reversed() {
            guard !job.automaticReprintUsed, now.timeIntervalSince(job.createdAt) <= Self.automaticReprintWindow else {
                left.append(job.id)
                continue
            }
            _ = await send(job, from: [.held, .failed], automaticReprint: true)
            reprinted.append(job.id)
        }
        for job in waiting { _ = await follow(job) }
        return RestockReport(printerId: binding.id, counters: counters, resumed: waiting.map(\.id).reversed(),
                             reprinted: reprinted, left: left)
    }

    /// Staff reset: CUPS' stale reasons cleared and the queue resumed (without counting a new
    /// roll, unlike `restock`), then the printer's status.
    public func reset() async throws -> DeviceStatusReport {
        do {
            try await spooler.resume()
        } catch {
            throw PrintError.cups(error)
        }
        logger.notice("printer reset: queue resumed")
        return await checkStatus()
    }

    /// The printer's simulated paper sensor — a `driver: simulated` printer's, or the demo's capture
    /// queue's (`kiosk-capture:` device URI, asked of CUPS) — or nil for a real printer, whose paper
    /// only a person can change.
    public func paperSensor() async throws(PrintError) -> PaperSensor? {
        let simulating: (any PaperSimulating)?
        if let sensor = spooler as? any PaperSimulating {
            simulating = sensor
        } else if let cups = spooler as? CUPSSpooler {
            simulating = try await cups.captureQueue()
        } else {
            simulating = nil
        }
        return simulating.map { PaperSensor(sensor: $0, logger: logger) }
    }

    /// A simulated printer's paper sensor, as `paperSensor()` finds it; each setting is logged.
    public struct PaperSensor: PaperSimulating {
        let sensor: any PaperSimulating
        let logger: Logger

        public func simulatePaper(_ state: SimulatedPaper) async throws(PrintError) {
            try await sensor.simulatePaper(state)
            logger.notice("simulated paper set", metadata: ["paper": "\(state.rawValue)"])
        }
    }

    /// Sends a held or failed job again on staff's request. A job that printed is only printed again
    /// as a new job marked 补打 when `duplicate` is set; a job still in CUPS is never sent twice.
    public func reprint(jobId: Int64, duplicate: Bool = false) async throws(PrintError) -> PrintOutcome {
        let found: PrintJob?
        do { found = try await store.printJob(id: jobId) } catch { throw .store("\(error)") }
        guard let job = found, job.printerId == binding.id else { throw .unknownJob(jobId) }
        switch job.state {
        case .completed:
            guard duplicate else {
                throw .refused("job \(jobId) already printed\(job.completedAt.map { " at \($0)" } ?? ""); to print a copy marked 补打 use --duplicate")
            }
            let mark = SlipDocument(kind: "reprint-mark", elements: [.line("【补打】凭条 \(jobId) 的副本", TextStyle(bold: true))])
            let marked = try encode(SlipLayout(mark, profile: profile)) + job.document
            let copy: PrintJob
            do {
                copy = try await store.addPrintJob(printerId: binding.id, template: job.template, reference: job.reference, document: marked,
                                             paperMillimetres: job.paperMillimetres + 4, cuts: job.cuts, state: .queued, reprintOf: job.id, now: clock.now())
            } catch {
                throw .store("\(error)")
            }
            return PrintOutcome(await send(copy, from: [.queued]))
        case .held, .failed, .queued:
            return PrintOutcome(await send(job, from: [.held, .failed, .queued]))
        case .submitting, .printing, .waitingForPaper:
            throw .refused("job \(jobId) is still in CUPS (\(job.state.rawValue)); it prints by itself when the printer is ready — restock or clear the printer instead")
        }
    }

    // MARK: - Status

    /// CUPS' view of the queue joined with the profile's sensors and the roll estimate, and how many
    /// slips are kept for reprint.
    public func checkStatus() async -> DeviceStatusReport {
        var report = await queueStatus()
        if let held = try? await store.printJobs(printerId: binding.id, states: [.held, .failed, .waitingForPaper], limit: 100), !held.isEmpty {
            let note = "\(held.count) slip(s) kept for reprint"
            report.detail = report.detail.map { "\($0); \(note)" } ?? note
        }
        return report
    }

    /// The spooler's view of the queue joined with the profile's sensors and the roll estimate.
    func queueStatus() async -> DeviceStatusReport {
        var report = await spooler.queueStatus(of: binding)
        guard report.status != .noDevice else { return report }
        let counters = try? await store.printerCounters(printerId: binding.id)
        if report.paper == .unknown {
            if profile.paper.sensors == .none && report.status.isServing {
                report.paper = .notSupported
            } else if let counters, counters.rollStartedAt != nil || counters.totalSlips > 0 {
                let remaining = Double(profile.paper.rollLengthMillimetres) - (counters.rollStartedAt == nil ? 0 : counters.rollPaperMillimetres)
                if counters.rollStartedAt != nil, remaining <= Double(profile.paper.lowWarningMillimetres) {
                    report.paper = .low
                    report.detail = "paper low (estimated \(Int(max(remaining, 0) / 1000)) m left on the roll): prepare a new roll"
                } else {
                    report.paper = .full
                }
            }
        }
        return report
    }

    public func counters() async throws(PrintError) -> PrinterCounters {
        do { return try await store.printerCounters(printerId: binding.id) } catch { throw .store("\(error)") }
    }

    // MARK: - Helpers

    /// ESC/POS bytes of a layout, through this printer's one encoder (opened on first use).
    private func encode(_ layout: SlipLayout) throws(PrintError) -> [UInt8] {
        do {
            if encoder == nil { encoder = try EscPosEncoder() }
            return try encoder!.encode(layout)
        } catch {
            throw .render(error)
        }
    }

    private func transition(_ id: Int64, from: [PrintJobState], to: PrintJobState, cupsJobId: Int32?? = nil, reason: String?? = nil,
                            countAttempt: Bool = false, useAutomaticReprint: Bool = false) async -> PrintJob? {
        do {
            return try await store.transitionPrintJob(id, from: from, to: to, cupsJobId: cupsJobId, reason: reason,
                                                countAttempt: countAttempt, useAutomaticReprint: useAutomaticReprint, now: clock.now())
        } catch {
            logger.error("cannot record print job state", metadata: ["job": "\(id)", "to": "\(to.rawValue)", "error": "\(error)"])
            return nil
        }
    }

    private func countFailure(_ key: String) async {
        do { try await store.countPrinterFailure(printerId: binding.id, reason: key) } catch {
            logger.error("cannot count printer failure", metadata: ["error": "\(error)"])
        }
    }

    private func failureKey(_ report: DeviceStatusReport) -> String {
        switch report.paper {
        case .out: "paper-out"
        case .jammed: "paper-jam"
        default: report.status == .offline ? "offline" : report.status.rawValue
        }
    }
}

extension Optional where Wrapped == SlipPrinter.PaperSensor {
    /// The sensor, or `.refused` for a real printer (the simulator route's 404).
    public func orRefused(_ printerId: String) throws(PrintError) -> SlipPrinter.PaperSensor {
        guard let self else { throw .refused("printer \(printerId) is a real printer; its paper cannot be simulated") }
        return self
    }
}

extension CUPSProbeError {
    var failureKey: String {
        switch self {
        case .serverUnreachable: "cups-unreachable"
        case .queueNotFound: "queue-not-found"
        case .interrupted: "interrupted"
        case .ipp: "ipp-error"
        }
    }
}
