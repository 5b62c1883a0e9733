import Foundation
import Logging
import Workflow
import Synchronization

/// swift-log handler for kioskd: human-readable lines on a terminal, one JSON object per line
/// otherwise (journald, files, log shippers). Writes to standard error.
public struct KioskLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case text
        case json
    }

    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    private let label: String
    private let format: Format

    private static let output = Mutex(FileHandle.standardError)

    public init(label: String, format: Format, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    /// `json` unless standard error is a terminal.
    public static var automaticFormat: Format { isatty(STDERR_FILENO) == 1 ? .text : .json }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Log lines carry the wall time, whatever clock the kiosk's rules are given.
    private static let wallClock = SystemClock()

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let time = Self.wallClock.now()
        let line: String
        switch format {
        case .text:
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(Self.textTime(time)) \(event.level.rawValue.uppercased()) [\(label)] \(event.message)\(fields.isEmpty ? "" : " " + fields)\n"
        case .json:
            var object: [String: Any] = [
                "time": Self.isoTime(time), "level": event.level.rawValue, "logger": label, "message": "\(event.message)",
            ]
            for (key, value) in merged where object[key] == nil { object[key] = Self.jsonValue(value) }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = (String(data: data, encoding: .utf8) ?? "{}") + "\n"
        }
        Self.output.withLock { $0.write(Data(line.utf8)) }
    }

    private static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case let .string(s): return s
        case let .stringConvertible(c): return c.description
        case let .array(a): return a.map(jsonValue)
        case let .dictionary(d): return d.mapValues(jsonValue)
        }
    }

    private static func isoTime(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// Local wall-clock time with milliseconds; one shared style, not a formatter per line.
    private static let textTimeStyle = Date.ISO8601FormatStyle(timeZone: .current).time(includingFractionalSeconds: true)

    private static func textTime(_ date: Date) -> String { date.formatted(textTimeStyle) }
}
