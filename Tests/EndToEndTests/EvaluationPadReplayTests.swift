import DeviceFixtures
import Foundation
import KioskConfig
import KioskTestSupport
import Testing

/// `kioskctl pad` — the real binary, the real libusb and evdev code — against pads emulated by
/// umockdev from fixtures generated from the profiles in devices/evalpads/.
@Suite(.serialized) struct EvaluationPadReplayTests {
    struct Key: Decodable, Equatable {
        var level: Int
        var levelName: String
        var action: String
        var bounce: Bool
    }

    var fixtures: String { RepoPaths.devices + "/evalpads" }
    let hidNode = "/dev/bus/usb/001/012"

    func keys(_ stdout: String) throws -> [Key] {
        try stdout.split(separator: "\n").map { try JSONDecoder().decode(Key.self, from: Data($0.utf8)) }
    }

    func hid(_ arguments: [String], profile: String = "generic-hid-5key", ioctl: String? = nil) throws -> ProcessResult {
        try UMockdev.run(devices: ["\(fixtures)/\(profile).umockdev"],
                         scripts: [.ioctl(node: hidNode, file: ioctl ?? "\(fixtures)/\(profile).ioctl")],
                         program: try RepoPaths.binary("kioskctl"),
                         arguments: ["pad"] + arguments + ["--profile", profile, "--devices", RepoPaths.devices],
                         timeout: .seconds(30))
    }

    func keyboard(_ arguments: [String], profile: String = "generic-keyboard-5key") throws -> ProcessResult {
        try UMockdev.run(devices: ["\(fixtures)/\(profile).umockdev"],
                         scripts: [.evdev(node: EvaluationPadFixtures.evdevNode, file: "\(fixtures)/\(profile).events")],
                         program: try RepoPaths.binary("kioskctl"),
                         arguments: ["pad"] + arguments + ["--profile", profile, "--path", EvaluationPadFixtures.evdevNode,
                                                           "--devices", RepoPaths.devices],
                         timeout: .seconds(30))
    }

    @Test func committedFixturesAreExactlyWhatTheProfilesGenerate() throws {
        let files = try EvaluationPadFixtures.allFiles(devicesDirectory: RepoPaths.devices)
        #expect(files.count == 2 * EvaluationPadFixtures.profileNames(devicesDirectory: RepoPaths.devices).count)
        #expect(files.keys.contains("generic-hid-5key.ioctl") && files.keys.contains("generic-keyboard-5key.events"))
        for (name, data) in files {
            let committed = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(name)"))
            #expect(committed == data, "\(name) differs from the generator: run `make fixtures`")
        }
        // Interrupt URBs (type 1) on the profile's endpoint, one per report, and the unplug as -19.
        let ioctl = String(decoding: files["generic-hid-5key.ioctl"]!, as: UTF8.self)
        #expect(ioctl.contains("USBDEVFS_REAPURBNDELAY 0 1 129 0 0 8 8 0 0100000000000000"))
        #expect(ioctl.contains("USBDEVFS_REAPURBNDELAY 0 1 129 -19 0 8 0 0"))
    }

    /// Every profile in devices/evalpads/ against its generated fixture: presses of every key, a
    /// held key printed once, a bounce marked; a HID pad is then unplugged — libusb's NO_DEVICE
    /// ends the watch with exit 1 and one line on stderr.
    @Test(arguments: EvaluationPadFixtures.profileNames(devicesDirectory: RepoPaths.devices))
    func everyProfilesWatchReplaysEachKeyMarksTheBounceAndAHIDUnplug(_ name: String) throws {
        let profile = try EvaluationPadProfile.load(name: name, profilesDirectory: RepoPaths.devices)
        let result: ProcessResult
        switch profile.transport {
        case .hid:
            result = try hid(["watch", "--json"], profile: name)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr == "kioskctl pad: the pad was unplugged\n")
        case .evdev:
            result = try keyboard(["watch", "--json", "--count", "6"], profile: name)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let printed = try keys(result.stdout)
        #expect(printed.map(\.level) == [5, 4, 3, 2, 1, 1])
        #expect(printed.map(\.levelName) == ["非常满意", "满意", "基本满意", "不满意", "非常不满意", "非常不满意"])
        #expect(printed.map(\.bounce) == [false, false, false, false, false, true])
    }

    @Test func hidWatchAllShowsTheHeldKeysRepeatsAndReleases() throws {
        let result = try hid(["watch", "--json", "--all", "--count", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = try keys(result.stdout)
        #expect(printed.map { "\($0.action) \($0.level)" } ==
                ["press 5", "release 5", "press 4", "release 4", "press 3"])
    }

    /// What a pad sends before any mapping, for writing a new model's profile.
    @Test func rawWatchShowsReportsAndKeyCodes() throws {
        let reports = try hid(["watch", "--raw", "--count", "4"])
        #expect(reports.status == 0, "\(reports.stderr)")
        #expect(reports.stdout.split(separator: "\n").suffix(4) == [
            "report 01 00 00 00 00 00 00 00", "report 00 00 00 00 00 00 00 00",
            "report 02 00 00 00 00 00 00 00", "report 00 00 00 00 00 00 00 00",
        ])
        let codes = try keyboard(["watch", "--raw", "--count", "3"])
        #expect(codes.status == 0, "\(codes.stderr)")
        #expect(codes.stdout.split(separator: "\n").suffix(3) == ["KEY_1 1", "KEY_1 0", "KEY_2 1"])
    }

    @Test func hidPadTestPassesWhenEveryKeyArrives() throws {
        let result = try hid(["test", "--timeout", "5"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("请按「非常满意」键"))
        #expect(result.stdout.contains("✓ 1 非常不满意 正常"))
        #expect(result.stdout.contains("全部 5 个键正常"))
    }

    @Test func hidPadTestNamesTheKeysThatDidNotWork() throws {
        let dir = try TemporaryDirectory("pad-broken-keys")
        defer { dir.remove() }
        let profile = try EvaluationPadProfile.load(name: "generic-hid-5key", profilesDirectory: RepoPaths.devices)
        // A pad whose 满意 and 非常不满意 keys are dead: only the other three ever arrive.
        let ioctl = dir.file("broken.ioctl")
        try EvaluationPadFixtures.hidIoctl(try #require(profile.hid), steps: [.press(5), .release(5), .press(3), .release(3), .press(2), .release(2)])
            .write(toFile: ioctl, atomically: true, encoding: .utf8)
        let result = try hid(["test", "--timeout", "3"], ioctl: ioctl)
        #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("✓ 5 非常满意 正常"))
        #expect(result.stdout.contains("✗ 4 满意 未收到"))
        #expect(result.stdout.contains("✓ 2 不满意 正常"))
        #expect(result.stdout.contains("✗ 1 非常不满意 未收到"))
        #expect(result.stderr == "kioskctl pad: keys that did not work: 4 满意, 1 非常不满意\n")
    }

    /// A pad whose profile has LED output reports: `pad test` sends the prompt report before the
    /// keys and the idle one after them, on the interrupt OUT endpoint; a report the pad does not
    /// take fails the test (exit 1), never silently.
    @Test(arguments: [true, false])
    func hidPadTestSendsTheProfilesOutputReports(_ matching: Bool) throws {
        let dir = try TemporaryDirectory("pad-led")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("evalpads"), withIntermediateDirectories: true)
        var profile = try EvaluationPadProfile.load(name: "generic-hid-5key", profilesDirectory: RepoPaths.devices)
        profile.hid?.output = .init(endpoint: "0x02", prompt: "01 01 00 00 00 00 00 00", idle: "01 00 00 00 00 00 00 00")
        // The shipped profile with an output section added under hid: (before the top-level debounce key).
        let yaml = try String(contentsOfFile: "\(fixtures)/generic-hid-5key.yaml", encoding: .utf8).replacingOccurrences(
            of: "\ndebounceMilliseconds:",
            with: "\n  output:\n    endpoint: \"0x02\"\n    prompt: \"01 01 00 00 00 00 00 00\"\n    idle: \"01 00 00 00 00 00 00 00\"\ndebounceMilliseconds:")
        try yaml.write(toFile: dir.file("evalpads/led-5key.yaml"), atomically: true, encoding: .utf8)
        #expect(try EvaluationPadProfile.load(name: "led-5key", profilesDirectory: dir.path) == profile)

        // What the emulated pad expects: its own idea of the prompt report (a different one when not matching).
        var scripted = try #require(profile.hid)
        if !matching { scripted.output?.prompt = "02 01 00 00 00 00 00 00" }
        let ioctl = dir.file("led.ioctl")
        let steps: [EvaluationPadFixtures.Step] = [.showPrompt] + [5, 4, 3, 2, 1].flatMap { [.press($0), .release($0)] } + [.showIdle]
        try EvaluationPadFixtures.hidIoctl(scripted, steps: steps).write(toFile: ioctl, atomically: true, encoding: .utf8)
        #expect(try String(contentsOfFile: ioctl, encoding: .utf8).contains("USBDEVFS_REAPURBNDELAY 0 1 2 0 0 8 8 0 0\(matching ? 1 : 2)01000000000000"))
        let result = try UMockdev.run(devices: ["\(fixtures)/generic-hid-5key.umockdev"], scripts: [.ioctl(node: hidNode, file: ioctl)],
                                      program: try RepoPaths.binary("kioskctl"),
                                      arguments: ["pad", "test", "--profile", "led-5key", "--devices", dir.path, "--timeout", "3"],
                                      timeout: .seconds(30))
        if matching {
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains("全部 5 个键正常"))
        } else {
            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.hasPrefix("kioskctl pad: the pad's prompt output report failed"))
        }
    }

    @Test func aHIDPadThatIsNotThereExitsOne() throws {
        let result = try UMockdev.run(devices: ["\(RepoPaths.devices)/idcard/generic-sam-usb-split.umockdev"], program: try RepoPaths.binary("kioskctl"),
                                      arguments: ["pad", "watch", "--profile", "generic-hid-5key", "--devices", RepoPaths.devices, "--count", "1"])
        #expect(result.status == 1)
        #expect(result.stderr == "kioskctl pad: no USB device 1a86:e025\n")
    }

    /// The keyboard-mode pad replayed from an evemu recording with real timing: the grab succeeds,
    /// auto-repeats are not presses, the bounce 15 ms after a release is marked.
    @Test func keyboardWatchReadsTheGrabbedInputDevice() throws {
        let result = try keyboard(["watch", "--json", "--all", "--count", "6"])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = try keys(result.stdout)
        #expect(printed.filter { $0.action == "press" }.map(\.level) == [5, 4, 3, 2, 1, 1])
        #expect(printed.filter { $0.action == "press" }.map(\.bounce) == [false, false, false, false, false, true])
        #expect(printed.filter { $0.action == "repeat" }.map(\.level) == [3, 3])
    }

    @Test func keyboardPadTestPasses() throws {
        let result = try keyboard(["test", "--timeout", "5"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("全部 5 个键正常"))
        #expect(result.stdout.contains("evdev /dev/input/event5 (grabbed)"))
    }

    @Test func aKeyboardPadWithoutItsNodeExitsOne() throws {
        let result = try ChildProcess.run(try RepoPaths.binary("kioskctl"),
                                          ["pad", "watch", "--profile", "generic-keyboard-5key", "--path", "/dev/input/event-none",
                                           "--devices", RepoPaths.devices, "--count", "1"])
        #expect(result.status == 1)
        #expect(result.stderr == "kioskctl pad: no input device at /dev/input/event-none\n")
    }
}
