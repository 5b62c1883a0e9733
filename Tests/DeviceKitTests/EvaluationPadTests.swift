import Foundation
import KioskConfig
import KioskTestSupport
import Logging
import Synchronization
import Testing
@testable import DeviceKit

/// The evaluation pad below the rating logic: profiles, report and key decoding, and the device's
/// open / read / unplug / re-plug cycle over the in-process pad.
@Suite struct EvaluationPadTests {
    // MARK: profiles

    @Test func theShippedProfilesLoad() throws {
        let hid = try EvaluationPadProfile.load(name: "generic-hid-5key", profilesDirectory: RepoPaths.devices)
        #expect(hid.transport == .hid)
        #expect(hid.hid?.reportSize == 8)
        #expect(Set(hid.hid?.keys.map(\.level) ?? []) == [1, 2, 3, 4, 5])
        let keyboard = try EvaluationPadProfile.load(name: "generic-keyboard-5key", profilesDirectory: RepoPaths.devices)
        #expect(keyboard.transport == .evdev)
        #expect(keyboard.evdev?.keys.first { $0.level == 5 }?.key == "KEY_1")
        #expect(keyboard.debounceSeconds == 0.3)
    }

    @Test func aBadProfileNamesFileLineAndEveryProblem() throws {
        let dir = try TemporaryDirectory("evalpad-profile")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("evalpads"), withIntermediateDirectories: true)
        try """
            name: broken
            transport: hid
            hid:
              vendorID: "1A86"
              productID: "XYZ"
              interruptIn: "0x01"
              reportSize: 8
              keys:
                - { level: 5, byte: 0, value: 1 }
                - { level: 6, byte: 0, value: 2 }
                - { level: 4, byte: 9, value: 3 }
                - { level: 3, byte: 0, value: 1 }
            """.write(toFile: dir.file("evalpads/broken.yaml"), atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigError.self) {
            try EvaluationPadProfile.load(name: "broken", profilesDirectory: dir.path)
        }
        let lines = error.errors.map(\.description)
        let file = dir.file("evalpads/broken.yaml")
        #expect(lines.contains { $0.hasPrefix("\(file):5:") && $0.contains("productID must be hex") })
        #expect(lines.contains { $0.hasPrefix("\(file):6:") && $0.contains("interruptIn must be an IN endpoint") })
        #expect(lines.contains { $0.hasPrefix("\(file):10:") && $0.contains("level 6 is not 1–5") })
        #expect(lines.contains { $0.hasPrefix("\(file):11:") && $0.contains("byte 9 is outside the 8-byte report") })
        #expect(lines.contains { $0.hasPrefix("\(file):12:") && $0.contains("same byte and value") })
        #expect(lines.contains { $0.contains("missing: 1, 2") })
    }

    @Test func outputReportsAreCheckedAndParsed() throws {
        let dir = try TemporaryDirectory("evalpad-output")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("evalpads"), withIntermediateDirectories: true)
        let keys = (1...5).map { "    - { level: \($0), byte: 0, value: \(6 - $0) }" }.joined(separator: "\n")
        func write(_ output: String) throws {
            try """
                name: led
                transport: hid
                hid:
                  vendorID: "1A86"
                  productID: "E025"
                  interruptIn: "0x81"
                  reportSize: 8
                  keys:
                \(keys)
                  output:
                \(output)
                """.write(toFile: dir.file("evalpads/led.yaml"), atomically: true, encoding: .utf8)
        }
        try write("""
                endpoint: "0x81"
                prompt: "01 0"
                idle: "00 00 zz"
            """)
        let error = try #require(throws: ConfigError.self) { try EvaluationPadProfile.load(name: "led", profilesDirectory: dir.path) }
        let lines = error.errors.map(\.description)
        #expect(lines.contains { $0.contains(":15:") && $0.contains("output.endpoint must be an OUT endpoint") })
        #expect(lines.contains { $0.contains(":16:") && $0.contains("output.prompt must be hex bytes") })
        #expect(lines.contains { $0.contains(":17:") && $0.contains("output.idle must be hex bytes") })
        try write("""
                endpoint: "0x02"
                prompt: "01 00 00 00 00 00 00 00"
                idle: "0000000000000000"
            """)
        let profile = try EvaluationPadProfile.load(name: "led", profilesDirectory: dir.path)
        #expect(EvaluationPadProfile.hexBytes(try #require(profile.hid?.output?.prompt)) == [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(EvaluationPadProfile.hexBytes("0A ff") == [0x0A, 0xFF])
        #expect(EvaluationPadProfile.hexBytes("0A f") == nil)
        #expect(EvaluationPadProfile.hexBytes("") == nil)
    }

    @Test func aTypoOrAnUnknownKeyNameIsAnError() throws {
        let dir = try TemporaryDirectory("evalpad-typo")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("evalpads"), withIntermediateDirectories: true)
        try """
            name: typo
            transport: evdev
            evdev:
              keys:
                - { level: 5, key: KEY_1 }
                - { level: 4, key: KEY_2 }
                - { level: 3, key: KEY_3 }
                - { level: 2, key: KEY_FOUR }
                - { level: 1, key: KEY_2 }
            """.write(toFile: dir.file("evalpads/typo.yaml"), atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigError.self) { try EvaluationPadProfile.load(name: "typo", profilesDirectory: dir.path) }
        let lines = error.errors.map(\.description)
        #expect(lines.contains { $0.contains(":8:") && $0.contains("unknown key 'KEY_FOUR'") })
        #expect(lines.contains { $0.contains(":9:") && $0.contains("KEY_2 is given to two levels") })

        try """
            name: typo
            transport: evdev
            debounceMiliseconds: 200
            evdev:
              keys: []
            """.write(toFile: dir.file("evalpads/typo.yaml"), atomically: true, encoding: .utf8)
        let unknown = try #require(throws: ConfigError.self) { try EvaluationPadProfile.load(name: "typo", profilesDirectory: dir.path) }
        #expect(unknown.errors.first?.description.contains("debounceMiliseconds") == true)
        #expect(unknown.errors.first?.line == 3)
    }

    // MARK: decoding

    var hidKeys: [EvaluationPadProfile.HIDKey] { (1...5).map { .init(level: $0, byte: 2, value: 0x10 * (6 - $0)) } }

    @Test func hidReportsBecomePressesRepeatsAndReleases() {
        var decoder = HIDReportDecoder(keys: hidKeys)
        func report(_ value: UInt8) -> [UInt8] { [0, 0, value, 0, 0, 0, 0, 0] }
        let reports: [[UInt8]] = [report(0), report(0x10), report(0x10), report(0x50), report(0), report(0x77), [0x10]]
        let decoded = reports.map { decoder.decode($0) }
        #expect(decoded == [
            [],
            [.init(level: 5, action: .press)],
            [.init(level: 5, action: .repeat)],
            // Rolling from one key to another without an empty report between.
            [.init(level: 5, action: .release), .init(level: 1, action: .press)],
            [.init(level: 1, action: .release)],
            // A value no key has, and a report too short to hold the byte, are "no key".
            [],
            [],
        ])
        #expect(decoder.down == nil)
    }

    @Test func evdevKeyEventsOfTheProfilesCodesOnly() {
        let decoder = EvdevKeyDecoder(keys: [.init(level: 5, key: "KEY_F1"), .init(level: 1, key: "KEY_KP5")])
        #expect(decoder.decode(type: 1, code: 59, value: 1) == .init(level: 5, action: .press))
        #expect(decoder.decode(type: 1, code: 59, value: 2) == .init(level: 5, action: .repeat))
        #expect(decoder.decode(type: 1, code: 76, value: 0) == .init(level: 1, action: .release))
        #expect(decoder.decode(type: 1, code: 30, value: 1) == nil)    // KEY_A: not the pad's
        #expect(decoder.decode(type: 0, code: 0, value: 0) == nil)     // SYN_REPORT
        #expect(decoder.decode(type: 4, code: 4, value: 59) == nil)    // EV_MSC scan code
        #expect(EvdevKeyCodes.code(named: "KEY_5") == 6)
        #expect(EvdevKeyCodes.code(named: "KEY_0") == 11)
        #expect(EvdevKeyCodes.code(named: "KEY_F12") == 88)
        #expect(EvdevKeyCodes.code(named: "KEY_Q") == 16)
        #expect(EvdevKeyCodes.code(named: "KEY_M") == 50)
    }

    @Test func theBounceFilterIsPerKey() {
        var filter = PadBounceFilter(window: .milliseconds(300))
        let t0 = ContinuousClock.now
        let presses: [(Int, Duration)] = [(1, .zero), (1, .milliseconds(20)), (2, .milliseconds(30)), (1, .milliseconds(400))]
        let bounces = presses.map { filter.isBounce(level: $0.0, at: t0 + $0.1) }
        #expect(bounces == [false, true, false, false])
    }

    // MARK: the device

    final class Inputs: Sendable {
        let items = Mutex<[PadInput]>([])
        var all: [PadInput] { items.withLock { $0 } }
    }

    let binding = DeviceBinding(id: "pad", kind: .evaluationPad, driver: .simulated)

    @Test func keysReachTheHandlerBeforePollReturns() async {
        let pad = EvaluationPadDevice(simulatedBinding: binding, logger: Logger(label: "test"))
        let inputs = Inputs()
        pad.attach { input in inputs.items.withLock { $0.append(input) } }
        #expect(await pad.checkStatus().status == .starting)
        await pad.pollOnce()
        #expect(await pad.checkStatus().status == .online)
        #expect(inputs.all.isEmpty)
        pad.simulator?.press(level: 2, repeats: 2)
        await pad.pollOnce()
        #expect(inputs.all == [.key(.init(level: 2, action: .press)), .key(.init(level: 2, action: .repeat)),
                               .key(.init(level: 2, action: .repeat)), .key(.init(level: 2, action: .release))])
        #expect(pad.counters.keyEvents == 4)
    }

    @Test func aReadWaitsForAKeyUpToItsTimeout() async {
        let pad = EvaluationPadDevice(simulatedBinding: binding, logger: Logger(label: "test"))
        let inputs = Inputs()
        pad.attach { input in inputs.items.withLock { $0.append(input) } }
        await pad.pollOnce()
        let clock = ContinuousClock()
        let start = clock.now
        await pad.pollOnce(timeout: .milliseconds(150))
        #expect(clock.now - start >= .milliseconds(140))
        let presser = Task {
            try await Task.sleep(for: .milliseconds(50))
            pad.simulator?.press(level: 4)
        }
        // Woken by the key, not by the read's timeout: it returns before the timeout with the key.
        // The whole suite runs in parallel on two cores and shares one bounded blocking pool, so the
        // read may wait a long while for a thread (64 s and 84 s were seen): the bound is the read's
        // own timeout, which only a read the key did not wake reaches.
        let readTimeout: Duration = .seconds(300)
        let readStart = clock.now
        await pad.pollOnce(timeout: readTimeout)
        #expect(clock.now - readStart < readTimeout)
        #expect(inputs.all.first == .key(.init(level: 4, action: .press)))
        _ = await presser.result
    }

    /// The pad's own loop reads back to back; a caller that wants a read now (the simulator route,
    /// a staff reset) must still get one promptly, not wait behind the loop forever.
    @Test func aCallerIsNotStarvedByThePadsOwnLoop() async throws {
        let pad = EvaluationPadDevice(simulatedBinding: binding, logger: Logger(label: "test"))
        let inputs = Inputs()
        pad.attach { input in inputs.items.withLock { $0.append(input) } }
        let loop = Task { try await pad.run() }
        defer { loop.cancel() }
        try await Task.sleep(for: .milliseconds(100))
        for level in [3, 4, 5] {
            pad.simulator?.press(level: level)
            // Starved, pollOnce never returns (it did not in 20 s before the fix); served, it returns
            // after at most the loop's read under way — seconds at worst when the whole suite runs
            // in parallel on two shared cores, so the bound is generous.
            let returned = await withTaskGroup(of: Bool.self) { group in
                group.addTask { await pad.pollOnce(); return true }
                group.addTask { try? await Task.sleep(for: .seconds(60)); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(returned, "pollOnce waited behind the pad's loop for 60 s")
            // Handled (by the loop's read or by this one) before pollOnce returned.
            #expect(inputs.all.contains(.key(.init(level: level, action: .press))))
        }
    }

    @Test func unplugIsAnnouncedOnceAndReplugReopens() async {
        let pad = EvaluationPadDevice(simulatedBinding: binding, logger: Logger(label: "test"))
        let inputs = Inputs()
        pad.attach { input in inputs.items.withLock { $0.append(input) } }
        await pad.pollOnce()
        pad.simulator?.setUnplugged(true)
        let wait = await pad.pollOnce()
        var report = await pad.checkStatus()
        #expect(report.status == .powerOff)
        #expect(report.action == .maintenance)
        #expect(wait > .zero)
        await pad.pollOnce()    // still gone: re-open fails, nothing announced again
        #expect(await pad.checkStatus().status == .powerOff)
        #expect(inputs.all.count == 1)
        guard case .unavailable? = inputs.all.first else {
            Issue.record("expected .unavailable, got \(inputs.all)")
            return
        }
        pad.simulator?.setUnplugged(false)
        pad.simulator?.press(level: 5)
        await pad.pollOnce()
        report = await pad.checkStatus()
        #expect(report.status == .online)
        #expect(Array(inputs.all.dropFirst()) == [.available, .key(.init(level: 5, action: .press)), .key(.init(level: 5, action: .release))])
        #expect(pad.counters.unplugs == 1)
    }

    @Test func theWantedSignalIsShownBeforeTheNextReadAndAgainAfterAReopen() async {
        let pad = EvaluationPadDevice(simulatedBinding: binding, logger: Logger(label: "test"))
        let simulator = pad.simulator!
        await pad.pollOnce()
        #expect(simulator.signals == [.idle])       // a freshly opened pad is put out
        pad.indicate(.prompt)
        pad.indicate(.prompt)
        await pad.pollOnce()
        await pad.pollOnce()
        #expect(simulator.signals == [.idle, .prompt])   // once, not at every read
        simulator.setUnplugged(true)
        await pad.pollOnce()
        simulator.setUnplugged(false)
        await pad.pollOnce()
        #expect(simulator.signals == [.idle, .prompt, .prompt])   // re-sent to the re-opened pad
        pad.indicate(.idle)
        await pad.pollOnce()
        #expect(simulator.signals.last == .idle)
    }

    @Test func aPadThatWasNeverThereIsNoDeviceAndABadBindingIsAConfigurationError() async throws {
        let pad = EvaluationPadDevice(binding: DeviceBinding(id: "pad", kind: .evaluationPad, driver: .evdev, path: "/dev/input/event99"),
                                      opener: { () throws(PadTransportError) -> any PadConnection in throw .notFound("no input device at /dev/input/event99") },
                                      logger: Logger(label: "test"))
        await pad.pollOnce()
        let report = await pad.checkStatus()
        #expect(report.status == .noDevice)
        #expect(report.action == .configuration)
        #expect(report.detail?.contains("/dev/input/event99") == true)

        // A hid binding given a keyboard-mode profile is refused with what to change.
        let devices = DeviceFactory.makeDevices(
            for: [DeviceBinding(id: "pad", kind: .evaluationPad, driver: .hid, profile: "generic-keyboard-5key")],
            profilesDirectory: RepoPaths.devices, logger: Logger(label: "test"))
        let misbound = await devices[0].checkStatus()
        #expect(misbound.status == .noDevice)
        #expect(misbound.detail?.contains("bind it with driver: evdev") == true)
    }

    /// The real evdev driver on a node that is not an input device (a FIFO): the grab ioctl fails
    /// and is reported, the descriptor is closed.
    @Test func evdevOnANonInputNodeIsRefused() throws {
        let dir = try TemporaryDirectory("evdev-fifo")
        defer { dir.remove() }
        let path = dir.file("event0")
        #expect(mkfifo(path, 0o600) == 0)
        let profile = try EvaluationPadProfile.load(name: "generic-keyboard-5key", profilesDirectory: RepoPaths.devices)
        #expect(throws: PadTransportError.self) { try EvdevPadConnection(path: path, profile: profile) }
        #expect(throws: PadTransportError.notFound("no input device at \(dir.file("missing"))")) {
            try EvdevPadConnection(path: dir.file("missing"), profile: profile)
        }
    }
}
