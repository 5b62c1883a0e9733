import ArgumentParser
import DeviceKit
import Foundation
import KioskConfig

/// `kioskctl config …`: inspect the configuration.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check the kiosk configuration.", subcommands: [Check.self])

    /// `kioskctl config check`: the same validation kioskd runs at start-up.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every configuration file; exit 1 on any error.",
            discussion: "Prints each finding as FILE:LINE:COLUMN: error|warning: MESSAGE.")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            do throws(ConfigError) {
                let configuration = try ConfigLoader.load(directory: options.config)
                for warning in configuration.warnings { Console.err("\(warning)") }
                let settings = configuration.settings
                // Camera profiles are device code's types: checked here too (kioskd would report such a
                // camera as noDevice with the same diagnostics instead of running it).
                var profileErrors: [ConfigDiagnostic] = []
                for binding in settings.devices where binding.kind == .documentCamera && (binding.driver == .v4l2 || binding.profile != nil) {
                    do {
                        _ = try CameraProfile.load(name: binding.profile ?? "generic-uvc-5mp", profilesDirectory: configuration.profilesDirectory)
                    } catch { profileErrors += error.errors }
                }
                if !profileErrors.isEmpty { throw ConfigError(diagnostics: profileErrors) }
                let years = configuration.holidayYears.map { "\($0.year) (\($0.status.rawValue))" }.joined(separator: ", ")
                Console.out("""
                    configuration OK: \(options.config)
                      kiosk      \(settings.kiosk.id) · \(settings.kiosk.hallName) · region \(settings.kiosk.regionCode)
                      listen     \(settings.api.listen)
                      catalogue  \(configuration.items.count) items, \(configuration.bundles.count) bundles
                      queue      \(configuration.queueCategories.map { "\($0.prefix) \($0.name)" }.joined(separator: ", "))
                      calendar   \(years)
                      devices    \(settings.devices.map { "\($0.id) (\($0.kind.rawValue), \($0.driver.rawValue))" }.joined(separator: ", "))
                      warnings   \(configuration.warnings.count)
                    """)
            } catch {
                for diagnostic in error.diagnostics { Console.err("\(diagnostic)") }
                Console.err("configuration has \(error.errors.count) error(s): kioskd will refuse to start")
                throw ExitCode(1)
            }
        }
    }
}

/// Writes to standard output and standard error (Glibc's `stdout`/`stderr` are not usable in Swift 6).
enum Console {
    static func out(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
    static func err(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    /// Pretty, sorted, ISO 8601 dates: the `--json` output of the read commands.
    static func json<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        out(String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self))
    }
}
