import DeviceFixtures
import Foundation
import IDCard
import KioskTestSupport
import Testing

/// `kioskctl idcard` — the real binary and the real libusb/termios code — against readers
/// emulated by umockdev from fixtures the SAM simulator generated.
@Suite struct IDCardReplayTests {
    struct CardJSON: Decodable {
        var cardType: String
        var name: String?
        var sex: String
        var nation: String?
        var birthDate: String?
        var address: String?
        var idNumber: String
        var validUntil: String?
        var idNumberValid: Bool
        struct Photo: Decodable { var format: String; var bytes: Int; var sha256: String }
        var photo: Photo
    }

    var fixtures: String { RepoPaths.devices + "/idcard" }

    func kioskctl(_ arguments: [String], usb scheme: String, ioctl: String? = nil) throws -> ProcessResult {
        try UMockdev.run(devices: ["\(fixtures)/generic-sam-usb-\(scheme).umockdev"],
                         scripts: [.ioctl(node: "/dev/bus/usb/001/011", file: ioctl ?? "\(fixtures)/generic-sam-usb-\(scheme).read.ioctl")],
                         program: try RepoPaths.binary("kioskctl"), arguments: arguments, timeout: .seconds(30))
    }

    @Test func committedFixturesAreExactlyWhatTheSimulatorGenerates() throws {
        for (name, data) in IDCardFixtures.allFiles() {
            let committed = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(name)"))
            #expect(committed == data, "\(name) differs from the generator: run `make fixtures`")
        }
    }

    @Test(arguments: ["split", "single"])
    func readsACardOverUSBWithTheProfilesScheme(_ scheme: String) throws {
        let result = try kioskctl(["idcard", "read", "--profile", "generic-sam-usb-\(scheme)", "--devices", RepoPaths.devices,
                                   "--json", "--reveal", "--timeout", "5"], usb: scheme)
        #expect(result.status == 0, "\(result.stderr)")
        let card = try JSONDecoder().decode(CardJSON.self, from: Data(result.stdout.utf8))
        #expect(card.cardType == "resident")
        #expect(card.name == "张三")
        #expect(card.idNumber == "11010519491231002X")
        #expect(card.idNumberValid)
        #expect(card.nation == "汉")
        #expect(card.birthDate == "1949-12-31")
        #expect(card.validUntil == "long-term")
        #expect(card.photo.bytes == 1024)
        #expect(card.photo.format == "wlt")
    }

    @Test(arguments: ["split", "single"])
    func detectsTheEndpointSchemeFromTheDescriptors(_ scheme: String) throws {
        let result = try kioskctl(["idcard", "read", "--usb", "0400:C35A", "--json", "--timeout", "5"], usb: scheme)
        #expect(result.status == 0, "\(result.stderr)")
        let card = try JSONDecoder().decode(CardJSON.self, from: Data(result.stdout.utf8))
        // Without --reveal the personal data is masked.
        #expect(card.idNumber == "1101**********002X")
        #expect(card.name == "张*")
        #expect(card.address == "山东省滕州市****")
        #expect(!result.stdout.contains("11010519491231002X"))
    }

    @Test func readsACardOverSerial() throws {
        let result = try UMockdev.run(devices: ["\(fixtures)/generic-sam-serial.umockdev"],
                                      scripts: [.serial(node: IDCardFixtures.serialNode, file: "\(fixtures)/generic-sam-serial.read.script")],
                                      program: try RepoPaths.binary("kioskctl"),
                                      arguments: ["idcard", "read", "--profile", "generic-sam-serial", "--serial", IDCardFixtures.serialNode,
                                                  "--devices", RepoPaths.devices, "--json", "--reveal", "--timeout", "5"])
        #expect(result.status == 0, "\(result.stderr)")
        let card = try JSONDecoder().decode(CardJSON.self, from: Data(result.stdout.utf8))
        #expect(card.idNumber == "11010519491231002X")
        #expect(card.sex == "male")
    }

    @Test(arguments: ["split", "single"])
    func reportsTheSAMIdentity(_ scheme: String) throws {
        let result = try kioskctl(["idcard", "sam", "--usb", "0400:C35A", "--json"], usb: scheme,
                                  ioctl: "\(fixtures)/generic-sam-usb-\(scheme).sam.ioctl")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"samId\":\"\(SAMSimulator().samID)\""))
        #expect(result.stdout.contains("\"status\":\"ok\""))
    }

    @Test func aSAMFaultExitsWithItsStatusNamed() throws {
        let dir = try TemporaryDirectory("idcard-fault")
        defer { dir.remove() }
        let ioctl = dir.file("fault.ioctl")
        let exchanges = IDCardFixtures.readScenario(faults: [(.selectCard, .samSelfTestFailed)])
        try IDCardFixtures.usbIoctl(scheme: .split, exchanges: exchanges).write(toFile: ioctl, atomically: true, encoding: .utf8)
        let result = try kioskctl(["idcard", "read", "--usb", "0400:C35A", "--timeout", "5"], usb: "split", ioctl: ioctl)
        #expect(result.status == 3)
        #expect(result.stderr.contains("SW3 0x60"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test(arguments: ["split", "single"])
    func aReaderUnpluggedDuringTheReadFailsCleanly(_ scheme: String) throws {
        let dir = try TemporaryDirectory("idcard-unplug")
        defer { dir.remove() }
        var sam = SAMSimulator(card: SampleCards.resident)
        let exchanges = [SAMCommand.findCard, .selectCard].map { ($0.frame, sam.respond(to: $0.frame)) }
        let ioctl = dir.file("unplug.ioctl")
        try IDCardFixtures.usbIoctl(scheme: scheme == "split" ? .split : .single, exchanges: exchanges,
                                    unplugDuring: SAMCommand.readBase.frame)
            .write(toFile: ioctl, atomically: true, encoding: .utf8)
        let result = try kioskctl(["idcard", "read", "--usb", "0400:C35A", "--timeout", "5"], usb: scheme, ioctl: ioctl)
        #expect(result.status == 1)
        #expect(result.stderr == "kioskctl idcard: the reader was unplugged\n")
    }

    @Test func noCardInTimeExitsTwo() throws {
        let dir = try TemporaryDirectory("idcard-empty")
        defer { dir.remove() }
        var sam = SAMSimulator()
        let find = SAMCommand.findCard.frame
        let ioctl = dir.file("empty.ioctl")
        try IDCardFixtures.usbIoctl(scheme: .split, exchanges: [(find, sam.respond(to: find))])
            .write(toFile: ioctl, atomically: true, encoding: .utf8)
        let result = try kioskctl(["idcard", "read", "--usb", "0400:C35A", "--timeout", "0.5"], usb: "split", ioctl: ioctl)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("no card"))
    }

    @Test func aMissingReaderExitsOne() throws {
        let result = try kioskctl(["idcard", "read", "--usb", "1234:5678", "--timeout", "1"], usb: "split")
        #expect(result.status == 1)
        #expect(result.stderr.contains("1234:5678"))
    }
}
