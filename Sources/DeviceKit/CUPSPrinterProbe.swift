import BlockingWork
import CCups
import Foundation
import KioskConfig

/// What CUPS says about one queue (IPP Get-Printer-Attributes), copied out of libcups' structures.
public struct CUPSQueueState: Sendable, Hashable, Codable {
    /// IPP printer-state: 3 idle, 4 processing, 5 stopped.
    public var state: Int
    public var reasons: [String]
    public var isAcceptingJobs: Bool
    public var message: String?

    public init(state: Int, reasons: [String], isAcceptingJobs: Bool, message: String?) {
        self.state = state
        self.reasons = reasons
        self.isAcceptingJobs = isAcceptingJobs
        self.message = message
    }
}

/// Why a CUPS queue could not be queried.
public enum CUPSProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No cupsd answers at the address.
    case serverUnreachable(server: String)
    /// The server has no queue by that name.
    case queueNotFound(queue: String, server: String)
    /// Any other IPP failure, with libcups' message.
    case ipp(status: Int, message: String, server: String)
    /// The call never gave an answer of its own: cancelled before it started, or past its timeout
    /// on the blocking pool.
    case interrupted(BlockingWorkError)

    public var description: String {
        switch self {
        case let .serverUnreachable(server):
            "CUPS server \(server) is not reachable (is cupsd running? check CUPS_SERVER or the binding's 'server:')"
        case let .queueNotFound(queue, server):
            "CUPS server \(server) has no queue '\(queue)' (create it with lpadmin or fix 'queue:' in kiosk.yaml)"
        case let .ipp(status, message, server):
            "CUPS server \(server) answered IPP status 0x\(String(status, radix: 16)): \(message)"
        case let .interrupted(reason):
            "CUPS was not asked: \(reason)"
        }
    }
}

/// Queries CUPS queues through libcups. Each call opens its own connection (libcups keeps
/// per-thread state), bounded by a timeout, and closes it before returning.
public enum CUPSProbe {
    /// The server the binding names, else `CUPS_SERVER`, else the system default (libcups' rules).
    public static func server(for binding: DeviceBinding) -> (host: String, port: Int32) {
        if let text = binding.server, let hostPort = HostPort(text) {
            return (hostPort.host, Int32(hostPort.port))
        }
        return (String(cString: cupsServer()), ippPort())
    }

    public static func display(_ server: (host: String, port: Int32)) -> String {
        server.host.hasPrefix("/") ? server.host : "\(server.host):\(server.port)"
    }

    /// Blocking: call through `BlockingPool`.
    public static func queryQueue(_ queue: String, server: (host: String, port: Int32),
                                  timeoutMilliseconds: Int32 = 2000) throws(CUPSProbeError) -> CUPSQueueState {
        let request = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, "ipp://localhost/printers/\(queue)")
        CUPSJobs.addRequestedAttributes(request, ["printer-state", "printer-state-reasons", "printer-is-accepting-jobs",
                                                  "printer-state-message"])
        return try CUPSJobs.perform(request, server: server, queue: queue, timeoutMilliseconds: timeoutMilliseconds) { response in
            var state = 0
            if let attribute = ippFindAttribute(response, "printer-state", IPP_TAG_ENUM) {
                state = Int(ippGetInteger(attribute, 0))
            }
            var reasons: [String] = []
            if let attribute = ippFindAttribute(response, "printer-state-reasons", IPP_TAG_KEYWORD) {
                for i in 0..<ippGetCount(attribute) {
                    if let value = ippGetString(attribute, i, nil) { reasons.append(String(cString: value)) }
                }
            }
            var accepting = true
            if let attribute = ippFindAttribute(response, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN) {
                accepting = ippGetBoolean(attribute, 0) != 0
            }
            var message: String?
            if let attribute = ippFindAttribute(response, "printer-state-message", IPP_TAG_TEXT),
               let value = ippGetString(attribute, 0, nil) {
                let text = String(cString: value)
                message = text.isEmpty ? nil : text
            }
            return CUPSQueueState(state: state, reasons: reasons.filter { $0 != "none" }, isAcceptingJobs: accepting, message: message)
        }
    }
}

/// Turns a queue's IPP state and reasons into the kiosk's device and paper states.
public enum CUPSStateMapping {
    public static func report(for binding: DeviceBinding, queue state: CUPSQueueState) -> DeviceStatusReport {
        func has(_ prefix: String) -> Bool { state.reasons.contains { $0.hasPrefix(prefix) } }
        var paper: PaperState = .unknown
        if has("media-low") { paper = .low }
        if has("media-empty") || has("media-needed") { paper = .out }
        if has("media-jam") { paper = .jammed }

        let reasonText = state.reasons.isEmpty ? "" : " (\(state.reasons.joined(separator: ", ")))"
        if paper == .out {
            return DeviceStatusReport(binding: binding, status: .userError, paper: paper,
                                      detail: "out of paper\(reasonText): restock the roll, then `kioskctl printer restock \(binding.id)`",
                                      action: .clear)
        }
        if paper == .jammed {
            return DeviceStatusReport(binding: binding, status: .userError, paper: paper,
                                      detail: "paper jam\(reasonText): open the printer and clear it", action: .clear)
        }
        if has("cover-open") || has("door-open") {
            return DeviceStatusReport(binding: binding, status: .userError, paper: paper,
                                      detail: "cover open\(reasonText): close it", action: .clear)
        }
        if has("offline") || has("connecting-to-device") {
            return DeviceStatusReport(binding: binding, status: .offline, paper: paper,
                                      detail: "printer offline\(reasonText): check its cable and power", action: .maintenance)
        }
        if state.state == 5 || has("paused") {
            return DeviceStatusReport(binding: binding, status: .offline, paper: paper,
                                      detail: "queue stopped\(reasonText)\(state.message.map { ": \($0)" } ?? ""); resume it after fixing the cause",
                                      action: .reset)
        }
        if !state.isAcceptingJobs {
            return DeviceStatusReport(binding: binding, status: .offline, paper: paper,
                                      detail: "queue is rejecting jobs: enable it (cupsaccept)", action: .reset)
        }
        return DeviceStatusReport(binding: binding, status: state.state == 4 ? .busy : .online, paper: paper,
                                  detail: paper == .low ? "paper low: prepare a new roll" : nil)
    }
}

/// A receipt or ticket printer behind a CUPS queue. This issue's part: its status through IPP.
public struct CUPSPrinter: KioskDevice {
    public let binding: DeviceBinding

    public init(binding: DeviceBinding) { self.binding = binding }

    public func checkStatus() async -> DeviceStatusReport {
        let binding = self.binding
        let queue = binding.queue ?? binding.id
        let server = CUPSProbe.server(for: binding)
        do {
            let state = try await BlockingPool.shared.run({ () throws(CUPSProbeError) -> CUPSQueueState in
                try CUPSProbe.queryQueue(queue, server: server)
            }, interrupted: CUPSProbeError.interrupted)
            return CUPSStateMapping.report(for: binding, queue: state)
        } catch let error {
            switch error {
            case .queueNotFound:
                return DeviceStatusReport(binding: binding, status: .noDevice, paper: .unknown,
                                          detail: error.description, action: .configuration)
            case .serverUnreachable, .ipp, .interrupted:
                return DeviceStatusReport(binding: binding, status: .offline, paper: .unknown,
                                          detail: error.description, action: .configuration)
            }
        }
    }
}
