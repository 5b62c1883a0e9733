import ArgumentParser
import Foundation
import KioskConfig
import Slips

/// `kioskctl slip …`: render slips without printing (previews, checking a new printer profile).
struct SlipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slip", abstract: "Render slips without printing.", subcommands: [Render.self, Templates.self])

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case escpos, pbm, png, text
    }

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a template's slip for a printer profile to ESC/POS bytes, a PBM/PNG image or plain text.",
            discussion: """
                The input JSON per template is documented in the README; examples are in \
                devices/printers/sample-inputs/. Hall name, kiosk id and phone come from the configuration.
                Exit codes: 0 written, 1 bad input or profile, 2 rendering failed (e.g. no CJK font).
                """)

        @OptionGroup var options: ConfigOptions
        @Option(name: .long, help: "Template: \(SlipTemplate.allCases.map(\.rawValue).joined(separator: ", ")).")
        var template: String
        @Option(name: .long, help: "Input JSON file ('-' for standard input).")
        var input: String
        @Option(name: .long, help: "Printer profile under devices/printers/ (without .yaml).")
        var profile = "generic-80mm"
        @Option(name: .long, help: "escpos, pbm, png or text.")
        var format: Format = .escpos
        @Option(name: [.short, .long], help: "Output file ('-' for standard output).")
        var output: String

        func run() async throws {
            guard let template = SlipTemplate(rawValue: template) else {
                Console.err("unknown template '\(self.template)'; templates: \(SlipTemplate.allCases.map(\.rawValue).joined(separator: ", "))")
                throw ExitCode(1)
            }
            let configuration = try loadConfiguration(options)
            let printerProfile: PrinterProfile
            do {
                printerProfile = try PrinterProfile.load(name: profile, profilesDirectory: configuration.profilesDirectory)
            } catch {
                for diagnostic in error.diagnostics { Console.err("\(diagnostic)") }
                throw ExitCode(1)
            }
            let json: Data
            do {
                json = input == "-" ? FileHandle.standardInput.readDataToEndOfFile()
                    : try Data(contentsOf: URL(fileURLWithPath: input))
            } catch {
                Console.err("cannot read \(input): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            let document: SlipDocument
            do {
                document = try template.document(json: json, context: SlipContext(configuration.settings))
            } catch {
                Console.err("\(input): \(error)")
                throw ExitCode(1)
            }
            let layout = SlipLayout(document, profile: printerProfile)
            let bytes: [UInt8]
            do {
                switch format {
                case .escpos: bytes = try EscPosEncoder().encode(layout)
                case .pbm: bytes = try SlipBitmapRenderer().render(layout).pbm
                case .png: bytes = try SlipBitmapRenderer().render(layout).png()
                case .text: bytes = Array((layout.plainText + "\n").utf8)
                }
            } catch {
                Console.err("cannot render: \(error)")
                throw ExitCode(2)
            }
            do {
                if output == "-" {
                    FileHandle.standardOutput.write(Data(bytes))
                } else {
                    try Data(bytes).write(to: URL(fileURLWithPath: output))
                    Console.err("\(template.rawValue) → \(output) (\(format.rawValue), \(bytes.count) bytes, \(printerProfile.name))")
                }
            } catch {
                Console.err("cannot write \(output): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
    }

    struct Templates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "templates", abstract: "List the slip templates.")

        func run() async throws {
            for template in SlipTemplate.allCases { Console.out(template.rawValue) }
        }
    }
}

/// Loads the configuration or prints its diagnostics and exits 1.
func loadConfiguration(_ options: ConfigOptions) throws -> KioskConfiguration {
    do {
        return try ConfigLoader.load(directory: options.config)
    } catch {
        for diagnostic in error.diagnostics { Console.err("\(diagnostic)") }
        throw ExitCode(1)
    }
}
