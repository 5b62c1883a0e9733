import CCups
import Foundation

/// One CUPS job as IPP reports it.
public struct CUPSJobState: Sendable, Hashable, Codable {
    public var id: Int32
    public var name: String?
    /// IPP job-state: 3 pending, 4 held, 5 processing, 6 stopped, 7 canceled, 8 aborted, 9 completed.
    public var state: Int
    public var reasons: [String]

    public init(id: Int32, name: String?, state: Int, reasons: [String]) {
        self.id = id
        self.name = name
        self.state = state
        self.reasons = reasons
    }

    public static let pending = 3, held = 4, processing = 5, stopped = 6, canceled = 7, aborted = 8, completed = 9

    public var isCompleted: Bool { state == Self.completed }
    /// Canceled or aborted: it will not print unless sent again.
    public var isFailed: Bool { state == Self.canceled || state == Self.aborted }
    public var isFinished: Bool { state >= Self.canceled }
}

/// Raw print jobs and queue administration through libcups, each call on its own bounded
/// connection (blocking: call through `BlockingPool`). Errors are `CUPSProbeError`s.
public enum CUPSJobs {
    public typealias Server = (host: String, port: Int32)

    /// Creates an empty raw job named `jobName` (IPP Create-Job; step one of two: nothing can print yet).
    public static func createJob(queue: String, server: Server, jobName: String,
                                 timeoutMilliseconds: Int32 = 5000) throws(CUPSProbeError) -> Int32 {
        let request = ippNewRequest(IPP_OP_CREATE_JOB)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, "ipp://localhost/printers/\(queue)")
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nil, cupsUser())
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", nil, jobName)
        let jobId = try perform(request, server: server, queue: queue, resource: "/printers/\(queue)",
                                timeoutMilliseconds: timeoutMilliseconds) { response -> Int32 in
            ippFindAttribute(response, "job-id", IPP_TAG_INTEGER).map { ippGetInteger($0, 0) } ?? 0
        }
        guard jobId > 0 else { throw .ipp(status: 0, message: "Create-Job answered without a job-id", server: CUPSProbe.display(server)) }
        return jobId
    }

    /// Sends the job's one document (IPP Send-Document, `application/vnd.cups-raw`, last-document);
    /// the job prints once this returns.
    public static func sendDocument(jobId: Int32, queue: String, server: Server, document: [UInt8], name: String,
                                    timeoutMilliseconds: Int32 = 5000) throws(CUPSProbeError) {
        let http = try connect(server, timeoutMilliseconds)
        defer { httpClose(http) }
        let request = ippNewRequest(IPP_OP_SEND_DOCUMENT)
        defer { ippDelete(request) }
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, "ipp://localhost/printers/\(queue)")
        ippAddInteger(request, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", jobId)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nil, cupsUser())
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "document-name", nil, name)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", nil, "application/vnd.cups-raw")
        ippAddBoolean(request, IPP_TAG_OPERATION, "last-document", 1)
        let resource = "/printers/\(queue)"
        // Chunked (CUPS_LENGTH_VARIABLE), as libcups' own document calls send it.
        guard cupsSendRequest(http, request, resource, 0) == HTTP_STATUS_CONTINUE else {
            throw lastError(queue: queue, server: server)
        }
        let written = document.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { cupsWriteRequestData(http, $0.baseAddress, buffer.count) }
        }
        guard written == HTTP_STATUS_CONTINUE else { throw lastError(queue: queue, server: server) }
        let response = cupsGetResponse(http, resource)
        defer { if response != nil { ippDelete(response) } }
        guard response != nil, cupsLastError().rawValue < IPP_STATUS_ERROR_BAD_REQUEST.rawValue else {
            throw lastError(queue: queue, server: server, responseMissing: response == nil)
        }
    }

    /// The job's state, or nil when the server no longer knows it.
    public static func job(_ id: Int32, server: Server) throws(CUPSProbeError) -> CUPSJobState? {
        let request = ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", nil, "ipp://localhost/jobs/\(id)")
        addRequestedAttributes(request, ["job-id", "job-name", "job-state", "job-state-reasons"])
        do {
            return try perform(request, server: server, queue: "job \(id)") { response in
                parseJobs(response).first
            }
        } catch {
            if case .queueNotFound = error { return nil }
            throw error
        }
    }

    /// Every job of the queue the server still remembers (`which-jobs=all`).
    public static func jobs(queue: String, server: Server) throws(CUPSProbeError) -> [CUPSJobState] {
        let request = ippNewRequest(IPP_OP_GET_JOBS)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, "ipp://localhost/printers/\(queue)")
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "which-jobs", nil, "all")
        addRequestedAttributes(request, ["job-id", "job-name", "job-state", "job-state-reasons"])
        return try perform(request, server: server, queue: queue) { parseJobs($0) }
    }

    /// After a restock or a cleared jam: forget stale reasons, accept jobs, resume the queue and
    /// release the jobs CUPS holds, so the pending slip prints (once).
    public static func resume(queue: String, server: Server) throws(CUPSProbeError) {
        let printerURI = "ipp://localhost/printers/\(queue)"

        let clear = ippNewRequest(IPP_OP_CUPS_ADD_MODIFY_PRINTER)
        ippAddString(clear, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, printerURI)
        ippAddString(clear, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "printer-state-reasons", nil, "none")
        try perform(clear, server: server, queue: queue, resource: "/admin/") { _ in () }

        for operation in [IPP_OP_CUPS_ACCEPT_JOBS, IPP_OP_RESUME_PRINTER] {
            let request = ippNewRequest(operation)
            ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, printerURI)
            try perform(request, server: server, queue: queue, resource: "/admin/") { _ in () }
        }
        for job in try jobs(queue: queue, server: server) where job.state == CUPSJobState.held {
            let release = ippNewRequest(IPP_OP_RELEASE_JOB)
            ippAddString(release, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", nil, "ipp://localhost/jobs/\(job.id)")
            try perform(release, server: server, queue: queue, resource: "/jobs/") { _ in () }
        }
    }

    /// The queue's device URI (`usb://…`, `socket://…`, the demo's `kiosk-capture:/dir`).
    public static func deviceURI(queue: String, server: Server) throws(CUPSProbeError) -> String? {
        let request = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, "ipp://localhost/printers/\(queue)")
        addRequestedAttributes(request, ["device-uri"])
        return try perform(request, server: server, queue: queue) { response in
            guard let attribute = ippFindAttribute(response, "device-uri", IPP_TAG_URI),
                  let value = ippGetString(attribute, 0, nil) else { return nil }
            return String(cString: value)
        }
    }

    /// Replaces the queue's printer-state-reasons (an empty list clears them), as a printer's
    /// sensors would: the demo's simulated paper uses it.
    public static func setStateReasons(_ reasons: [String], queue: String, server: Server) throws(CUPSProbeError) {
        let request = ippNewRequest(IPP_OP_CUPS_ADD_MODIFY_PRINTER)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nil, "ipp://localhost/printers/\(queue)")
        addKeywords(request, IPP_TAG_PRINTER, "printer-state-reasons", reasons.isEmpty ? ["none"] : reasons)
        try perform(request, server: server, queue: queue, resource: "/admin/") { _ in () }
    }

    /// Cancels a job that has not printed (e.g. an orphan left by a crash mid-submission).
    public static func cancel(_ id: Int32, server: Server) throws(CUPSProbeError) {
        let request = ippNewRequest(IPP_OP_CANCEL_JOB)
        ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", nil, "ipp://localhost/jobs/\(id)")
        try perform(request, server: server, queue: "job \(id)", resource: "/jobs/") { _ in () }
    }

    // MARK: - libcups plumbing

    static func connect(_ server: Server, _ timeoutMilliseconds: Int32) throws(CUPSProbeError) -> OpaquePointer {
        guard let http = httpConnect2(server.host, server.port, nil, AF_UNSPEC, HTTP_ENCRYPTION_IF_REQUESTED,
                                      1, timeoutMilliseconds, nil) else {
            throw .serverUnreachable(server: CUPSProbe.display(server))
        }
        httpSetTimeout(http, Double(timeoutMilliseconds) / 1000, nil, nil)
        return http
    }

    /// Sends `request` (consumed) on its own bounded connection and hands the response to `body`;
    /// maps IPP errors. Every IPP call of the kiosk goes through here.
    static func perform<R>(_ request: OpaquePointer?, server: Server, queue: String, resource: String = "/",
                                   timeoutMilliseconds: Int32 = 3000, _ body: (OpaquePointer) -> R) throws(CUPSProbeError) -> R {
        let http: OpaquePointer
        do { http = try connect(server, timeoutMilliseconds) } catch {
            ippDelete(request)
            throw error
        }
        defer { httpClose(http) }
        let response = cupsDoRequest(http, request, resource)
        defer { if response != nil { ippDelete(response) } }
        guard let response, cupsLastError().rawValue < IPP_STATUS_ERROR_BAD_REQUEST.rawValue else {
            throw lastError(queue: queue, server: server, responseMissing: response == nil)
        }
        return body(response)
    }

    /// libcups' last error as a `CUPSProbeError`; no answer at all (connection lost) is "unreachable".
    private static func lastError(queue: String, server: Server, responseMissing: Bool = false) -> CUPSProbeError {
        let status = cupsLastError()
        let where_ = CUPSProbe.display(server)
        if status == IPP_STATUS_ERROR_NOT_FOUND { return .queueNotFound(queue: queue, server: where_) }
        let message = cupsLastErrorString().map { String(cString: $0) } ?? "no message"
        if status == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE || (status == IPP_STATUS_ERROR_INTERNAL && responseMissing) {
            return .serverUnreachable(server: where_)
        }
        return .ipp(status: Int(status.rawValue), message: message, server: where_)
    }

    static func addRequestedAttributes(_ request: OpaquePointer?, _ names: [String]) {
        addKeywords(request, IPP_TAG_OPERATION, "requested-attributes", names)
    }

    /// Adds a multi-valued keyword attribute (libcups copies the strings).
    static func addKeywords(_ request: OpaquePointer?, _ group: ipp_tag_t, _ name: String, _ values: [String]) {
        let duplicates = values.map { strdup($0) }
        defer { duplicates.forEach { free($0) } }
        let pointers = duplicates.map { UnsafePointer($0) }
        _ = ippAddStrings(request, group, IPP_TAG_KEYWORD, name, Int32(pointers.count), nil, pointers)
    }

    /// Reads the job groups of a response into values.
    private static func parseJobs(_ response: OpaquePointer) -> [CUPSJobState] {
        var jobs: [CUPSJobState] = []
        var current: CUPSJobState?
        var attribute = ippFirstAttribute(response)
        while let a = attribute {
            if ippGetGroupTag(a) != IPP_TAG_JOB {
                if let job = current, job.id > 0 { jobs.append(job) }
                current = nil
            } else if let namePointer = ippGetName(a) {
                if current == nil { current = CUPSJobState(id: 0, name: nil, state: 0, reasons: []) }
                switch String(cString: namePointer) {
                case "job-id": current?.id = ippGetInteger(a, 0)
                case "job-name": current?.name = ippGetString(a, 0, nil).map { String(cString: $0) }
                case "job-state": current?.state = Int(ippGetInteger(a, 0))
                case "job-state-reasons":
                    current?.reasons = (0..<ippGetCount(a)).compactMap { ippGetString(a, $0, nil).map { String(cString: $0) } }
                        .filter { $0 != "none" }
                default: break
                }
            }
            attribute = ippNextAttribute(response)
        }
        if let job = current, job.id > 0 { jobs.append(job) }
        return jobs
    }
}
