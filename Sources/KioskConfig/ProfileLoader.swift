/// Loads a device profile (`devices/<kind>/<name>.yaml`) into its typed form, with the same
/// file:line diagnostics and unknown-key checks as the kiosk configuration.
public enum ProfileLoader {
    public static func load<T: Codable>(_ type: T.Type, path: String) throws(ConfigError) -> T {
        try load(type, path: path) { (_: T) -> [ProfileProblem] in [] }
    }

    /// Loads a profile and checks its values with `validate`, which returns each problem with the
    /// path to the value it is about; all of them are reported with the file and the value's line.
    public static func load<T: Codable>(_ type: T.Type, path: String,
                                         validate: (T) -> [ProfileProblem]) throws(ConfigError) -> T {
        switch YAMLFile.read(path: path, displayPath: path) {
        case let .failure(diagnostic):
            throw ConfigError(diagnostics: [diagnostic])
        case let .success(file):
            switch file.decode(T.self) {
            case let .failure(diagnostic): throw ConfigError(diagnostics: [diagnostic])
            case let .success(value):
                let problems = validate(value)
                guard problems.isEmpty else {
                    throw ConfigError(diagnostics: problems.map { file.diagnostic(at: $0.path, $0.message) })
                }
                return value
            }
        }
    }
}

/// Something wrong with a profile's value, found after it was read: where (the path of keys and
/// indexes) and what.
public struct ProfileProblem: Sendable, Hashable {
    public var path: [PathElement]
    public var message: String

    public init(at path: [PathElement], _ message: String) {
        self.path = path
        self.message = message
    }
}
