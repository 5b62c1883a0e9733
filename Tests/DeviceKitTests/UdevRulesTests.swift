import DeviceKit
import Foundation
import KioskTestSupport
import Testing

/// The udev rules made from devices/: the committed file is what the generator makes of the
/// repository's profiles (a golden file), every line is valid udev syntax by a strict parser of
/// udev(7), and adding a profile adds its rule.
@Suite struct UdevRulesTests {
    static let golden = RepoPaths.root + "/deploy/udev/70-onewindow.rules"

    @Test func theCommittedRulesAreWhatTheProfilesMake() throws {
        let made = try UdevRules.generate(profilesDirectory: RepoPaths.root + "/devices", group: "onewindow")
        let committed = try String(contentsOfFile: Self.golden, encoding: .utf8)
        #expect(made == committed, "deploy/udev/70-onewindow.rules is stale: run `make udev-rules` and commit it")
    }

    @Test func everyModelHasAValidRuleWithItsStableName() throws {
        let text = try UdevRules.generate(profilesDirectory: RepoPaths.root + "/devices", group: "onewindow")
        let rules = try UdevRuleParser.parse(text)
        // Every reader, camera and pad profile is named in a rule's comment.
        for folder in ["idcard", "cameras", "evalpads"] {
            let profiles = try FileManager.default.contentsOfDirectory(atPath: RepoPaths.root + "/devices/" + folder)
                .filter { $0.hasSuffix(".yaml") }
            #expect(!profiles.isEmpty)
            for file in profiles {
                let id = folder + "/" + (file as NSString).deletingPathExtension
                #expect(rules.contains { $0.comment.contains(id) }, "no rule for \(id)")
            }
        }
        #expect(Set(rules.map { $0.assignment("SYMLINK", "+=") }) == ["onewindow/idcard", "onewindow/camera", "onewindow/pad"])
        for rule in rules {
            #expect(rule.assignment("GROUP", "=") == "onewindow")
            #expect(rule.assignment("MODE", "=") == "0660")
            #expect(rule.pairs.contains { $0.key == "SUBSYSTEM" && $0.op == "==" }, "\(rule.line)")
        }
        // The USB reader (two profiles, one device) and the HID pad match the usb_device node by id.
        let reader = try #require(rules.first { $0.line.contains("ATTR{idVendor}==\"0400\"") })
        #expect(reader.line.contains("ATTR{idProduct}==\"c35a\"") && reader.line.contains("ENV{DEVTYPE}==\"usb_device\""))
        #expect(reader.comment.contains("idcard/generic-sam-usb-single") && reader.comment.contains("idcard/generic-sam-usb-split"))
        #expect(rules.filter { $0.line.contains("idVendor}==\"0400\"") }.count == 1, "one rule for one device")
        let keyboardPad = try #require(rules.first { $0.comment.contains("evalpads/generic-keyboard-5key") })
        #expect(keyboardPad.line.contains("KERNEL==\"event*\"") && keyboardPad.line.contains("ENV{LIBINPUT_IGNORE_DEVICE}=\"1\""))
    }

    @Test func addingAProfileAddsItsRule() throws {
        let directory = try TemporaryDirectory("udev-profiles")
        defer { directory.remove() }
        try FileManager.default.copyItem(atPath: RepoPaths.root + "/devices", toPath: directory.path + "/devices")
        let before = try UdevRuleParser.parse(UdevRules.generate(profilesDirectory: directory.path + "/devices", group: "kiosk"))
        try """
            name: Acme reader
            transport: usb
            usb: { vendorID: "1D6B", productID: "0A1F" }
            """.write(toFile: directory.path + "/devices/idcard/acme-usb.yaml", atomically: true, encoding: .utf8)
        try """
            name: Acme camera
            capture: { width: 1920, height: 1080, format: mjpeg }
            udev: { subsystem: video4linux, vendorID: "2B16", productID: "00C1" }
            """.write(toFile: directory.path + "/devices/cameras/acme-cam.yaml", atomically: true, encoding: .utf8)
        let after = try UdevRuleParser.parse(UdevRules.generate(profilesDirectory: directory.path + "/devices", group: "kiosk"))
        #expect(after.count == before.count + 2)
        let reader = try #require(after.first { $0.comment.contains("idcard/acme-usb") })
        #expect(reader.line.contains("ATTR{idVendor}==\"1d6b\", ATTR{idProduct}==\"0a1f\""))
        #expect(reader.assignment("SYMLINK", "+=") == "onewindow/idcard" && reader.assignment("GROUP", "=") == "kiosk")
        let camera = try #require(after.first { $0.comment.contains("cameras/acme-cam") })
        #expect(camera.line.contains("ATTRS{idVendor}==\"2b16\"") && camera.line.contains("ATTR{index}==\"0\""))
    }

    @Test func aModelUdevCannotRecogniseIsAnErrorNamingItsFile() throws {
        let directory = try TemporaryDirectory("udev-profiles")
        defer { directory.remove() }
        try FileManager.default.copyItem(atPath: RepoPaths.root + "/devices", toPath: directory.path + "/devices")
        let file = directory.path + "/devices/idcard/bare-serial.yaml"
        try "name: Bare serial\ntransport: serial\nserial: { baud: 9600 }\n".write(toFile: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: UdevRules.Failure.self) {
            try UdevRules.generate(profilesDirectory: directory.path + "/devices", group: "onewindow")
        }
        #expect(error?.description.contains("bare-serial.yaml") == true)
        #expect(error?.description.contains("udev: {subsystem: tty") == true)
        // A wrong subsystem and a malformed id are refused too.
        try "name: B\ntransport: serial\nserial: { baud: 9600 }\nudev: { subsystem: input, vendorID: \"1A86\", productID: \"7523\" }\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: UdevRules.Failure.self) { try UdevRules.generate(profilesDirectory: directory.path + "/devices", group: "onewindow") }
        try "name: B\ntransport: serial\nserial: { baud: 9600 }\nudev: { subsystem: tty, vendorID: \"1A8\", productID: \"7523\" }\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: UdevRules.Failure.self) { try UdevRules.generate(profilesDirectory: directory.path + "/devices", group: "onewindow") }
        #expect(throws: UdevRules.Failure.self) { try UdevRules.generate(profilesDirectory: RepoPaths.root + "/devices", group: "bad group") }
    }

    @Test func theParserRefusesWhatUdevWouldRefuse() {
        for bad in [
            #"SUBSYSTEM="usb", GROUP="onewindow""#,               // a match-only key assigned
            #"SUBSYSTEM=="usb", GROUP=="onewindow""#,             // an assign-only key matched
            #"SUBSYSTEM=="usb", ATTR{idVendor=="0400""#,          // unclosed attribute
            #"SUBSYSTEM=="usb", MODE="0660"#,                     // unclosed value
            #"SUBSYSTEM=="usb" MODE="0660""#,                     // no comma
            #"SUBSYTEM=="usb", MODE="0660""#,                     // unknown key
            #"SUBSYSTEM=="usb", ENV="x""#,                        // ENV needs {name}
            #"SUBSYSTEM=="usb", MODE="660x""#,                    // not an octal mode
            #"MODE="0660""#,                                      // nothing matched: every device
        ] {
            #expect(throws: UdevRuleParser.Failure.self, "accepted: \(bad)") { try UdevRuleParser.parse(bad) }
        }
    }
}

/// A strict reader of udev(7) rule lines (the installed udevadm, systemd 252, has no `verify`):
/// comma-separated `KEY[{attribute}]OPERATOR"value"` pairs; match keys only with `==`/`!=`,
/// assignment keys only with `=`/`+=`/`-=`/`:=`; keys that need an attribute have one.
enum UdevRuleParser {
    struct Failure: Error, CustomStringConvertible { var description: String }
    struct Pair { var key: String; var attribute: String?; var op: String; var value: String }
    struct Rule {
        var line: String
        var comment: String
        var pairs: [Pair]
        func assignment(_ key: String, _ op: String) -> String? { pairs.first { $0.key == key && $0.op == op }?.value }
    }

    static let matchOnly: Set = ["ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER", "DRIVERS", "ATTRS",
                                 "TAGS", "CONST", "TEST", "PROGRAM", "RESULT"]
    static let assignOnly: Set = ["OWNER", "GROUP", "MODE", "SECLABEL", "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS"]
    static let either: Set = ["NAME", "SYMLINK", "ATTR", "SYSCTL", "ENV", "TAG"]
    static let needAttribute: Set = ["ATTR", "ATTRS", "SYSCTL", "ENV", "CONST", "SECLABEL", "IMPORT"]

    static func parse(_ text: String) throws -> [Rule] {
        var rules: [Rule] = []
        var comment = ""
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { comment = ""; continue }
            if line.hasPrefix("#") { comment += line + "\n"; continue }
            do { rules.append(Rule(line: line, comment: comment, pairs: try pairs(line))) } catch let failure as Failure {
                throw Failure(description: "line \(number + 1): \(failure.description): \(line)")
            }
            comment = ""
        }
        return rules
    }

    static func pairs(_ line: String) throws -> [Pair] {
        var pairs: [Pair] = []
        var rest = Substring(line)
        while !rest.isEmpty {
            let keyEnd = rest.firstIndex { !($0.isUppercase || $0 == "_") } ?? rest.endIndex
            let key = String(rest[..<keyEnd])
            guard !key.isEmpty else { throw Failure(description: "a key expected") }
            rest = rest[keyEnd...]
            var attribute: String?
            if rest.hasPrefix("{") {
                guard let close = rest.firstIndex(of: "}") else { throw Failure(description: "\(key){ not closed") }
                attribute = String(rest[rest.index(after: rest.startIndex)..<close])
                guard let attribute, !attribute.isEmpty, !attribute.contains("=") else { throw Failure(description: "bad attribute of \(key)") }
                rest = rest[rest.index(after: close)...]
            }
            guard let op = ["==", "!=", "+=", "-=", ":=", "="].first(where: { rest.hasPrefix($0) }) else {
                throw Failure(description: "an operator expected after \(key)")
            }
            rest = rest.dropFirst(op.count)
            guard rest.hasPrefix("\"") else { throw Failure(description: "the value of \(key) is not quoted") }
            rest = rest.dropFirst()
            guard let closeQuote = rest.firstIndex(of: "\"") else { throw Failure(description: "the value of \(key) is not closed") }
            let value = String(rest[..<closeQuote])
            rest = rest[rest.index(after: closeQuote)...]

            let isMatch = op == "==" || op == "!="
            if matchOnly.contains(key) { guard isMatch else { throw Failure(description: "\(key) can only be matched") } }
            else if assignOnly.contains(key) { guard !isMatch else { throw Failure(description: "\(key) can only be assigned") } }
            else if !either.contains(key) { throw Failure(description: "unknown key \(key)") }
            if needAttribute.contains(key), attribute == nil { throw Failure(description: "\(key) needs {attribute}") }
            if key == "MODE", value.range(of: #"^0?[0-7]{3}$"#, options: .regularExpression) == nil {
                throw Failure(description: "MODE \(value) is not octal")
            }
            if key == "GROUP", value.range(of: #"^[a-z_][a-z0-9_-]*$"#, options: .regularExpression) == nil {
                throw Failure(description: "GROUP \(value) is not a group name")
            }
            pairs.append(Pair(key: key, attribute: attribute, op: op, value: value))
            if rest.isEmpty { break }
            guard rest.hasPrefix(", ") || rest.hasPrefix(",") else { throw Failure(description: "a comma expected after \(key)") }
            rest = rest.drop { $0 == "," || $0 == " " }
        }
        guard pairs.contains(where: { $0.op == "==" || $0.op == "!=" }) else {
            throw Failure(description: "no match key: the rule would apply to every device")
        }
        return pairs
    }
}
