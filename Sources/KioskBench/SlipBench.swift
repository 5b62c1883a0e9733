import DeviceKit
import Foundation
import KioskConfig
import Logging
import Printing
import Slips
import Store

/// Slip figures: layout + ESC/POS with a raster QR (target ≤ 0.35 ms median) and with a native QR
/// (≤ 0.1 ms), a PBM preview with FreeType text (≤ 15 ms), and submit-to-completed through a
/// private cupsd started for the purpose.
enum SlipBench {
    static func acceptanceSlip() -> SlipDocument {
        let context = SlipContext(hallName: "滕州市政务服务中心24小时自助服务区", kioskId: "TZ01", consultationPhone: "0632-12345",
                                  timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        return AcceptanceNotice(filingNumber: "370481-TZ01-20261122-00017", itemName: "城乡居民基本养老保险参保登记",
                                applicantName: "张三", applicantIDNumber: "11010519491231002X",
                                acceptedAt: Date(timeIntervalSince1970: 1_795_327_500), department: "滕州市社会保险事业中心",
                                promisedDeadline: "2026-11-27", promisedTimeLimit: "3个工作日",
                                progressURL: "https://zwfw.tengzhou.gov.cn/kiosk/p/Q7mZ2xK9aB3d").document(context: context)
    }

    static func run(profilesDirectory: String, scratch: String) async throws {
        let raster = try PrinterProfile.load(name: "generic-58mm", profilesDirectory: profilesDirectory)
        let native = try PrinterProfile.load(name: "generic-80mm", profilesDirectory: profilesDirectory)
        let slip = acceptanceSlip()
        let textLines = SlipLayout(slip, profile: raster).lines.filter { if case .text = $0 { true } else { false } }.count
        print("acceptance slip: \(textLines) text lines on 58 mm, one QR")

        let encoder = try EscPosEncoder()
        var bytes = 0
        report("slip → ESC/POS, raster QR (58 mm), layout incl.", try measure(2000) {
            bytes = try encoder.encode(SlipLayout(slip, profile: raster)).count
        })
        print("  (\(bytes) bytes)")
        report("slip → ESC/POS, native QR (80 mm), layout incl.", try measure(2000) {
            bytes = try encoder.encode(SlipLayout(slip, profile: native)).count
        })
        print("  (\(bytes) bytes)")
        let context = SlipContext(hallName: "滕州市政务服务中心", kioskId: "TZ01", consultationPhone: "0632-12345",
                                  timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let json = try Data(contentsOf: URL(fileURLWithPath: profilesDirectory + "/printers/sample-inputs/acceptance.json"))
        report("template JSON → slip → ESC/POS (raster QR)", try measure(1000) {
            bytes = try encoder.encode(SlipLayout(SlipTemplate.acceptance.document(json: json, context: context), profile: raster)).count
        })

        let clock = ContinuousClock()
        let coldStart = clock.now
        let renderer = try SlipBitmapRenderer(rasterizer: GlyphRasterizer(fontPaths: GlyphRasterizer.defaultFontPaths))
        _ = try renderer.render(SlipLayout(slip, profile: raster)).pbm
        print(String(format: "%-46@ %.1f ms (font open + first glyphs)", "slip → PBM preview, cold" as NSString,
                     (clock.now - coldStart).microseconds / 1000))
        report("slip → PBM preview (FreeType text), warm", try measure(200) {
            bytes = try renderer.render(SlipLayout(slip, profile: raster)).pbm.count
        })
        report("slip → PNG preview (libpng), warm", try measure(100) {
            bytes = try renderer.render(SlipLayout(slip, profile: raster)).png().count
        })

        try await submitToCompleted(profilesDirectory: profilesDirectory, scratch: scratch, slip: slip)
    }

    /// Starts a private cupsd (scripts/private-cups.sh) and prints slips through `SlipPrinter`.
    static func submitToCompleted(profilesDirectory: String, scratch: String, slip: SlipDocument) async throws {
        let script = "scripts/private-cups.sh"
        guard FileManager.default.fileExists(atPath: script) else {
            print("scripts/private-cups.sh not found (run from the repository root); skipped submit-to-completed")
            return
        }
        let base = scratch + "/cups"
        // Port 0: the script takes a port the OS says is free, refuses one that is held and adds the
        // queue only to its own cupsd. (A fixed port once re-pointed the `receipt` queue of a test's
        // cupsd that held it, and the bench printed into that test's queue.)
        let start = Process()
        start.executableURL = URL(fileURLWithPath: "/bin/bash")
        start.arguments = [script, "start", base, "0", "receipt"]
        start.standardOutput = FileHandle.nullDevice
        try start.run()
        start.waitUntilExit()
        defer {
            let stop = Process()
            stop.executableURL = URL(fileURLWithPath: "/bin/bash")
            stop.arguments = [script, "stop", base]
            try? stop.run()
            stop.waitUntilExit()
        }
        guard start.terminationStatus == 0,
              let port = (try? String(contentsOfFile: base + "/port", encoding: .utf8)).flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        else {
            print("private cupsd did not start; skipped submit-to-completed")
            return
        }
        let store = try KioskStore.open(directory: scratch + "/print-store")
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let printer = try SlipPrinter(binding: DeviceBinding(id: "receipt", kind: .receiptPrinter, driver: .cups, profile: "generic-58mm",
                                                             queue: "receipt", server: "127.0.0.1:\(port)"),
                                      profilesDirectory: profilesDirectory, store: store, kioskId: "BENCH", logger: logger)
        var samples: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<30 {
            let begin = clock.now
            let outcome = try await printer.print(slip, waitUpTo: .seconds(10))
            let elapsed = clock.now - begin
            guard outcome.state == .completed else {
                print("slip did not complete: \(outcome.state) \(outcome.reason ?? "")")
                return
            }
            samples.append(elapsed.microseconds)
        }
        report("slip submit → job-state 9 (private cupsd)", samples.sorted())
    }
}
