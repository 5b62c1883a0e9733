import ArgumentParser
import DeviceKit
import Foundation
import IDCard
import KioskConfig

/// `kioskctl idcard …`: read cards and query the SAM directly, for technicians.
struct IDCardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idcard", abstract: "ID-card reader diagnostics (GA/T 467 SAM).",
        subcommands: [Read.self, SAM.self, Watch.self, Record.self, Replay.self])

    /// Which reader to talk to.
    struct ReaderOptions: ParsableArguments {
        @Option(name: .long, help: "USB reader by VID:PID in hex (e.g. 0400:C35A); endpoints detected.")
        var usb: String?
        @Option(name: .long, help: "Serial reader by port (e.g. /dev/ttyUSB0).")
        var serial: String?
        @Option(name: .long, help: "Serial speed (default: the profile's, else 115200).")
        var baud: Int?
        @Option(name: .long, help: "Reader profile name from devices/idcard/.")
        var profile: String?
        @Option(name: .long, help: "Device profiles directory.")
        var devices = "devices"
        @Option(name: .long, help: "Seconds to wait (for a card, or for the SAM to answer).")
        var timeout: Double = 10

        func validate() throws {
            let given = [usb != nil, serial != nil && profile == nil, profile != nil].filter { $0 }.count
            guard given == 1 else { throw ValidationError("give exactly one of --usb VID:PID, --serial PATH or --profile NAME") }
            if let usb, IDCardReaderLocation.usbIDs(usb) == nil { throw ValidationError("--usb '\(usb)' is not VID:PID in hex") }
            if let baud, SAMBaudRate(bitsPerSecond: baud) == nil { throw ValidationError("--baud \(baud) is not a SAM speed (9600…115200)") }
            guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        }

        /// The reader's location and the profile's timeouts, if any.
        func resolve() throws(CommandFailure) -> (IDCardReaderLocation, IDCardProfile?) {
            if let usb, let (vid, pid) = IDCardReaderLocation.usbIDs(usb) {
                return (.usb(vendorID: vid, productID: pid, scheme: nil, inTransferSize: 4096), nil)
            }
            if let name = profile {
                let loaded: IDCardProfile
                do {
                    loaded = try IDCardProfile.load(name: name, profilesDirectory: devices)
                } catch {
                    throw CommandFailure(exitCode: 1, message: "profile '\(name)': \(error.errors.map(\.description).joined(separator: "; "))")
                }
                do {
                    return (try IDCardReaderLocation.from(profile: loaded, serialPath: serial, baud: baud), loaded)
                } catch {
                    throw CommandFailure(exitCode: 1, message: "\(error)")
                }
            }
            let rate = SAMBaudRate(bitsPerSecond: baud ?? 115_200) ?? .b115200
            return (.serial(path: serial ?? "", baud: rate), nil)
        }

        func client() throws(CommandFailure) -> SAMClient {
            let (location, profile) = try resolve()
            let connection: any SAMConnection
            do {
                connection = try location.open()
            } catch {
                throw CommandFailure(exitCode: 1, message: "\(location): \(error)")
            }
            let timeouts = profile?.timeouts
            return SAMClient(connection: connection,
                             commandTimeout: .milliseconds(timeouts?.commandMilliseconds ?? 1000),
                             readTimeout: .milliseconds(timeouts?.readMilliseconds ?? 3000))
        }
    }

    /// `kioskctl idcard read`: waits for a card, reads it, prints it (masked unless --reveal).
    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait for a card, read it and print it.",
            discussion: """
                Exit status: 0 read; 1 reader not found or cannot be opened; 2 no card in time; \
                3 protocol error (the SAM's SW3 is named); 4 the card's data is unreadable.
                Name, ID number, address and birth date are masked unless --reveal is given.
                """)

        @OptionGroup var reader: ReaderOptions
        @Flag(name: .long, help: "Print one JSON object.") var json = false
        @Flag(name: .long, help: "Show personal data in full (technicians only).") var reveal = false
        @Flag(name: .long, help: "Read fingerprint templates too (30 10).") var fingerprint = false

        func run() async throws {
            try CommandFailure.exitOnFailure("idcard") {
                let client = try reader.client()
                defer { client.connection.close() }
                let identity = try waitAndRead(client, timeout: reader.timeout, fingerprint: fingerprint)
                let view = CardIdentityView(identity, reveal: reveal)
                if json {
                    Console.out(try jsonText(view))
                } else {
                    Console.out(describe(view))
                }
            }
        }
    }

    /// `kioskctl idcard sam`: the SAM's id and status.
    struct SAM: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the SAM module's id and status (optionally reset it).")

        @OptionGroup var reader: ReaderOptions
        @Flag(name: .long, help: "Reset the SAM first (10 FF).") var reset = false
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            try CommandFailure.exitOnFailure("idcard") {
                let client = try reader.client()
                defer { client.connection.close() }
                do {
                    if reset { try client.resetSAM() }
                    let id = try client.samIdentifier()
                    var status = "ok"
                    do { try client.checkSAM() } catch { status = "\(error)" }
                    if json {
                        Console.out(try jsonText(["samId": id.description, "status": status, "connection": client.connection.description]))
                    } else {
                        Console.out("SAM id      \(id)\nSAM status  \(status)\nconnection  \(client.connection.description)")
                    }
                } catch let error as IDCardReadError {
                    throw CommandFailure(error)
                }
            }
        }
    }

    /// `kioskctl idcard watch`: prints each placement and removal until interrupted.
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print each card placement and removal (Ctrl-C to stop).")

        @OptionGroup var reader: ReaderOptions
        @Flag(name: .long, help: "Show personal data in full (technicians only).") var reveal = false
        @Option(name: .long, help: "Poll interval in milliseconds.") var interval = 300
        @Option(name: .long, help: "Stop after this many placements (0: never).") var count = 0

        func run() async throws {
            try CommandFailure.exitOnFailure("idcard") {
                var client: SAMClient? = try reader.client()
                var tracker = CardPresenceTracker()
                var placements = 0
                while count == 0 || placements < count {
                    // An unplugged reader is waited for and re-opened, as the kiosk service does.
                    guard let current = client else {
                        if let reopened = try? reader.client() {
                            client = reopened
                            Console.out("\(timestamp()) reader back: \(reopened.connection.description)")
                        } else {
                            usleep(500_000)
                        }
                        continue
                    }
                    do {
                        switch tracker.found(try current.findCard()) {
                        case .read:
                            try current.selectCard()
                            let identity = try current.readCard()
                            tracker.read(identity)
                            placements += 1
                            let view = CardIdentityView(identity, reveal: reveal)
                            Console.out("\(timestamp()) placed   \(view.cardType) \(view.name ?? "") \(view.idNumber)\(view.idNumberValid ? "" : " (number fails its check)")")
                        case .recheck:
                            // The lying card read again, as the kiosk does: another ID number is a swap.
                            let identity: CardIdentity
                            do {
                                try current.selectCard()
                                identity = try current.readCard()
                            } catch {
                                tracker.rereadFailed()
                                throw error
                            }
                            if tracker.reread(identity) {
                                placements += 1
                                let view = CardIdentityView(identity, reveal: reveal)
                                Console.out("\(timestamp()) swapped  \(view.cardType) \(view.name ?? "") \(view.idNumber)\(view.idNumberValid ? "" : " (number fails its check)")")
                            }
                        case .removed:
                            Console.out("\(timestamp()) removed")
                        case .none:
                            break
                        }
                    } catch let error as IDCardReadError {
                        if case .transport(.deviceGone) = error {
                            current.connection.close()
                            client = nil
                            if tracker.reset() { Console.out("\(timestamp()) removed") }
                            Console.out("\(timestamp()) reader unplugged; waiting for it to return")
                            continue
                        }
                        Console.err("\(timestamp()) \(error)")
                    }
                    usleep(useconds_t(max(10, interval)) * 1000)
                }
                client?.connection.close()
            }
        }
    }
}

/// Polls find card until one is present (or `timeout`), then selects and reads it.
func waitAndRead(_ client: SAMClient, timeout: Double, fingerprint: Bool) throws(CommandFailure) -> CardIdentity {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    do {
        while true {
            if let identity = try client.findSelectRead(withFingerprint: fingerprint) { return identity }
            guard ContinuousClock.now < deadline else { throw IDCardReadError.noCardInTime }
            usleep(100_000)
        }
    } catch let error as IDCardReadError {
        throw CommandFailure(error)
    } catch {
        throw CommandFailure(exitCode: 3, message: "\(error)")
    }
}

func timestamp() -> String {
    let f = DateFormatter()
    f.dateFormat = "HH:mm:ss"
    return f.string(from: kioskctlClock.now())
}

func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

func describe(_ v: CardIdentityView) -> String {
    var lines = ["card type      \(v.cardType)"]
    func add(_ label: String, _ value: String?) { if let value { lines.append(label.padding(toLength: 15, withPad: " ", startingAt: 0) + value) } }
    add("name", v.name)
    add("english name", v.englishName)
    add("sex", v.sex)
    add("nation", v.nation)
    add("nationality", v.nationality)
    add("birth date", v.birthDate)
    add("address", v.address)
    add("id number", v.idNumber + (v.idNumberValid ? " (check ok)" : " (FAILS CHECK: \((v.idNumberProblems ?? []).joined(separator: "; ")))"))
    add("issued by", v.issuingAuthority)
    add("valid", [v.validFrom, v.validUntil].compactMap { $0 }.joined(separator: " – "))
    add("pass number", v.passNumber)
    add("issue count", v.issueCount.map(String.init))
    add("renewals", v.renewalCount.map(String.init))
    add("photo", "wlt, \(v.photo.bytes) bytes, sha256 \(v.photo.sha256)")
    add("fingerprint", v.fingerprintBytes.map { "\($0) bytes" })
    return lines.joined(separator: "\n")
}

extension CommandFailure {
    /// The idcard commands' exit status for a failed read (README: 1 reader, 2 no card in time, 3 protocol, 4 card data).
    init(_ error: IDCardReadError) {
        switch error {
        case let .transport(t):
            switch t {
            case .notFound, .cannotOpen, .deviceGone: self.init(exitCode: 1, message: "\(error)")
            default: self.init(exitCode: 3, message: "\(error)")
            }
        case .noCardInTime: self.init(exitCode: 2, message: "\(error)")
        case .status, .frame: self.init(exitCode: 3, message: "\(error)")
        case .cardData: self.init(exitCode: 4, message: "\(error)")
        }
    }
}
