/// Loads a device profile (`devices/<kind>/<name>.yaml`) into its typed form, with the same
/// file:line diagnostics and unknown-key checks as the kiosk configuration.
public enum ProfileLoader {
    public static func load<T: Codable>(_ type: T.Type, path: String) throws(ConfigError) -> T {
        switch YAMLFile.read(path: path, displayPath: path) {
        case let .failure(diagnostic):
            throw ConfigError(diagnostics: [diagnostic])
        case let .success(file):
            switch file.decode(T.self) {
            case let .failure(diagnostic): throw ConfigError(diagnostics: [diagnostic])
            case let .success(value): return value
            }
        }
    }
}
