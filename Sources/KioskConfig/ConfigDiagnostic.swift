/// One finding about the configuration, located by file, line and column, printed the way
/// compilers print theirs (`kiosk-config/catalogue.yaml:42:7: error: …`) so a technician can jump to it.
public struct ConfigDiagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var severity: Severity
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(_ severity: Severity, file: String, line: Int? = nil, column: Int? = nil, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let line, line > 0, let column { location += ":\(column)" }
        return "\(location): \(severity.rawValue): \(message)"
    }
}

/// Thrown when the configuration cannot be used: carries every error found (and the warnings),
/// not just the first, so one `kioskctl config check` shows the whole list.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }

    public var errors: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String {
        let errs = errors
        return "configuration has \(errs.count) error\(errs.count == 1 ? "" : "s"):\n"
            + errs.map { "  \($0)" }.joined(separator: "\n")
    }
}
