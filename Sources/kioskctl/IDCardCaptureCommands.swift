import ArgumentParser
import DeviceFixtures
import DeviceKit
import Foundation
import IDCard

extension IDCardCommand {
    /// `kioskctl idcard record`: records a real reader's traffic into a replay fixture for a new
    /// model, the citizen's data replaced by a synthetic card.
    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a reader's traffic into a replay fixture for a new model (personal data replaced).",
            discussion: """
                Asks the SAM its id and status, waits for a card (keeping one empty poll), selects and \
                reads it (text + photo, or with --fingerprint), then asks for the newer address. Every \
                frame is kept as the reader sent it except the card's data: the text block becomes the \
                sample card of the same type, the photo and fingerprint synthetic bytes of the same \
                length, the address the sample one; lengths, status words and checksums stay valid. \
                Nothing of the card placed is printed or written. The file (format \
                onewindow-sam-capture/1, devices/README.md) is what a developer commits beside the \
                model's profile; `kioskctl idcard replay FILE` checks it. \
                Exit status: 0 written; 1 reader not found or cannot be opened; 2 no card in time; \
                3 protocol error; 4 the card's data is unreadable; 5 the data could not be removed (nothing written).
                """)

        @OptionGroup var reader: ReaderOptions
        @Option(name: [.short, .long], help: "Fixture file to write (e.g. devices/idcard/<model>.capture.json).")
        var output: String
        @Flag(name: .long, help: "Read with fingerprint templates (30 10) instead of text + photo.")
        var fingerprint = false

        func run() async throws {
            try CommandFailure.exitOnFailure("idcard record") {
                let (location, profile) = try reader.resolve()
                let opened: any SAMConnection
                do { opened = try location.open() } catch { throw CommandFailure(exitCode: 1, message: "\(location): \(error)") }
                let recorder = RecordingSAMConnection(opened)
                defer { recorder.close() }
                let client = SAMClient(connection: recorder,
                                       commandTimeout: .milliseconds(profile?.timeouts?.commandMilliseconds ?? 1000),
                                       readTimeout: .milliseconds(profile?.timeouts?.readMilliseconds ?? 3000))
                do {
                    _ = try client.samIdentifier()
                    try client.checkSAM()
                    Console.err("请将身份证放在读卡区 / place a card on the reader (\(Int(reader.timeout)) s)…")
                    let deadline = ContinuousClock.now + .milliseconds(Int(reader.timeout * 1000))
                    var emptyPollKept = false
                    while try !client.findCard() {
                        // One empty poll shows the model's "no card" answer; the rest only repeat it.
                        if emptyPollKept { recorder.dropLast(1) } else { emptyPollKept = true }
                        guard ContinuousClock.now < deadline else { throw IDCardReadError.noCardInTime }
                        usleep(100_000)
                    }
                    try client.selectCard()
                    let identity = try client.readCard(withFingerprint: fingerprint)
                    _ = identity  // read to prove it decodes; never shown
                    // A model without 30 03 answers with its own status, which the fixture keeps too.
                    do throws(IDCardReadError) { _ = try client.readLatestAddress() } catch { if error.samStatus == nil { throw error } }
                } catch let error as IDCardReadError {
                    throw CommandFailure(error)
                }
                let recorded: [(request: [UInt8], response: [UInt8])] = recorder.recorded.compactMap {
                    guard case let .success(response) = $0.result else { return nil }
                    return ($0.request, response)
                }
                let scrubbed: SAMCaptureScrubber.Result
                do { scrubbed = try SAMCaptureScrubber.scrub(recorded) } catch { throw CommandFailure(exitCode: 5, message: "\(error)") }
                guard !SAMCaptureScrubber.leaks(scrubbed.secrets, in: scrubbed.exchanges) else {
                    throw CommandFailure(exitCode: 5, message: "a value of the card placed is still in the frames; nothing written")
                }
                let capture = SAMCapture(profile: reader.profile, recordedOn: opened.description,
                                         link: link(location, opened), scrubbed: scrubbed.notes, exchanges: scrubbed.exchanges)
                do {
                    try capture.verify()
                    let url = URL(fileURLWithPath: output)
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try capture.json().write(to: url, options: .atomic)
                } catch let error as SAMCaptureError {
                    throw CommandFailure(exitCode: 5, message: "\(error)")
                } catch {
                    throw CommandFailure(exitCode: 1, message: "cannot write \(output): \(error.localizedDescription)")
                }
                Console.out("recorded \(capture.exchanges.count) exchanges on \(opened.description) → \(output)")
                for note in capture.scrubbed { Console.out("  replaced: \(note)") }
                Console.out("check it: kioskctl idcard replay \(output)")
            }
        }

        /// What the replay must emulate: the ids and endpoints the driver really used, or the serial speed.
        func link(_ location: IDCardReaderLocation, _ connection: any SAMConnection) -> SAMCapture.Link {
            switch location {
            case let .usb(vid, pid, _, size):
                func h(_ e: UInt8) -> String { String(format: "0x%02X", e) }
                var scheme = "single"
                var endpoints: [String] = []
                switch (connection as? LibUSBSAMConnection)?.scheme {
                case let .split(a, b, c, d)?: scheme = "split"; endpoints = [a, b, c, d].map(h)
                case let .single(o, i)?: endpoints = [o, i].map(h)
                case nil: break
                }
                return .init(transport: "usb", vendorID: String(format: "%04X", vid), productID: String(format: "%04X", pid),
                             scheme: scheme, endpoints: endpoints, inTransferSize: scheme == "single" ? size : nil)
            case let .serial(_, baud):
                return .init(transport: "serial", baud: baud.bitsPerSecond)
            }
        }
    }

    /// `kioskctl idcard replay FIXTURE`: plays a capture's frames to the real driver under
    /// umockdev and prints the (synthetic) card it read, masked.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a recorded fixture to the real driver (libusb or termios under umockdev) and print the card it reads.",
            discussion: """
                The reader of the fixture is emulated by umockdev-run below the real driver: the USB \
                descriptors with the recorded ids and endpoints and a URB replay of every frame, or a \
                serial port and its script. Each command is sent in the recorded order and every reply \
                the driver assembles must be the recorded frame, byte for byte. \
                Exit status: 0 the driver read it; 1 umockdev or the emulated reader unusable; 3 a reply \
                differs or a protocol error; 4 the card's data is unreadable; 5 the fixture is not valid.
                """)

        @Argument(help: "A fixture written by `kioskctl idcard record`.")
        var fixture: String
        @Flag(name: .long, help: "Print one JSON object.") var json = false
        @Flag(name: .long, help: .hidden) var emulated = false

        func run() async throws {
            try CommandFailure.exitOnFailure("idcard replay") {
                let capture: SAMCapture
                do { capture = try SAMCapture.load(path: fixture) } catch { throw CommandFailure(exitCode: 5, message: "\(error)") }
                if emulated {
                    try replayInside(capture)
                } else {
                    try runUnderUMockdev(capture)
                }
            }
        }

        /// Writes the emulation's files and runs this command again under umockdev-run.
        func runUnderUMockdev(_ capture: SAMCapture) throws {
            let files: IDCardFixtures.ReplayFiles
            do { files = try IDCardFixtures.replayFiles(for: capture) } catch { throw CommandFailure(exitCode: 5, message: "\(error)") }
            let umockdevRun = try executable("umockdev-run", package: "umockdev")
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("kioskctl-replay-\(getpid())")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let description = work.appendingPathComponent("reader.umockdev")
            let script = work.appendingPathComponent(files.isSerial ? "reader.script" : "reader.ioctl")
            try files.description.write(to: description)
            try files.script.write(to: script)
            let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: umockdevRun)
            process.arguments = ["-d", description.path, files.isSerial ? "-s" : "-i", "\(files.node)=\(script.path)", "--",
                                 me, "idcard", "replay", fixture, "--emulated"] + (json ? ["--json"] : [])
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
        }

        /// Inside the emulation: the real driver sends every recorded command.
        func replayInside(_ capture: SAMCapture) throws {
            let opened: any SAMConnection
            do {
                if capture.link.transport == "serial" {
                    let rate = SAMBaudRate(bitsPerSecond: capture.link.baud ?? 115_200) ?? .b115200
                    opened = try SerialSAMConnection(path: IDCardFixtures.serialNode, baud: rate)
                } else {
                    guard let (vid, pid) = capture.link.usbIDs, let e = capture.link.endpointBytes else {
                        throw CommandFailure(exitCode: 5, message: "the fixture's link has no USB ids or endpoints")
                    }
                    let scheme: USBEndpointScheme = capture.link.scheme == "split" && e.count == 4
                        ? .split(requestHeaderOut: e[0], requestBodyOut: e[1], replyHeaderIn: e[2], replyBodyIn: e[3])
                        : .single(out: e[0], in: e[1])
                    opened = try LibUSBSAMConnection(vendorID: vid, productID: pid, scheme: scheme,
                                                     inTransferSize: capture.link.inTransferSize ?? 4096)
                }
            } catch let error as SAMTransportError {
                throw CommandFailure(exitCode: 1, message: "the emulated reader: \(error)")
            }
            let recorder = RecordingSAMConnection(opened)
            defer { recorder.close() }
            let client = SAMClient(connection: recorder)
            var identity: CardIdentity?
            do {
                for exchange in capture.exchanges {
                    let command = (try? SAMFrame.body(of: exchange.request)).flatMap { SAMCommand(body: $0) }
                    let recordedStatus = SAMResponse.statusCode(of: exchange.response)
                    if let command, command == .readBase || command == .readWithFingerprint, recordedStatus == command.successStatus {
                        identity = try client.readCard(withFingerprint: command == .readWithFingerprint)
                    } else {
                        do { _ = try recorder.transact(exchange.request, timeout: .milliseconds(1000)) } catch { throw IDCardReadError.transport(error) }
                    }
                }
            } catch let error as IDCardReadError {
                throw CommandFailure(error)
            }
            let seen = recorder.recorded
            for (i, exchange) in capture.exchanges.enumerated() {
                guard i < seen.count, case let .success(response) = seen[i].result, response == exchange.response else {
                    throw CommandFailure(exitCode: 3, message: "reply \(i + 1) (\(exchange.command)) is not the recorded frame")
                }
            }
            guard let identity else { throw CommandFailure(exitCode: 4, message: "the fixture holds no successful card read") }
            let view = CardIdentityView(identity, reveal: false)
            if json {
                struct Output: Encodable { var exchanges: Int; var connection: String; var card: CardIdentityView }
                Console.out(try jsonText(Output(exchanges: seen.count, connection: opened.description, card: view)))
            } else {
                Console.out("replayed \(seen.count) exchanges through \(opened.description): every reply was the recorded frame")
                Console.out(describe(view))
            }
        }
    }
}

/// The path of a program on PATH, or a failure naming the Debian package to install.
func executable(_ name: String, package: String) throws(CommandFailure) -> String {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw CommandFailure(exitCode: 1, message: "\(name) not found: install \(package) (scripts/bootstrap.sh does)")
}
