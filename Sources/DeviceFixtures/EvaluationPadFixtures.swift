import Foundation
import KioskConfig

/// Generates umockdev fixtures for evaluation pads from their profiles: a HID pad's descriptors and
/// interrupt-URB replay built from the profile's report format, and a keyboard-mode pad's input
/// device and evemu event recording from its key codes — never hand-written.
public enum EvaluationPadFixtures {
    /// One thing a technician's hand does to the pad.
    public enum Step: Sendable, Hashable {
        /// The level's key goes down (one report / one EV_KEY value 1).
        case press(Int)
        /// The key that is down is reported again (HID) / auto-repeats (evdev value 2).
        case hold(Int)
        /// The key comes up.
        case release(Int)
        /// The cable is pulled: the pending read fails with -19 (ENODEV). HID only.
        case unplug
        /// The driver sends the profile's prompt / idle output report (interrupt OUT). HID only.
        case showPrompt
        case showIdle
    }

    /// The scenario of the committed fixtures: every key once from 非常满意 to 非常不满意, 基本满意
    /// held (reported again / auto-repeated), and 非常不满意 bounced (up and down again at once),
    /// then — HID only — the pad unplugged.
    public static let watchScenario: [Step] = [
        .press(5), .release(5), .press(4), .release(4),
        .press(3), .hold(3), .hold(3), .release(3),
        .press(2), .release(2),
        .press(1), .release(1), .press(1), .release(1),
        .unplug,
    ]

    public static let hidProfileName = "generic-hid-5key"
    public static let keyboardProfileName = "generic-keyboard-5key"
    public static let hidBus = 1
    public static let hidDevice = 12
    /// The node the keyboard-mode fixture's input device appears at.
    public static let evdevNode = "/dev/input/event5"

    // MARK: HID

    /// Device + configuration descriptors of a HID pad with the profile's interface, interrupt
    /// IN endpoint and report size.
    public static func hidDescriptors(_ hid: EvaluationPadProfile.HID) -> [UInt8] {
        let (vendorID, productID) = hid.usbIDs ?? (0, 0)
        let endpoint = EvaluationPadProfile.endpointAddress(hid.interruptIn) ?? 0x81
        var d: [UInt8] = [0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08,
                          UInt8(vendorID & 0xFF), UInt8(vendorID >> 8), UInt8(productID & 0xFF), UInt8(productID >> 8),
                          0x00, 0x01, 0x00, 0x00, 0x00, 0x01]
        let total = 9 + 9 + 9 + 7
        d += [0x09, 0x02, UInt8(total & 0xFF), UInt8(total >> 8), 0x01, 0x01, 0x00, 0x80, 0x32]
        // Interface: class 3 (HID), no boot subclass, one endpoint.
        d += [0x09, 0x04, UInt8(hid.interface ?? 0), 0x00, 0x01, 0x03, 0x00, 0x00, 0x00]
        // HID descriptor: HID 1.11, one report descriptor of 34 bytes (not fetched by the driver).
        d += [0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x22, 0x00]
        // Interrupt IN endpoint, polled every 10 ms.
        d += [0x07, 0x05, endpoint, 0x03, UInt8(hid.reportSize & 0xFF), UInt8(hid.reportSize >> 8), 0x0A]
        return d
    }

    /// The `.umockdev` description of the pad on bus 1, device 12.
    public static func hidDescription(_ hid: EvaluationPadProfile.HID) -> String {
        UMockdevUSB.description(descriptors: hidDescriptors(hid), vendorID: hid.usbIDs?.vendorID ?? 0,
                                productID: hid.usbIDs?.productID ?? 0, bus: hidBus, device: hidDevice)
    }

    /// The input report with `level`'s key down (all zero for no key).
    public static func report(level: Int?, _ hid: EvaluationPadProfile.HID) -> [UInt8] {
        var report = [UInt8](repeating: 0, count: hid.reportSize)
        if let level, let key = hid.keys.first(where: { $0.level == level }), key.byte < report.count { report[key.byte] = UInt8(key.value) }
        return report
    }

    /// The URB replay (`.ioctl`) of `steps`: one interrupt IN URB per report (urb_type 1), the
    /// unplug as a URB that fails with -19.
    public static func hidIoctl(_ hid: EvaluationPadProfile.HID, steps: [Step]) -> String {
        let endpoint = Int(EvaluationPadProfile.endpointAddress(hid.interruptIn) ?? 0x81)
        var lines = [String(format: "@DEV /dev/bus/usb/%03d/%03d", hidBus, hidDevice), "USBDEVFS_GET_CAPABILITIES 0 FD010000"]
        for step in steps {
            let bytes: [UInt8]
            switch step {
            case let .press(level), let .hold(level): bytes = report(level: level, hid)
            case .release: bytes = report(level: nil, hid)
            case .unplug:
                lines.append("USBDEVFS_REAPURBNDELAY 0 1 \(endpoint) -19 0 \(hid.reportSize) 0 0 ")
                continue
            case .showPrompt, .showIdle:
                guard let output = hid.output, let out = EvaluationPadProfile.endpointAddress(output.endpoint),
                      let report = EvaluationPadProfile.hexBytes(step == .showPrompt ? output.prompt : output.idle) else { continue }
                let hex = report.map { String(format: "%02X", $0) }.joined()
                lines.append("USBDEVFS_REAPURBNDELAY 0 1 \(out) 0 0 \(report.count) \(report.count) 0 \(hex)")
                continue
            }
            let hex = bytes.map { String(format: "%02X", $0) }.joined()
            lines.append("USBDEVFS_REAPURBNDELAY 0 1 \(endpoint) 0 0 \(hid.reportSize) \(bytes.count) 0 \(hex)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The URB replay of recorded reports (`kioskctl pad record`), each one interrupt IN URB as it
    /// came, then the unplug (-19) if the recording ended with one.
    public static func hidIoctl(_ hid: EvaluationPadProfile.HID, reports: [[UInt8]], unplug: Bool) -> String {
        let endpoint = Int(EvaluationPadProfile.endpointAddress(hid.interruptIn) ?? 0x81)
        var lines = [String(format: "@DEV /dev/bus/usb/%03d/%03d", hidBus, hidDevice), "USBDEVFS_GET_CAPABILITIES 0 FD010000"]
        for report in reports {
            let hex = report.map { String(format: "%02X", $0) }.joined()
            lines.append("USBDEVFS_REAPURBNDELAY 0 1 \(endpoint) 0 0 \(hid.reportSize) \(report.count) 0 \(hex)")
        }
        if unplug { lines.append("USBDEVFS_REAPURBNDELAY 0 1 \(endpoint) -19 0 \(hid.reportSize) 0 0 ") }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: evdev

    /// The `.umockdev` description of a keyboard-mode pad's input device at `/dev/input/event5`.
    public static func evdevDescription() -> String {
        """
        P: /devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:1A86:E026.0001/input/input15/event5
        N: input/event5
        E: DEVNAME=/dev/input/event5
        E: SUBSYSTEM=input
        E: ID_INPUT=1
        E: ID_INPUT_KEY=1
        E: ID_INPUT_KEYBOARD=1
        E: MAJOR=13
        E: MINOR=69
        A: dev=13:69

        """
    }

    /// An evemu event recording (`umockdev-run -e`) of `steps` on the profile's key codes: a key
    /// every 400 ms, auto-repeats 40 ms apart, a bounce 15 ms after its release, each event
    /// followed by its SYN_REPORT. Unplug steps are left out (an event recording cannot pull a cable).
    public static func evdevEvents(_ evdev: EvaluationPadProfile.Evdev, steps: [Step]) -> String {
        var lines: [String] = []
        var time = 0.2
        var previous: Step?
        for step in steps {
            let level: Int
            let value: Int
            switch step {
            case let .press(l):
                level = l
                value = 1
                // A press right after the same key's release is a bounce: 15 ms later, not a new touch.
                if case .release(l)? = previous { time += 0.015 } else { time += 0.4 }
            case let .hold(l):
                level = l
                value = 2
                time += 0.04
            case let .release(l):
                level = l
                value = 0
                time += 0.08
            case .unplug, .showPrompt, .showIdle:
                continue
            }
            previous = step
            guard let name = evdev.keys.first(where: { $0.level == level })?.key, let code = EvdevKeyCodes.code(named: name) else { continue }
            let stamp = String(format: "%.6f", time)
            lines.append("E: \(stamp) 0001 \(String(format: "%04x", code)) \(String(format: "%04d", value))")
            lines.append("E: \(stamp) 0000 0000 0000")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: all

    /// The names of every pad profile in `devices/evalpads/`, sorted.
    public static func profileNames(devicesDirectory: String) -> [String] {
        let folder = "\(devicesDirectory)/\(DeviceKind.evaluationPad.profileFolder)"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// Every committed fixture file of `devices/evalpads/`, by name, generated from its profile:
    /// for every HID profile `<name>.umockdev` + `<name>.ioctl`, for every keyboard-mode profile
    /// `<name>.umockdev` + `<name>.events` — so adding a model is adding its profile and running
    /// `make fixtures`, and the replay tests cover it.
    public static func allFiles(devicesDirectory: String) throws(ConfigError) -> [String: Data] {
        var files: [String: Data] = [:]
        for name in profileNames(devicesDirectory: devicesDirectory) {
            let profile = try EvaluationPadProfile.load(name: name, profilesDirectory: devicesDirectory)
            if let hid = profile.hid, profile.transport == .hid {
                files["\(name).umockdev"] = Data(hidDescription(hid).utf8)
                files["\(name).ioctl"] = Data(hidIoctl(hid, steps: watchScenario).utf8)
            }
            if let evdev = profile.evdev, profile.transport == .evdev {
                files["\(name).umockdev"] = Data(evdevDescription().utf8)
                files["\(name).events"] = Data(evdevEvents(evdev, steps: watchScenario).utf8)
            }
        }
        return files
    }
}
