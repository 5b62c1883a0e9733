import DeviceFixtures
import Foundation
import KioskConfig
import KioskTestSupport
import Testing

/// A real kioskd with a HID evaluation pad on real libusb, unplugged and plugged back through
/// umockdev's testbed API (`scripts/umockdev/hotplug.py`), watched through the health endpoint.
@Suite struct EvaluationPadHotplugTests {
    @Test func unplugGivesPowerOffAndReplugReopensWithoutRestart() throws {
        let fixture = try ConfigFixture()
        let data = try TemporaryDirectory("pad-hotplug-data")
        defer { fixture.remove(); data.remove() }
        // The pad on USB HID; printers simulated; device states polled often.
        try fixture.bindPrintersToSimulator()
        try fixture.replaceFirst("deviceStatusIntervalSeconds: 5", with: "deviceStatusIntervalSeconds: 0.2", in: "kiosk.yaml")
        try fixture.replaceFirst("  - id: pad\n    kind: evaluationPad\n    driver: simulated",
                                 with: "  - id: pad\n    kind: evaluationPad\n    driver: hid\n    profile: generic-hid-5key", in: "kiosk.yaml")
        // An idle pad: every interrupt read answers a report with no key down (the replay wraps around).
        let profile = try EvaluationPadProfile.load(name: EvaluationPadFixtures.hidProfileName, profilesDirectory: RepoPaths.devices)
        let hid = try #require(profile.hid)
        let ioctl = data.file("idle.ioctl")
        try EvaluationPadFixtures.hidIoctl(hid, steps: [.release(5)]).write(toFile: ioctl, atomically: true, encoding: .utf8)
        let description = data.file("pad.umockdev")
        try EvaluationPadFixtures.hidDescription(hid).write(toFile: description, atomically: true, encoding: .utf8)

        let port = try ChildProcess.freePort()
        let result = try UMockdev.runWithHandler(
            script: RepoPaths.scripts + "/umockdev/hotplug.py",
            scriptArguments: [description, ioctl, "/dev/bus/usb/001/012", "http://127.0.0.1:\(port)/api/v1/health", "pad"],
            program: try RepoPaths.binary("kioskd"),
            arguments: ["--config", fixture.directory, "--listen", "127.0.0.1:\(port)", "--data", data.file("kiosk"), "--log-format", "text"],
            timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let steps = result.stdout.split(separator: "\n").filter { $0.hasPrefix("step:") }
        #expect(steps == ["step: pad online", "step: unplugged", "step: pad powerOff", "step: plugged back", "step: pad online"])
        // libusb's hotplug callback saw both events (the emulated handle goes on answering after the
        // unplug, as some real ones do: the LEFT event is what drops it), and the same kioskd opened
        // the pad twice: at start and when it came back.
        #expect(result.stderr.contains("evaluation pad unplugged (hotplug)"))
        #expect(result.stderr.contains("evaluation pad plugged in"))
        #expect(result.stderr.components(separatedBy: "evaluation pad opened").count == 3)
        #expect(result.stderr.components(separatedBy: "kioskd starting").count == 2)
    }
}
