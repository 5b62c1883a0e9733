import Foundation
import Yams

/// One parsed YAML file of the configuration: decodes it into a Codable type and turns every
/// decoding problem, unknown key and validation finding into a diagnostic with the line it is on.
struct YAMLFile {
    /// The path as shown in diagnostics (as the user gave it, joined with the file name).
    let displayPath: String
    let root: Node

    /// Reads and parses the file; syntax errors become a diagnostic at the line libyaml reports.
    static func read(path: String, displayPath: String) -> Result<YAMLFile, ConfigDiagnostic> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ConfigDiagnostic(.error, file: displayPath, "cannot read the file (missing or unreadable)"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ConfigDiagnostic(.error, file: displayPath, "the file is not valid UTF-8 text"))
        }
        return parse(text: text, displayPath: displayPath)
    }

    static func parse(text: String, displayPath: String) -> Result<YAMLFile, ConfigDiagnostic> {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                return .failure(ConfigDiagnostic(.error, file: displayPath, line: 1, "the file is empty"))
            }
            return .success(YAMLFile(displayPath: displayPath, root: node))
        } catch let error as YamlError {
            return .failure(diagnostic(for: error, file: displayPath))
        } catch {
            return .failure(ConfigDiagnostic(.error, file: displayPath, "cannot parse YAML: \(error)"))
        }
    }

    /// Decodes the whole file as `T`, then reports keys `T` does not know (a typo such as
    /// `sesion:` must not be silently ignored).
    func decode<T: Codable>(_ type: T.Type) -> Result<T, ConfigDiagnostic> {
        let value: T
        do {
            value = try YAMLDecoder().decode(T.self, from: root)
        } catch let error as DecodingError {
            return .failure(diagnostic(for: error))
        } catch {
            return .failure(ConfigDiagnostic(.error, file: displayPath, "cannot read: \(error)"))
        }
        if let unknown = firstUnknownKey(decoded: value) { return .failure(unknown) }
        return .success(value)
    }

    /// A diagnostic at the node that `path` leads to (or the nearest node above it that exists).
    func diagnostic(_ severity: ConfigDiagnostic.Severity = .error, at path: [any CodingKey], _ message: String) -> ConfigDiagnostic {
        let mark = node(at: path)?.mark
        return ConfigDiagnostic(severity, file: displayPath, line: mark?.line, column: mark?.column, message)
    }

    /// A diagnostic at the node addressed by a simple path such as `["devices", 2, "queue"]`.
    func diagnostic(_ severity: ConfigDiagnostic.Severity = .error, at path: [PathElement], _ message: String) -> ConfigDiagnostic {
        diagnostic(severity, at: path.map(\.codingKey), message)
    }

    func node(at path: [any CodingKey]) -> Node? {
        var current = root
        for key in path {
            if let index = key.intValue, let sequence = current.sequence {
                guard index >= 0, index < sequence.count else { return current }
                current = sequence[index]
            } else if let mapping = current.mapping {
                guard let next = mapping[key.stringValue] else { return current }
                current = next
            } else {
                return current
            }
        }
        return current
    }

    // MARK: - Decoding errors

    private func diagnostic(for error: DecodingError) -> ConfigDiagnostic {
        switch error {
        case let .keyNotFound(key, context):
            return diagnostic(at: context.codingPath, "missing key '\(key.stringValue)'\(where: context.codingPath)")
        case let .typeMismatch(type, context):
            return diagnostic(at: context.codingPath, "\(name(context.codingPath)) should be \(describe(type))")
        case let .valueNotFound(type, context):
            return diagnostic(at: context.codingPath, "\(name(context.codingPath)) is empty but should be \(describe(type))")
        case let .dataCorrupted(context):
            return diagnostic(at: context.codingPath, "\(name(context.codingPath)): \(humanize(context.debugDescription))")
        @unknown default:
            return ConfigDiagnostic(.error, file: displayPath, "\(error)")
        }
    }

    private func name(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "the document" : "'\(dotted(path))'"
    }

    private func dotted(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "text"
        case is Int.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        default:
            let text = String(describing: type)
            if text.hasPrefix("Array") { return "a list" }
            if text.hasPrefix("Dictionary") || text.hasSuffix("KeyedDecodingContainer") { return "a mapping of keys" }
            return "a mapping (\(text))"
        }
    }

    private func humanize(_ debugDescription: String) -> String {
        // Yams/Foundation say "Cannot initialize Need from invalid String value foo".
        if let range = debugDescription.range(of: "Cannot initialize "),
           let from = debugDescription.range(of: " from invalid "),
           let value = debugDescription.range(of: " value ", range: from.upperBound..<debugDescription.endIndex) {
            let typeName = String(debugDescription[range.upperBound..<from.lowerBound])
            let bad = String(debugDescription[value.upperBound...])
            return "'\(bad)' is not an allowed \(typeName) value"
        }
        return debugDescription
    }

    // MARK: - Unknown keys and duplicates

    /// Re-encodes the decoded value and compares key sets: every non-null key in the file that the
    /// type did not keep is unknown.
    private func firstUnknownKey<T: Encodable>(decoded: T) -> ConfigDiagnostic? {
        guard let text = try? YAMLEncoder().encode(decoded), let known = try? Yams.compose(yaml: text) else { return nil }
        return unknownKey(original: root, known: known, path: [])
    }

    private func unknownKey(original: Node, known: Node, path: [String]) -> ConfigDiagnostic? {
        if let mapping = original.mapping {
            let knownMapping = known.mapping
            for (key, value) in mapping {
                if isNull(value) { continue }
                let keyName = key.string ?? "?"
                guard let knownValue = knownMapping?[keyName] else {
                    let at = path.isEmpty ? "at the top level" : "in '\(path.joined(separator: "."))'"
                    return ConfigDiagnostic(.error, file: displayPath, line: key.mark?.line, column: key.mark?.column,
                                            "unknown key '\(keyName)' \(at) (misspelt, or not a setting of this version)")
                }
                if let found = unknownKey(original: value, known: knownValue, path: path + [keyName]) { return found }
            }
        } else if let sequence = original.sequence, let knownSequence = known.sequence {
            for (index, element) in sequence.enumerated() where index < knownSequence.count {
                let last = path.last.map { "\($0)[\(index)]" } ?? "[\(index)]"
                if let found = unknownKey(original: element, known: knownSequence[index], path: path.dropLast() + [last]) {
                    return found
                }
            }
        }
        return nil
    }

    private func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private static func diagnostic(for error: YamlError, file: String) -> ConfigDiagnostic {
        switch error {
        case let .scanner(context, problem, mark, _):
            return ConfigDiagnostic(.error, file: file, line: mark.line, column: mark.column,
                                    "YAML syntax: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .parser(context, problem, mark, _):
            return ConfigDiagnostic(.error, file: file, line: mark.line, column: mark.column,
                                    "YAML syntax: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .composer(context, problem, mark, _):
            return ConfigDiagnostic(.error, file: file, line: mark.line, column: mark.column,
                                    "YAML structure: \(problem)\(context.map { " \($0.text)" } ?? "")")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigDiagnostic(.error, file: file, line: context.mark.line, column: context.mark.column,
                                    "key '\(duplicates.joined(separator: "', '"))' appears twice in the same mapping")
        default:
            return ConfigDiagnostic(.error, file: file, "cannot parse YAML: \(error)")
        }
    }
}

/// An element of a path into a YAML document: a mapping key or a sequence index.
/// One step of a path to a value in a YAML file: a mapping key or a sequence index
/// (`["hid", "keys", 2, "byte"]`), so a finding can be reported at the value's line.
public enum PathElement: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case key(String)
    case index(Int)

    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }

    var codingKey: any CodingKey {
        switch self {
        case let .key(name): return AnyKey(stringValue: name)
        case let .index(i): return AnyKey(intValue: i)
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init(intValue: Int) { stringValue = "\(intValue)"; self.intValue = intValue }
}

private extension String.StringInterpolation {
    mutating func appendInterpolation(where path: [any CodingKey]) {
        if path.isEmpty { return }
        let text = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        appendLiteral(" in '\(text)'")
    }
}
