/// Loads a device profile (`devices/<kind>/<name>.yaml`) into its typed form, with the same
/// file:line diagnostics and unknown-key checks as the kiosk configuration.
public enum ProfileLoader {
    /// A problem a profile's own checks found: the dotted key path (`capture.width`, `controls.2.value`) and what is wrong.
    public struct Problem: Sendable, Hashable {
        public var path: String
        public var message: String

        public init(_ path: String, _ message: String) {
            self.path = path
            self.message = message
        }
    }

    public static func load<T: Codable>(_ type: T.Type, path: String) throws(ConfigError) -> T {
        try load(type, path: path) { _ in [] }
    }

    /// Loads, then runs the profile's own checks; every problem is reported at its key's line.
    public static func load<T: Codable>(_ type: T.Type, path: String, validate: (T) -> [Problem]) throws(ConfigError) -> T {
        switch YAMLFile.read(path: path, displayPath: path) {
        case let .failure(diagnostic):
            throw ConfigError(diagnostics: [diagnostic])
        case let .success(file):
            switch file.decode(T.self) {
            case let .failure(diagnostic): throw ConfigError(diagnostics: [diagnostic])
            case let .success(value):
                let problems = validate(value)
                guard problems.isEmpty else {
                    throw ConfigError(diagnostics: problems.map { problem in
                        let elements = problem.path.split(separator: ".").map { part -> PathElement in
                            Int(part).map(PathElement.index) ?? .key(String(part))
                        }
                        return file.diagnostic(at: elements, "\(problem.path): \(problem.message)")
                    })
                }
                return value
            }
        }
    }
}
