import Foundation
import KioskTestSupport
import Testing

/// `scripts/install.sh` (what `make install` runs) into temporary trees: the files land where the
/// units and config say, and systemd itself (`systemd-analyze verify`) finds nothing wrong with the
/// installed units.
@Suite struct InstallTests {
    /// Runs the install script with `environment`, taking the binaries of this build.
    static func install(_ environment: [String: String]) async throws -> ProcessResult {
        let buildDirectory = (try RepoPaths.binary("kioskd") as NSString).deletingLastPathComponent
        let result = try await blocking {
            try ChildProcess.run("/bin/bash", [RepoPaths.scripts + "/install.sh"],
                                 environment: environment.merging(["BUILD_DIR": buildDirectory]) { a, _ in a })
        }
        #expect(result.status == 0, "install.sh failed: \(result.stderr)")
        return result
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
        try await blocking { try ChildProcess.run(executable, arguments) }
    }

    @Test func stagesEverythingUnderDESTDIRAndTouchesNothingElse() async throws {
        let stage = try TemporaryDirectory("install-stage")
        defer { stage.remove() }
        let result = try await Self.install(["DESTDIR": stage.path])
        #expect(result.stdout.contains("no user created"))
        let fm = FileManager.default
        for binary in ["kioskd", "kioskctl"] {
            #expect(fm.isExecutableFile(atPath: stage.file("usr/local/bin/\(binary)")), "\(binary)")
        }
        #expect(fm.isExecutableFile(atPath: stage.file("usr/local/lib/onewindow/kiosk-browser.sh")))
        #expect(fm.isExecutableFile(atPath: stage.file("usr/local/lib/onewindow/kiosk-session.sh")))
        #expect(fm.fileExists(atPath: stage.file("usr/local/share/onewindow/devices/idcard/generic-sam-usb-single.yaml")))
        #expect(fm.fileExists(atPath: stage.file("usr/local/share/doc/onewindow/README.md")))
        // The configuration points at the installed profiles and the state directory.
        let kioskYAML = try String(contentsOfFile: stage.file("etc/onewindow/kiosk.yaml"), encoding: .utf8)
        #expect(kioskYAML.contains("\nprofilesDirectory: /usr/local/share/onewindow/devices\n"))
        #expect(kioskYAML.contains("\ndataDirectory: /var/lib/onewindow "))
        #expect(fm.fileExists(atPath: stage.file("etc/onewindow/calendar")))
        // The units with this installation's paths, and the udev rules from the profiles.
        let unit = try String(contentsOfFile: stage.file("etc/systemd/system/onewindow-kioskd.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/kioskd --config /etc/onewindow --data /var/lib/onewindow"))
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec=30s") && unit.contains("Restart=on-failure"))
        #expect(unit.range(of: "@[A-Z_]+@", options: .regularExpression) == nil, "a placeholder left in the unit")
        let browser = try String(contentsOfFile: stage.file("etc/systemd/system/onewindow-kiosk-browser.service"), encoding: .utf8)
        #expect(browser.contains("After=onewindow-kioskd.service"))
        #expect(browser.contains("ExecStart=/usr/local/lib/onewindow/kiosk-session.sh http://127.0.0.1:8080/"))
        let rules = try String(contentsOfFile: stage.file("etc/udev/rules.d/70-onewindow.rules"), encoding: .utf8)
        #expect(rules == (try String(contentsOfFile: RepoPaths.root + "/deploy/udev/70-onewindow.rules", encoding: .utf8)))

        // A second install keeps the hall's own settings.
        try "# the hall's own\n".write(toFile: stage.file("etc/onewindow/queue.yaml"), atomically: true, encoding: .utf8)
        let again = try await Self.install(["DESTDIR": stage.path])
        #expect(again.stdout.contains("kept /etc/onewindow/queue.yaml"))
        #expect(try String(contentsOfFile: stage.file("etc/onewindow/queue.yaml"), encoding: .utf8) == "# the hall's own\n")
    }

    @Test func systemdFindsNothingWrongWithTheInstalledUnits() async throws {
        let analyze = try ChildProcess.which("systemd-analyze", package: "systemd")
        let root = try TemporaryDirectory("install-root")
        defer { root.remove() }
        // Installed with absolute paths inside the temporary tree, so every ExecStart= exists.
        _ = try await Self.install(["PREFIX": root.file("usr"), "CONFDIR": root.file("etc/onewindow"), "STATEDIR": root.file("state"),
                              "UNITDIR": root.file("units"), "UDEVDIR": root.file("udev"), "SYSTEM_SETUP": "0"])
        // The installed kioskctl finds the installed configuration and profiles valid.
        let check = try await Self.run(root.file("usr/bin/kioskctl"), ["config", "check", "--config", root.file("etc/onewindow")])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let units = ["onewindow-kioskd.service", "onewindow-kiosk-browser.service"].map { root.file("units/" + $0) }
        let verify = try await Self.run(analyze, ["verify", "--man=no"] + units)
        #expect(verify.status == 0)
        // verify only warns (exit 0) about a key it cannot parse: any line it prints is a failure.
        #expect(verify.stdout.isEmpty && verify.stderr.isEmpty, "systemd-analyze verify:\n\(verify.stdout)\(verify.stderr)")

        // The check can fail: a misspelt value is reported.
        let unit = try String(contentsOfFile: units[0], encoding: .utf8)
        try unit.replacingOccurrences(of: "Type=notify", with: "Type=notfy").write(toFile: units[0], atomically: true, encoding: .utf8)
        let broken = try await Self.run(analyze, ["verify", "--man=no"] + units)
        #expect(broken.stderr.contains("Failed to parse service type"), "\(broken.stderr)")
    }
}
