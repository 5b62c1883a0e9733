import Crypto
import DeviceFixtures
import Foundation
import IDCard
import KioskTestSupport
import Testing

/// Field capture of a new reader model: `kioskctl idcard record` on a reader emulated by umockdev
/// (the real libusb / termios driver below it) holding a citizen's card, then `kioskctl idcard
/// replay` of the written fixture through the real driver again. The fixture must keep every
/// frame's structure and checksum and hold nothing of the card that was placed.
@Suite struct FieldCaptureTests {
    /// The card "placed on the reader in the field": nobody's real data, but none of it is in the
    /// sample card the scrubber writes instead, so any of it left in the fixture is a leak.
    static let name = "欧阳明华"
    static let idNumber = "440524188001010014"
    static let address = "广东省汕头市潮阳区海门镇红星村八巷12号"
    static let newerAddress = "广东省汕头市金平区东墩街道长平路88号"
    static let photo: [UInt8] = {
        var random = SplitMix64(seed: 0xC0FFEE)
        return (0..<CardText.photoLength).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }()
    static let card = SAMSimulator.Card(
        text: CardText.encode(type: .resident, values: [
            "name": name, "sex": "1", "nation": "01", "birth": "18800101", "address": address,
            "idNumber": idNumber, "authority": "汕头市公安局潮阳分局", "validFrom": "20150301", "validUntil": "20350301",
        ]),
        photo: photo, latestAddress: newerAddress)

    /// What the record command exchanges with the reader: SAM id and status, one empty poll,
    /// then the card found, selected, read, and its newer address asked for.
    static func fieldExchanges() -> [(request: [UInt8], response: [UInt8])] {
        var sam = SAMSimulator()
        var out: [([UInt8], [UInt8])] = []
        func exchange(_ command: SAMCommand) { out.append((command.frame, sam.respond(to: command.frame))) }
        exchange(.samID)
        exchange(.samStatus)
        exchange(.findCard)
        sam.place(card)
        exchange(.findCard)
        exchange(.selectCard)
        exchange(.readBase)
        exchange(.readLatestAddress)
        return out
    }

    struct ReplayJSON: Decodable {
        struct Card: Decodable {
            var cardType: String
            var name: String?
            var idNumber: String
            var address: String?
            var idNumberValid: Bool
            struct Photo: Decodable { var bytes: Int; var sha256: String }
            var photo: Photo
        }
        var exchanges: Int
        var connection: String
        var card: Card
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02X", $0) }.joined() }
    static func ucs2(_ text: String) -> [UInt8] { text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    /// Records on the emulated reader and returns the fixture's path and text.
    func record(_ transport: String, in dir: TemporaryDirectory) throws -> (path: String, text: String, output: String) {
        let exchanges = Self.fieldExchanges()
        let fixture = dir.file("field-model.capture.json")
        let kioskctl = try RepoPaths.binary("kioskctl")
        let result: ProcessResult
        if transport == "serial" {
            try IDCardFixtures.serialDescription().write(toFile: dir.file("tty.umockdev"), atomically: true, encoding: .utf8)
            try IDCardFixtures.serialScript(exchanges: exchanges).write(to: URL(fileURLWithPath: dir.file("tty.script")))
            result = try UMockdev.run(devices: [dir.file("tty.umockdev")],
                                      scripts: [.serial(node: IDCardFixtures.serialNode, file: dir.file("tty.script"))],
                                      program: kioskctl,
                                      arguments: ["idcard", "record", "--profile", "generic-sam-serial", "--serial", IDCardFixtures.serialNode,
                                                  "--devices", RepoPaths.devices, "--timeout", "5", "-o", fixture], timeout: .seconds(30))
        } else {
            let scheme: IDCardFixtures.USBScheme = transport == "split" ? .split : .single
            try IDCardFixtures.usbDescription(scheme: scheme).write(toFile: dir.file("usb.umockdev"), atomically: true, encoding: .utf8)
            try IDCardFixtures.usbIoctl(scheme: scheme, exchanges: exchanges).write(toFile: dir.file("usb.ioctl"), atomically: true, encoding: .utf8)
            result = try UMockdev.run(devices: [dir.file("usb.umockdev")],
                                      scripts: [.ioctl(node: "/dev/bus/usb/001/011", file: dir.file("usb.ioctl"))],
                                      program: kioskctl,
                                      arguments: ["idcard", "record", "--profile", "generic-sam-usb-\(transport)",
                                                  "--devices", RepoPaths.devices, "--timeout", "5", "-o", fixture], timeout: .seconds(30))
        }
        #expect(result.status == 0, "\(result.stderr)")
        return (fixture, try String(contentsOfFile: fixture, encoding: .utf8), result.stdout + result.stderr)
    }

    @Test(arguments: ["split", "single", "serial"])
    func recordThenReplayRoundTripsWithNoPersonalDatumLeft(_ transport: String) throws {
        let dir = try TemporaryDirectory("field-capture")
        defer { dir.remove() }
        let (fixture, text, output) = try record(transport, in: dir)

        // Nothing of the placed card in the file or on the technician's terminal: as text, as the
        // UCS-2LE the card holds it in (hex, as the file writes frames), nor any 8 bytes of its photo.
        for value in [Self.name, Self.idNumber, Self.address, Self.newerAddress] {
            #expect(!text.contains(value) && !output.contains(value), "\(value) is in the capture")
            #expect(!text.contains(Self.hex(Self.ucs2(value))), "\(value) is in the frames")
            // Even a part of it: the number's digits after the region, the name's given name.
            #expect(!text.contains(Self.hex(Self.ucs2(String(value.dropFirst(2))))))
        }
        for start in stride(from: 0, to: Self.photo.count - 8, by: 8) {
            let chunk = Self.hex(Self.photo[start..<(start + 8)])
            #expect(!text.contains(chunk), "photo bytes \(start)..<\(start + 8) are in the capture")
        }

        // Every frame keeps its structure: same requests, same response lengths and status words,
        // and a checksum that verifies (checked here by hand, not only by the library).
        let capture = try JSONDecoder().decode(SAMCapture.self, from: Data(text.utf8))
        let original = Self.fieldExchanges()
        #expect(capture.format == "onewindow-sam-capture/1")
        #expect(capture.exchanges.count == original.count)
        for (kept, was) in zip(capture.exchanges, original) {
            #expect(kept.request == was.request)
            #expect(kept.response.count == was.response.count)
            #expect(Array(kept.response.prefix(10)) == Array(was.response.prefix(10)), "preamble, length and status words kept")
            let xor = kept.response.dropFirst(5).dropLast().reduce(UInt8(0), ^)
            #expect(xor == kept.response.last, "\(kept.command): checksum")
        }
        #expect(capture.exchanges.map(\.command) == ["SAM id", "SAM status", "find card", "find card", "select card",
                                                      "read text+photo", "read latest address"])

        // The replay: the real driver reads the synthetic card from the fixture under umockdev.
        let replay = try ChildProcess.run(try RepoPaths.binary("kioskctl"), ["idcard", "replay", fixture, "--json"], timeout: .seconds(30))
        #expect(replay.status == 0, "\(replay.stderr)")
        let read = try JSONDecoder().decode(ReplayJSON.self, from: Data(replay.stdout.utf8))
        #expect(read.exchanges == original.count)
        #expect(read.connection.hasPrefix(transport == "serial" ? "serial /dev/ttyS0" : "usb "))
        #expect(read.card.cardType == "resident")
        #expect(read.card.name == "张*")
        #expect(read.card.idNumber == "1101**********002X")
        #expect(read.card.idNumberValid)
        let synthetic = SAMCaptureScrubber.syntheticBlock(length: CardText.photoLength, seed: 0x5A)
        #expect(read.card.photo.bytes == CardText.photoLength)
        #expect(read.card.photo.sha256 == SHA256.hash(data: synthetic).map { String(format: "%02x", $0) }.joined())
    }

    @Test func aFixtureWithABrokenChecksumIsRefusedBeforeAnyReplay() throws {
        let dir = try TemporaryDirectory("field-capture-bad")
        defer { dir.remove() }
        let scrubbed = try SAMCaptureScrubber.scrub(Self.fieldExchanges())
        var exchanges = scrubbed.exchanges
        exchanges[5].response[exchanges[5].response.count - 1] ^= 0x01
        let capture = SAMCapture(profile: "generic-sam-usb-split", recordedOn: "test",
                                 link: .init(transport: "usb", vendorID: "0400", productID: "C35A", scheme: "split",
                                             endpoints: ["0x02", "0x06", "0x81", "0x85"]),
                                 scrubbed: scrubbed.notes, exchanges: exchanges)
        try capture.json().write(to: URL(fileURLWithPath: dir.file("bad.capture.json")))
        let replay = try ChildProcess.run(try RepoPaths.binary("kioskctl"), ["idcard", "replay", dir.file("bad.capture.json")])
        #expect(replay.status == 5)
        #expect(replay.stderr.contains("exchange 6 (read text+photo): response: checksum mismatch"), "\(replay.stderr)")
    }

    @Test func aReadReplyTheScrubberCannotParseIsNeverKept() throws {
        var exchanges = Self.fieldExchanges()
        // A read reply whose announced lengths disagree with its data: where the name is is unknown.
        let broken = SAMResponse.frame(status: .success, data: [0x01, 0x00, 0x04, 0x00] + Array(repeating: 0x41, count: 100))
        exchanges[5].response = broken
        #expect(throws: SAMCaptureError.self) { try SAMCaptureScrubber.scrub(exchanges) }
    }

    @Test func aPadIsRecordedAndReplayedReportForReport() throws {
        let dir = try TemporaryDirectory("pad-capture")
        defer { dir.remove() }
        let pads = RepoPaths.devices + "/evalpads"
        let fixture = dir.file("pad.capture.json")
        let kioskctl = try RepoPaths.binary("kioskctl")
        // The committed HID fixture: every key, a held key, a bounce, then the pad unplugged.
        let recorded = try UMockdev.run(devices: ["\(pads)/generic-hid-5key.umockdev"],
                                        scripts: [.ioctl(node: "/dev/bus/usb/001/012", file: "\(pads)/generic-hid-5key.ioctl")],
                                        program: kioskctl,
                                        arguments: ["pad", "record", "--profile", "generic-hid-5key", "--devices", RepoPaths.devices,
                                                    "--count", "50", "--seconds", "20", "-o", fixture], timeout: .seconds(40))
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(recorded.stdout.contains("recorded 14 reports"), "\(recorded.stdout)")
        let text = try String(contentsOfFile: fixture, encoding: .utf8)
        #expect(text.contains("\"ended\" : \"unplugged\""))

        let replay = try ChildProcess.run(kioskctl, ["pad", "replay", fixture, "--devices", RepoPaths.devices, "--json"], timeout: .seconds(30))
        #expect(replay.status == 0, "\(replay.stderr)")
        struct Key: Decodable { var level: Int; var action: String }
        let keys = try replay.stdout.split(separator: "\n").map { try JSONDecoder().decode(Key.self, from: Data($0.utf8)) }
        #expect(keys.filter { $0.action == "press" }.map(\.level) == [5, 4, 3, 2, 1, 1])
        #expect(keys.filter { $0.action == "repeat" }.map(\.level) == [3, 3])
    }
}
