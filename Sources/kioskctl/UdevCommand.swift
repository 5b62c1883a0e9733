import ArgumentParser
import DeviceKit
import Foundation
import KioskConfig

/// `kioskctl udev rules`: the udev rules of every supported device model, from the profiles.
struct UdevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udev", abstract: "udev rules for the supported device models.", subcommands: [Rules.self])

    /// Prints (or writes) 70-onewindow.rules.
    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate the udev rules (kiosk group permissions, /dev/onewindow/ names) from the device profiles.",
            discussion: "Exit 0 with the rules; 1 when the configuration cannot be read or a profile cannot be made into a rule (the file and why on stderr).")

        @OptionGroup var options: ConfigOptions
        @Option(name: .long, help: "The devices/ directory (default: the configuration's profilesDirectory).")
        var profiles: String?
        @Option(name: .long, help: "The kiosk's group, which may open the devices.")
        var group = "onewindow"
        @Option(name: [.short, .customLong("output")], help: "Write to this file instead of standard output.")
        var output: String?

        func run() throws {
            let directory = try profiles ?? loadConfiguration(options).profilesDirectory
            try CommandFailure.exitOnFailure("udev rules") {
                let text: String
                do { text = try UdevRules.generate(profilesDirectory: directory, group: group) } catch {
                    throw CommandFailure(1, "\(error)")
                }
                guard let output else { return FileHandle.standardOutput.write(Data(text.utf8)) }
                do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                    throw CommandFailure(1, "cannot write \(output): \(error.localizedDescription)")
                }
            }
        }
    }
}
