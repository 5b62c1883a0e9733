import ArgumentParser
import Foundation
import KioskConfig

/// `kioskctl staff …`: the accounts of the staff door (PINs kept as salted scrypt hashes in
/// kiosk-config/staff.yaml; kioskd reads them at start).
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff", abstract: "Manage staff accounts and their PINs.",
        subcommands: [SetPIN.self, List.self, Remove.self])

    /// `kioskctl staff set-pin NAME --role staff|technician`.
    struct SetPIN: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-pin", abstract: "Create an account or change its PIN (asked twice, never echoed).",
            discussion: """
                The PIN (4–12 digits, not repeated or consecutive digits) is asked on the terminal; with \
                --pin-stdin it is read from the first line of standard input instead (for provisioning scripts). \
                Every PIN must be different: staff log in with the PIN alone. Restart kioskd to apply.
                """)

        @OptionGroup var options: ConfigOptions
        @Argument(help: "Account name (1–32 characters), shown in the audit log.") var name: String
        @Option(help: "staff (restock, reset, maintenance, reprint) or technician (everything).") var role: String = "staff"
        @Flag(help: "Read the PIN from standard input instead of the terminal.") var pinStdin = false

        func run() async throws {
            guard let role = StaffRole(rawValue: role) else {
                throw ValidationError("--role must be staff or technician")
            }
            let name = name.trimmingCharacters(in: .whitespaces)
            guard (1...32).contains(name.count) else { throw ValidationError("the name must be 1–32 characters") }
            var file = try loadAccounts(options.config)
            let pin = try readPIN()
            do { try PINHash.validate(pin: pin) } catch {
                Console.err("staff: \(error)")
                throw ExitCode(2)
            }
            for other in file.accounts where other.name != name {
                if (try? PINHash.verify(pin: pin, against: other.pinHash)) == true {
                    Console.err("staff: this PIN is already used by another account; choose another (staff log in with the PIN alone)")
                    throw ExitCode(2)
                }
            }
            let account = StaffAccount(name: name, role: role, pinHash: try PINHash.hash(pin: pin))
            let existed = file.accounts.contains { $0.name == name }
            file.accounts.removeAll { $0.name == name }
            file.accounts.append(account)
            file.accounts.sort { $0.name < $1.name }
            try file.save(configDirectory: options.config)
            Console.out("staff: \(existed ? "PIN changed for" : "account created:") \(name) (\(role.rawValue)); restart kioskd to apply")
        }

        private func readPIN() throws -> String {
            if pinStdin {
                guard let line = readLine(strippingNewline: true) else { throw ValidationError("no PIN on standard input") }
                return line.trimmingCharacters(in: .whitespaces)
            }
            guard isatty(STDIN_FILENO) != 0 else {
                throw ValidationError("standard input is not a terminal: use --pin-stdin to pipe the PIN")
            }
            guard let first = getpass("New PIN for \(name): ").map({ String(cString: $0) }),
                  let second = getpass("Repeat the PIN: ").map({ String(cString: $0) }) else {
                throw ValidationError("no PIN entered")
            }
            guard first == second else {
                Console.err("staff: the two PINs differ; nothing changed")
                throw ExitCode(2)
            }
            return first
        }
    }

    /// `kioskctl staff list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the staff accounts (names and roles, never hashes).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let file = try loadAccounts(options.config)
            if file.accounts.isEmpty {
                Console.out("no staff accounts: the staff door is shut (kioskctl staff set-pin NAME --role staff|technician)")
            }
            for account in file.accounts { Console.out("\(account.name)\t\(account.role.rawValue)") }
        }
    }

    /// `kioskctl staff remove NAME`.
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a staff account.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Account name.") var name: String

        func run() async throws {
            var file = try loadAccounts(options.config)
            guard file.accounts.contains(where: { $0.name == name }) else {
                Console.err("staff: no account '\(name)'")
                throw ExitCode(1)
            }
            file.accounts.removeAll { $0.name == name }
            try file.save(configDirectory: options.config)
            Console.out("staff: removed \(name); restart kioskd to apply")
        }
    }
}

/// staff.yaml, or the exit with its findings (file and line) when it is broken.
private func loadAccounts(_ directory: String) throws -> StaffAccountsFile {
    do {
        return try StaffAccountsFile.load(configDirectory: directory)
    } catch {
        for diagnostic in error.diagnostics { Console.err("\(diagnostic)") }
        throw ExitCode(1)
    }
}
