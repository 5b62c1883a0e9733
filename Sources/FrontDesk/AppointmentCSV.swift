import Foundation
import Workflow

/// A file of appointments (预约) staff drop in when the platform cannot send them:
/// `kioskctl queue appointments import FILE.csv`. UTF-8 (a BOM is skipped), one header line naming
/// the columns `id,idNumber,category,day,slot` (any order; `slot` optional), then one appointment a
/// line; fields may be quoted (`"…"`, `""` for a quote). Every bad line is named with its line
/// number and what is wrong, and the ID number is never repeated in full.
public enum AppointmentCSV {
    /// One bad line: where and why.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    static let required = ["id", "idNumber", "category", "day"]

    /// Parses the file. `categories` are the queue's category codes; `isValidIDNumber` checks a
    /// number's GB 11643 check character (the ID-card module's check).
    public static func parse(_ text: String, categories: Set<String>,
                             isValidIDNumber: (String) -> Bool) -> (appointments: [Appointment], problems: [Problem]) {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = String(first.dropFirst()) }
        guard let headerLine = lines.first, !headerLine.trimmingCharacters(in: .whitespaces).isEmpty else {
            return ([], [Problem(line: 1, message: "the file is empty: the first line must name the columns \(required.joined(separator: ",")),slot")])
        }
        var problems: [Problem] = []
        let header: [String]
        switch fields(of: headerLine) {
        case let .success(h): header = h.map { $0.trimmingCharacters(in: .whitespaces) }
        case let .failure(p): return ([], [Problem(line: 1, message: p.message)])
        }
        let missing = required.filter { !header.contains($0) }
        let unknown = header.filter { !(required + ["slot"]).contains($0) }
        if !missing.isEmpty || !unknown.isEmpty {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing column(s) \(missing.joined(separator: ", "))") }
            if !unknown.isEmpty { parts.append("unknown column(s) \(unknown.joined(separator: ", "))") }
            return ([], [Problem(line: 1, message: parts.joined(separator: "; ") + " (expected id,idNumber,category,day,slot)")])
        }
        let column = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        var appointments: [Appointment] = []
        var seen: [String: Int] = [:]
        for (offset, raw) in lines.enumerated().dropFirst() {
            let number = offset + 1
            if raw.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let values: [String]
            switch fields(of: raw) {
            case let .success(v): values = v.map { $0.trimmingCharacters(in: .whitespaces) }
            case let .failure(p):
                problems.append(Problem(line: number, message: p.message))
                continue
            }
            guard values.count == header.count else {
                problems.append(Problem(line: number, message: "\(values.count) fields, the header has \(header.count)"))
                continue
            }
            func value(_ name: String) -> String { column[name].map { values[$0] } ?? "" }
            var reasons: [String] = []
            let id = value("id")
            if id.isEmpty || id.count > 64 { reasons.append("id must be 1–64 characters") }
            if let earlier = seen[id], !id.isEmpty { reasons.append("id \(id) is already on line \(earlier)") }
            let idNumber = value("idNumber").uppercased()
            if idNumber.count != 18 || !isValidIDNumber(idNumber) {
                reasons.append("idNumber \(masked(idNumber)) is not a valid 18-character ID number (GB 11643)")
            }
            let category = value("category")
            if !categories.contains(category) {
                reasons.append("category '\(category)' is not in queue.yaml (\(categories.sorted().joined(separator: ", ")))")
            }
            let day = CivilDate(iso: value("day"))
            if day == nil { reasons.append("day '\(value("day"))' is not a date YYYY-MM-DD") }
            let slot = value("slot")
            if !slot.isEmpty, !isSlot(slot) { reasons.append("slot '\(slot)' is not HH:MM or HH:MM-HH:MM") }
            if !reasons.isEmpty {
                problems.append(Problem(line: number, message: reasons.joined(separator: "; ")))
                continue
            }
            seen[id] = number
            appointments.append(Appointment(id: id, idNumber: idNumber, category: category, day: day!, slot: slot.isEmpty ? nil : slot))
        }
        return (appointments, problems)
    }

    /// A number as problems show it: the first 4 and last 4 characters (never the whole number).
    static func masked(_ number: String) -> String {
        number.count <= 8 ? String(repeating: "*", count: number.count) : number.prefix(4) + String(repeating: "*", count: number.count - 8) + number.suffix(4)
    }

    /// `09:30` or `09:30-10:00`, hours 00–23, minutes 00–59.
    static func isSlot(_ text: String) -> Bool {
        func time(_ t: Substring) -> Bool {
            let parts = t.split(separator: ":")
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
                  let h = Int(parts[0]), let m = Int(parts[1]) else { return false }
            return (0...23).contains(h) && (0...59).contains(m)
        }
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        return (1...2).contains(ends.count) && ends.allSatisfy(time)
    }

    struct FieldProblem: Error { var message: String }

    /// The fields of one line (RFC 4180 quoting).
    static func fields(of line: String) -> Result<[String], FieldProblem> {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var chars = line.makeIterator()
        var atFieldStart = true
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    // A doubled quote is a quote; a single one ends the quoted part.
                    var lookahead = chars
                    if lookahead.next() == "\"" { current.append("\""); chars = lookahead } else { quoted = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" && atFieldStart {
                quoted = true
                atFieldStart = false
            } else if c == "," {
                fields.append(current)
                current = ""
                atFieldStart = true
            } else {
                current.append(c)
                atFieldStart = false
            }
        }
        if quoted { return .failure(FieldProblem(message: "a quoted field is not closed")) }
        fields.append(current)
        return .success(fields)
    }
}
