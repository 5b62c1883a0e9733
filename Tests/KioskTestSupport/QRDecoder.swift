import Foundation

/// Decodes QR codes in an image file with `zbarimg` (zbar-tools): the independent check that what
/// the kiosk drew or sent to the printer scans. Fails loudly when zbarimg is missing.
public enum QRDecoder {
    /// Every QR payload zbarimg finds in the PBM/PGM/PNG bytes, one per line of its output.
    public static func decode(imageBytes: [UInt8], suffix: String = "pbm") throws -> [String] {
        let zbarimg = try ChildProcess.which("zbarimg", package: "zbar-tools")
        let dir = try TemporaryDirectory("qr")
        defer { dir.remove() }
        let file = dir.file("image.\(suffix)")
        try Data(imageBytes).write(to: URL(fileURLWithPath: file))
        let result = try ChildProcess.run(zbarimg, ["--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", file])
        if result.status == 4 { return [] }  // none found
        guard result.status == 0 else { throw TestSupportError("zbarimg failed (\(result.status)): \(result.stderr)") }
        return result.stdout.split(separator: "\n").map(String.init)
    }
}
