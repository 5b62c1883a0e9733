import Foundation
import Store
import Upstream

/// `kioskctl doctor --bundle FILE.tar.gz`: what a remote technician needs, and nothing personal —
/// the doctor's report, kioskd's logs (the journal, or `--log` files) with anything shaped like an
/// ID number masked, the store's counters (outbox, device history, print jobs; no filing, applicant
/// or page), and the configuration with every secret-looking value removed.
enum SupportBundle {
    static func write(to path: String, report: DoctorReport, doctor: Doctor, logFiles: [String]) async throws {
        let fm = FileManager.default
        let work = fm.temporaryDirectory.appendingPathComponent("onewindow-bundle-\(UUID().uuidString.prefix(8))").path
        let root = work + "/onewindow-support"
        defer { try? fm.removeItem(atPath: work) }
        try fm.createDirectory(atPath: root + "/config", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)

        try encode(report).write(to: URL(fileURLWithPath: root + "/doctor.json"))
        try Data(report.text.utf8).write(to: URL(fileURLWithPath: root + "/doctor.txt"))

        // Configuration, secrets removed.
        if let files = fm.enumerator(atPath: doctor.configDirectory) {
            for case let relative as String in files where relative.hasSuffix(".yaml") {
                guard let text = try? String(contentsOfFile: doctor.configDirectory + "/" + relative, encoding: .utf8) else { continue }
                let target = root + "/config/" + relative
                try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(withoutSecrets(text).utf8).write(to: URL(fileURLWithPath: target))
            }
        }

        // Counters from the store (no personal data: states, counts, device history).
        if let store = doctor.store {
            struct Counters: Encodable {
                var outbox: OutboxReport?
                var deviceHistory: [History]
                var printJobs: Int?
                var storeBytes: Int64
                var lastHeartbeat: Date?
            }
            struct History: Encodable { var device, status: String; var paper, detail: String?; var at: Date }
            let outbox = try? await OutboxLedger(store: store).report(now: doctor.now, rowLimit: 20)
            let history = ((try? await store.deviceStatusHistory(limit: 200)) ?? []).map {
                History(device: $0.deviceID, status: $0.status, paper: $0.paper, detail: $0.detail.map(masked), at: $0.changedAt)
            }
            let printJobs = try? await store.read { try $0.kiosk.printJobCount() }
            let bytes = ((try? fm.attributesOfItem(atPath: store.path))?[.size] as? NSNumber)?.int64Value ?? 0
            try encode(Counters(outbox: outbox, deviceHistory: history, printJobs: printJobs, storeBytes: bytes,
                                lastHeartbeat: try? store.lastHeartbeat())).write(to: URL(fileURLWithPath: root + "/counters.json"))
        }

        // Logs: the given files, else kioskd's journal.
        var notes: [String] = []
        if logFiles.isEmpty {
            let journal = journalctl()
            if let journal {
                try Data(masked(journal).utf8).write(to: URL(fileURLWithPath: root + "/logs/kioskd.journal.log"))
            } else {
                notes.append("no logs: journalctl is not available or has no onewindow-kioskd entries (give log files with --log)")
            }
        }
        for (index, file) in logFiles.enumerated() {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                notes.append("log \(file) could not be read")
                continue
            }
            try Data(masked(text).utf8).write(to: URL(fileURLWithPath: root + "/logs/\(index + 1)-\((file as NSString).lastPathComponent)"))
        }
        try Data((["OneWindow support bundle — kioskctl doctor --bundle",
                   "doctor.json / doctor.txt: the report; config/: configuration, secret values removed;",
                   "counters.json: outbox, device history, print jobs (no filings, applicants or pages);",
                   "logs/: kioskd's logs, ID-number-shaped strings masked."] + notes).joined(separator: "\n").utf8)
            .write(to: URL(fileURLWithPath: root + "/README.txt"))

        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-czf", path, "-C", work, "onewindow-support"]
        try tar.run()
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else { throw BundleError(description: "tar exited with \(tar.terminationStatus)") }
    }

    struct BundleError: Error, CustomStringConvertible { var description: String }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Values of keys that look secret (token, secret, password, pin, hash, salt, key) replaced.
    static func withoutSecrets(_ yaml: String) -> String {
        yaml.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let text = String(line)
            guard let match = text.firstMatch(of: /^(\s*-?\s*[A-Za-z_]*(?i:token|secret|password|pin|hash|salt|apikey)[A-Za-z_]*\s*:\s*)(\S.*)$/) else {
                return text
            }
            // Numbers (tokenMinutes: 15) are settings, not secrets.
            if match.output.2.range(of: #"^\d+\s*(#.*)?$"#, options: .regularExpression) != nil { return text }
            return String(match.output.1) + "\"<removed>\""
        }.joined(separator: "\n")
    }

    /// An 18-character ID number (17 digits and a digit or X) anywhere, masked as the screen masks it.
    static func masked(_ text: String) -> String {
        let expression = try! NSRegularExpression(pattern: "(?<![0-9])([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
        return expression.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1**********$2")
    }

    static func journalctl() -> String? {
        let path = "/usr/bin/journalctl"
        guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-u", "onewindow-kioskd", "--since", "-3 days", "-o", "short-iso", "--no-pager", "-q"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return process.terminationStatus == 0 && !text.isEmpty ? text : nil
    }
}
