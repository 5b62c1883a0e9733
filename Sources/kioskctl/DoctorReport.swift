import Foundation

/// One finding of `kioskctl doctor`: what was checked, at which UnifiedPOS level, how it stands,
/// and — when it is not ok — what the technician does, in Chinese and English.
struct DoctorFinding: Codable, Sendable {
    enum Level: String, Codable, Sendable { case `internal`, external, interactive }
    enum Status: String, Codable, Sendable, Comparable {
        case ok, skipped, warning, problem
        private var rank: Int { [.ok: 0, .skipped: 1, .warning: 2, .problem: 3][self] ?? 0 }
        static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    /// `config`, `calendar`, `store`, `disk`, `clock`, `cups`, `device:<id>`, `print:<id>`, `card`, `pad`.
    var check: String
    var level: Level
    var status: Status
    var en: String
    var zh: String
    var actionEn: String?
    var actionZh: String?

    static func ok(_ check: String, _ level: Level, en: String, zh: String) -> DoctorFinding {
        DoctorFinding(check: check, level: level, status: .ok, en: en, zh: zh)
    }
}

/// The whole report (`--json` prints it; the bundle keeps it).
struct DoctorReport: Codable, Sendable {
    var kioskId: String?
    var version: String
    var checkedAt: Date
    var findings: [DoctorFinding]
    var problems: Int { findings.filter { $0.status == .problem }.count }
    var warnings: Int { findings.filter { $0.status == .warning }.count }

    /// 0 everything ok; 1 warnings only; 2 at least one problem (the README's table).
    var exitCode: Int32 { problems > 0 ? 2 : warnings > 0 ? 1 : 0 }

    enum CodingKeys: String, CodingKey { case kioskId, version, checkedAt, findings, problems, warnings, exitCode }

    init(kioskId: String?, version: String, checkedAt: Date, findings: [DoctorFinding]) {
        self.kioskId = kioskId
        self.version = version
        self.checkedAt = checkedAt
        self.findings = findings
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kioskId = try c.decodeIfPresent(String.self, forKey: .kioskId)
        version = try c.decode(String.self, forKey: .version)
        checkedAt = try c.decode(Date.self, forKey: .checkedAt)
        findings = try c.decode([DoctorFinding].self, forKey: .findings)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(kioskId, forKey: .kioskId)
        try c.encode(version, forKey: .version)
        try c.encode(checkedAt, forKey: .checkedAt)
        try c.encode(findings, forKey: .findings)
        try c.encode(problems, forKey: .problems)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(exitCode, forKey: .exitCode)
    }

    /// The technician's text: each finding in Chinese and English, the action under it.
    var text: String {
        var lines = ["OneWindow 自检 doctor — kiosk \(kioskId ?? "?") — \(version) — \(checkedAt.formatted(.iso8601))"]
        let titles: [DoctorFinding.Level: String] = [.internal: "内部检查 internal", .external: "设备检查 external",
                                                     .interactive: "交互检查 interactive"]
        for level in [DoctorFinding.Level.internal, .external, .interactive] {
            let ofLevel = findings.filter { $0.level == level }
            guard !ofLevel.isEmpty else { continue }
            lines.append("")
            lines.append(titles[level] ?? level.rawValue)
            for f in ofLevel {
                let mark = ["ok": "[正常 ok]", "skipped": "[跳过 skip]", "warning": "[注意 WARN]", "problem": "[故障 PROBLEM]"][f.status.rawValue] ?? ""
                lines.append("  \(mark) \(f.check): \(f.zh)")
                lines.append("      \(f.en)")
                if let zh = f.actionZh { lines.append("      处理：\(zh)") }
                if let en = f.actionEn { lines.append("      action: \(en)") }
            }
        }
        lines.append("")
        lines.append("结果 result: \(problems) 项故障 problem(s), \(warnings) 项注意 warning(s) — exit \(exitCode)")
        return lines.joined(separator: "\n")
    }
}
