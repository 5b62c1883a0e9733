import DeviceFixtures
import Foundation
import IDCard
import KioskTestSupport
import Testing

/// A real kioskd with its reader on real libusb, unplugged and plugged back through umockdev's
/// testbed API (`scripts/umockdev/hotplug.py`), watched through the health endpoint.
@Suite struct IDCardHotplugTests {
    @Test func unplugGivesPowerOffAndReplugReopensWithoutRestart() throws {
        let fixture = try ConfigFixture()
        let data = try TemporaryDirectory("hotplug-data")
        defer { fixture.remove(); data.remove() }
        // The reader on USB (split profile); everything else simulated; device states polled often.
        var kiosk = try fixture.read("kiosk.yaml")
        kiosk = kiosk.replacingOccurrences(of: "driver: cups", with: "driver: simulated")
            .replacingOccurrences(of: "    queue: receipt\n", with: "").replacingOccurrences(of: "    queue: ticket\n", with: "")
            .replacingOccurrences(of: "deviceStatusIntervalSeconds: 5", with: "deviceStatusIntervalSeconds: 0.2")
            .replacingOccurrences(of: "  - id: idcard\n    kind: idCardReader\n    driver: simulated",
                                  with: "  - id: idcard\n    kind: idCardReader\n    driver: usb\n    profile: generic-sam-usb-split")
        try fixture.write("kiosk.yaml", kiosk)
        // An idle reader: every find-card answers "no card" (the replay wraps around).
        var sam = SAMSimulator()
        let find = SAMCommand.findCard.frame
        let ioctl = data.file("idle.ioctl")
        try IDCardFixtures.usbIoctl(scheme: .split, exchanges: [(find, sam.respond(to: find))])
            .write(toFile: ioctl, atomically: true, encoding: .utf8)
        let description = data.file("reader.umockdev")
        try IDCardFixtures.usbDescription(scheme: .split).write(toFile: description, atomically: true, encoding: .utf8)

        let port = try ChildProcess.freePort()
        let result = try UMockdev.runWithHandler(
            script: RepoPaths.scripts + "/umockdev/hotplug.py",
            scriptArguments: [description, ioctl, "/dev/bus/usb/001/011", "http://127.0.0.1:\(port)/api/v1/health", "idcard"],
            program: try RepoPaths.binary("kioskd"),
            arguments: ["--config", fixture.directory, "--listen", "127.0.0.1:\(port)", "--data", data.file("kiosk"), "--log-format", "text"],
            timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let steps = result.stdout.split(separator: "\n").filter { $0.hasPrefix("step:") }
        #expect(steps == ["step: idcard online", "step: unplugged", "step: idcard powerOff", "step: plugged back", "step: idcard online"])
        // libusb's hotplug callback saw both events, and the same kioskd re-opened the reader.
        #expect(result.stderr.contains("ID-card reader unplugged (hotplug)"))
        #expect(result.stderr.contains("ID-card reader plugged in"))
        #expect(result.stderr.contains("re-opened after it returned"))
        #expect(result.stderr.components(separatedBy: "kioskd starting").count == 2)
    }
}
