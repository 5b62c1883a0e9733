import KioskConfig

/// A thermal printer model (`devices/printers/<name>.yaml`): paper geometry, how it prints Chinese,
/// whether it draws QR codes itself, how it cuts, and what its roll and sensors are.
public struct PrinterProfile: Sendable, Hashable, Codable {
    /// How the printer is switched to Chinese text.
    public enum ChineseMode: String, Sendable, Hashable, Codable {
        /// Chinese mode is on by default: GB18030 bytes print as Chinese.
        case always
        /// Chinese mode must be selected with `FS &` and left with `FS .` (e.g. around images).
        case fsAmpersand
        /// No Chinese font: every line with a non-ASCII character is printed as a raster image.
        case none
    }

    /// Which characters the printer's Chinese font has.
    public enum FontCoverage: String, Sendable, Hashable, Codable {
        /// GB 2312 only (6763 hanzi): rarer characters in names (喆, 堃) fall back to raster.
        case gb2312
        /// Every two-byte GB18030/GBK code.
        case gbk
        /// Two- and four-byte GB18030 (CJK Extension B names such as 𠈌).
        case gb18030
    }

    public struct Text: Sendable, Hashable, Codable {
        public var chineseMode: ChineseMode
        public var coverage: FontCoverage
        /// Width of a half-width (ASCII) cell in dots; a Chinese character takes two cells.
        public var cellWidthDots: Int?
        /// Height of a character in dots (font A: 24).
        public var cellHeightDots: Int?
        /// Distance between baselines in dots (`ESC 3 n`); default 30.
        public var lineSpacingDots: Int?
    }

    public enum CutKind: String, Sendable, Hashable, Codable {
        case full, partial, none
    }

    public struct QR: Sendable, Hashable, Codable {
        /// The printer draws QR codes itself (`GS ( k`); otherwise they are sent as raster images.
        public var native: Bool
        /// Dots per QR module (≥ 4 keeps phone scanners happy).
        public var moduleDots: Int
    }

    public enum Sensors: String, Sendable, Hashable, Codable {
        /// No paper sensor: the paper state is `notSupported`, never guessed.
        case none
        /// Paper-end sensor only.
        case end
        /// Near-end and end sensors: `low` before `out`.
        case nearEndAndEnd
    }

    public struct Paper: Sendable, Hashable, Codable {
        /// Length of a full roll, for the estimate of what remains.
        public var rollLengthMillimetres: Int
        /// Warn staff (paper `low`) when the estimate falls under this.
        public var lowWarningMillimetres: Int
        public var sensors: Sensors
    }

    public var name: String
    public var paperWidthMillimetres: Int
    /// Printable dots per line (58 mm: 384, 80 mm: 576).
    public var dotsPerLine: Int
    /// Dots per millimetre (203 dpi: 8).
    public var dotsPerMillimetre: Int?
    public var text: Text
    public var qr: QR
    public var cut: CutKind
    /// Lines fed before a cut so the last line clears the blade.
    public var feedLinesBeforeCut: Int?
    public var paper: Paper

    public var cellWidth: Int { text.cellWidthDots ?? 12 }
    public var cellHeight: Int { text.cellHeightDots ?? 24 }
    public var lineSpacing: Int { max(text.lineSpacingDots ?? 30, cellHeight) }
    /// Half-width columns per line at normal size (58 mm: 32, 80 mm: 48).
    public var columns: Int { dotsPerLine / cellWidth }
    public var dotsPerMM: Int { dotsPerMillimetre ?? 8 }

    /// Loads `devices/printers/<name>.yaml` under `profilesDirectory`.
    public static func load(name: String, profilesDirectory: String) throws(ConfigError) -> PrinterProfile {
        let path = "\(profilesDirectory)/printers/\(name).yaml"
        let profile = try ProfileLoader.load(PrinterProfile.self, path: path)
        var problems: [String] = []
        if profile.dotsPerLine < 96 || profile.dotsPerLine > 2048 || profile.dotsPerLine % 8 != 0 {
            problems.append("dotsPerLine must be a multiple of 8 between 96 and 2048 (58 mm: 384, 80 mm: 576)")
        }
        if profile.qr.moduleDots < 4 || profile.qr.moduleDots > 16 { problems.append("qr.moduleDots must be 4…16 (phones need at least 4 dots per module)") }
        if profile.cellWidth < 6 || profile.cellHeight < 12 { problems.append("text cell must be at least 6×12 dots") }
        if profile.paper.rollLengthMillimetres <= 0 { problems.append("paper.rollLengthMillimetres must be positive") }
        guard problems.isEmpty else {
            throw ConfigError(diagnostics: problems.map { ConfigDiagnostic(.error, file: path, $0) })
        }
        return profile
    }

    /// The default profile for a printer binding without `profile:`.
    public static func defaultName(for kind: DeviceKind) -> String {
        kind == .ticketPrinter ? "generic-58mm" : "generic-80mm"
    }
}
