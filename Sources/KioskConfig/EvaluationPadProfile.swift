/// An evaluation pad model's profile (`devices/evalpads/<name>.yaml`): how the pad is reached and
/// which of its keys means which level (5 非常满意 … 1 非常不满意). Adding a model is adding a profile.
public struct EvaluationPadProfile: Sendable, Hashable, Codable {
    /// How the pad is read; the binding's driver must match it.
    public enum Transport: String, Sendable, Hashable, Codable {
        /// A USB HID pad read through libusb interrupt transfers.
        case hid
        /// A keyboard-mode pad read from `/dev/input/eventN` (the binding's `path:`).
        case evdev
    }

    /// A USB HID pad: its identity, the interrupt IN endpoint, and how a report names a key.
    public struct HID: Sendable, Hashable, Codable {
        /// Hex, as lsusb prints it ("1A86").
        public var vendorID: String
        public var productID: String
        /// The interface to claim (default 0).
        public var interface: Int?
        /// The interrupt IN endpoint ("0x81").
        public var interruptIn: String
        /// Bytes of one input report (the endpoint's wMaxPacketSize for most pads).
        public var reportSize: Int
        /// How long one interrupt read waits before the driver looks again (default 250 ms).
        public var readTimeoutMilliseconds: Int?
        /// One entry per level: the report names that level's key when `report[byte] == value`.
        /// A report matching no entry means no key is down.
        public var keys: [HIDKey]
        /// Optional output reports (LEDs, beeper) sent on an interrupt OUT endpoint.
        public var output: HIDOutput?

        /// The vendor and product ids as numbers; nil when either is not hex (the profile check says so).
        public var usbIDs: (vendorID: UInt16, productID: UInt16)? {
            guard let vendor = UInt16(vendorID, radix: 16), let product = UInt16(productID, radix: 16) else { return nil }
            return (vendor, product)
        }
    }

    /// A pad's output reports: what lights its "please rate" LED (or beeps), and what puts it out.
    public struct HIDOutput: Sendable, Hashable, Codable {
        /// The interrupt OUT endpoint ("0x02").
        public var endpoint: String
        /// Sent when a rating is asked, as hex bytes ("01 00 00 00 00 00 00 00").
        public var prompt: String
        /// Sent when the prompt ends (and when the pad is opened).
        public var idle: String

        public init(endpoint: String, prompt: String, idle: String) {
            self.endpoint = endpoint
            self.prompt = prompt
            self.idle = idle
        }
    }

    /// A level's key in a HID report.
    public struct HIDKey: Sendable, Hashable, Codable {
        public var level: Int
        public var byte: Int
        public var value: Int

        public init(level: Int, byte: Int, value: Int) {
            self.level = level
            self.byte = byte
            self.value = value
        }
    }

    /// A keyboard-mode pad: which key code means which level.
    public struct Evdev: Sendable, Hashable, Codable {
        /// One entry per level: a key name from linux/input-event-codes.h (`KEY_1`, `KEY_F1`, `KEY_KP1`).
        public var keys: [EvdevKey]
        /// Take the device exclusively (EVIOCGRAB) so its keys never reach the kiosk browser (default true).
        public var grab: Bool?
    }

    /// A level's key on a keyboard-mode pad.
    public struct EvdevKey: Sendable, Hashable, Codable {
        public var level: Int
        public var key: String

        public init(level: Int, key: String) {
            self.level = level
            self.key = key
        }
    }

    public var name: String
    public var transport: Transport
    public var hid: HID?
    public var evdev: Evdev?
    /// Presses closer than this to the previous press count once (default 300 ms).
    public var debounceMilliseconds: Int?
    /// How udev recognises a keyboard-mode pad (its USB ids); a HID pad is known by `hid`.
    public var udev: UdevMatch?

    /// The debounce window in seconds.
    public var debounceSeconds: Double { Double(debounceMilliseconds ?? 300) / 1000 }

    /// `devices/evalpads/<name>.yaml` under `profilesDirectory`.
    public static func path(name: String, profilesDirectory: String) -> String {
        "\(profilesDirectory)/\(DeviceKind.evaluationPad.profileFolder)/\(name).yaml"
    }

    /// Loads and validates a profile; every problem is reported with the file and its line.
    public static func load(name: String, profilesDirectory: String) throws(ConfigError) -> EvaluationPadProfile {
        try load(path: path(name: name, profilesDirectory: profilesDirectory))
    }

    public static func load(path: String) throws(ConfigError) -> EvaluationPadProfile {
        try ProfileLoader.load(EvaluationPadProfile.self, path: path) { $0.problems() }
    }

    /// What is wrong with the profile's values (empty when it can be used).
    public func problems() -> [ProfileProblem] {
        var found: [ProfileProblem] = []
        if let debounce = debounceMilliseconds, !(0...2000).contains(debounce) {
            found.append(ProfileProblem(at: ["debounceMilliseconds"], "debounceMilliseconds must be 0–2000"))
        }
        func checkLevels(_ levels: [Int], at section: String) {
            for (i, level) in levels.enumerated() where !(1...5).contains(level) {
                found.append(ProfileProblem(at: [.key(section), "keys", .index(i), "level"], "level \(level) is not 1–5"))
            }
            for (i, level) in levels.enumerated() where levels.prefix(i).contains(level) {
                found.append(ProfileProblem(at: [.key(section), "keys", .index(i), "level"], "level \(level) has two keys"))
            }
            let missing = (1...5).filter { !levels.contains($0) }
            if !missing.isEmpty {
                found.append(ProfileProblem(at: [.key(section), "keys"],
                                            "every level 1–5 needs a key; missing: \(missing.map(String.init).joined(separator: ", "))"))
            }
        }
        switch transport {
        case .hid:
            guard let hid else {
                found.append(ProfileProblem(at: ["transport"], "a hid pad needs a 'hid:' section"))
                break
            }
            if UInt16(hid.vendorID, radix: 16) == nil { found.append(ProfileProblem(at: ["hid", "vendorID"], "vendorID must be hex (\"1A86\")")) }
            if UInt16(hid.productID, radix: 16) == nil { found.append(ProfileProblem(at: ["hid", "productID"], "productID must be hex (\"E025\")")) }
            if let interface = hid.interface, !(0...31).contains(interface) {
                found.append(ProfileProblem(at: ["hid", "interface"], "interface must be 0–31"))
            }
            if let endpoint = Self.endpointAddress(hid.interruptIn) {
                if endpoint & 0x80 == 0 { found.append(ProfileProblem(at: ["hid", "interruptIn"], "interruptIn must be an IN endpoint (0x81…0x8F)")) }
            } else {
                found.append(ProfileProblem(at: ["hid", "interruptIn"], "interruptIn must be a hex endpoint address such as \"0x81\""))
            }
            if !(1...64).contains(hid.reportSize) { found.append(ProfileProblem(at: ["hid", "reportSize"], "reportSize must be 1–64 bytes")) }
            if let ms = hid.readTimeoutMilliseconds, !(10...5000).contains(ms) {
                found.append(ProfileProblem(at: ["hid", "readTimeoutMilliseconds"], "readTimeoutMilliseconds must be 10–5000"))
            }
            checkLevels(hid.keys.map(\.level), at: "hid")
            if let output = hid.output {
                if let endpoint = Self.endpointAddress(output.endpoint) {
                    if endpoint & 0x80 != 0 { found.append(ProfileProblem(at: ["hid", "output", "endpoint"], "output.endpoint must be an OUT endpoint (0x01…0x0F)")) }
                } else {
                    found.append(ProfileProblem(at: ["hid", "output", "endpoint"], "output.endpoint must be a hex endpoint address such as \"0x02\""))
                }
                for (key, text) in [("prompt", output.prompt), ("idle", output.idle)] {
                    if let bytes = Self.hexBytes(text) {
                        if !(1...64).contains(bytes.count) { found.append(ProfileProblem(at: ["hid", "output", .key(key)], "output.\(key) must be 1–64 bytes")) }
                    } else {
                        found.append(ProfileProblem(at: ["hid", "output", .key(key)], "output.\(key) must be hex bytes such as \"01 00 00 00\""))
                    }
                }
            }
            for (i, key) in hid.keys.enumerated() {
                if !(0..<max(hid.reportSize, 1)).contains(key.byte) {
                    found.append(ProfileProblem(at: ["hid", "keys", .index(i), "byte"], "byte \(key.byte) is outside the \(hid.reportSize)-byte report"))
                }
                if !(1...255).contains(key.value) {
                    found.append(ProfileProblem(at: ["hid", "keys", .index(i), "value"], "value must be 1–255 (0 is no key)"))
                }
                if hid.keys.prefix(i).contains(where: { $0.byte == key.byte && $0.value == key.value }) {
                    found.append(ProfileProblem(at: ["hid", "keys", .index(i)], "two levels have the same byte and value"))
                }
            }
        case .evdev:
            guard let evdev else {
                found.append(ProfileProblem(at: ["transport"], "an evdev pad needs an 'evdev:' section"))
                break
            }
            checkLevels(evdev.keys.map(\.level), at: "evdev")
            for (i, key) in evdev.keys.enumerated() {
                guard let code = EvdevKeyCodes.code(named: key.key) else {
                    found.append(ProfileProblem(at: ["evdev", "keys", .index(i), "key"],
                                                "unknown key '\(key.key)' (use KEY_0…KEY_9, KEY_F1…KEY_F12, KEY_KP0…KEY_KP9, KEY_A…KEY_Z)"))
                    continue
                }
                if evdev.keys.prefix(i).contains(where: { EvdevKeyCodes.code(named: $0.key) == code }) {
                    found.append(ProfileProblem(at: ["evdev", "keys", .index(i), "key"], "\(key.key) is given to two levels"))
                }
            }
        }
        return found
    }

    /// "01 00 FF" or "0100FF" → [0x01, 0x00, 0xFF]; nil when not whole hex bytes.
    public static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = text.filter { !$0.isWhitespace }
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let byte = UInt8(digits[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    /// "0x81" → 0x81.
    public static func endpointAddress(_ text: String) -> UInt8? {
        let lower = text.lowercased()
        guard lower.hasPrefix("0x") else { return nil }
        return UInt8(lower.dropFirst(2), radix: 16)
    }
}

/// Key codes of linux/input-event-codes.h (a stable kernel ABI) that pads send, by name.
public enum EvdevKeyCodes {
    public static let byName: [String: UInt16] = {
        var table: [String: UInt16] = [:]
        // KEY_1 … KEY_9 = 2 … 10, KEY_0 = 11
        for n in 1...9 { table["KEY_\(n)"] = UInt16(1 + n) }
        table["KEY_0"] = 11
        // KEY_F1 … KEY_F10 = 59 … 68, KEY_F11 = 87, KEY_F12 = 88
        for n in 1...10 { table["KEY_F\(n)"] = UInt16(58 + n) }
        table["KEY_F11"] = 87
        table["KEY_F12"] = 88
        // The keypad: KEY_KP7 71, KP8 72, KP9 73, KP4 75, KP5 76, KP6 77, KP1 79, KP2 80, KP3 81, KP0 82
        let keypad: [Int: UInt16] = [7: 71, 8: 72, 9: 73, 4: 75, 5: 76, 6: 77, 1: 79, 2: 80, 3: 81, 0: 82]
        for (digit, code) in keypad { table["KEY_KP\(digit)"] = code }
        // Letters in their keyboard rows.
        let rows: [(String, UInt16)] = [("QWERTYUIOP", 16), ("ASDFGHJKL", 30), ("ZXCVBNM", 44)]
        for (letters, first) in rows {
            for (i, letter) in letters.enumerated() { table["KEY_\(letter)"] = first + UInt16(i) }
        }
        return table
    }()

    public static func code(named name: String) -> UInt16? { byName[name] }

    public static func name(of code: UInt16) -> String? { byName.first { $0.value == code }?.key }
}
