/// A filing number (办件编号), unique across every kiosk of the country without coordination:
///
///     370481-TZ01-20261122-00017
///     └region┘ └kiosk┘ └─day──┘ └seq┘
///
/// - region: the kiosk's six-digit GB/T 2260 division code;
/// - kiosk: the kiosk id (2–8 of A–Z/0–9), unique within the region;
/// - day: the numbering day `YYYYMMDD` in hall time;
/// - seq: the day's sequence, at least five digits, from 00001.
///
/// The pair (day, seq) only ever increases at one kiosk (see `FilingNumberSequence`), so a number
/// is never issued twice, across restarts and even if the clock steps backwards.
public struct FilingNumber: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var regionCode: String
    public var kioskID: String
    public var day: CivilDate
    public var sequence: Int

    public init(regionCode: String, kioskID: String, day: CivilDate, sequence: Int) {
        self.regionCode = regionCode
        self.kioskID = kioskID
        self.day = day
        self.sequence = sequence
    }

    /// Parses the printed form; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].count == 6, parts[0].allSatisfy(\.isPlainDigit),
              (2...8).contains(parts[1].count),
              parts[1].allSatisfy({ $0.isPlainDigit || $0.isPlainCapital }),
              parts[2].count == 8, let y = Int(parts[2].prefix(4)), let m = Int(parts[2].dropFirst(4).prefix(2)),
              let d = Int(parts[2].suffix(2)), let day = CivilDate(year: y, month: m, day: d),
              parts[3].count >= 5, parts[3].allSatisfy(\.isPlainDigit), let seq = Int(parts[3]), seq >= 1
        else { return nil }
        self.init(regionCode: String(parts[0]), kioskID: String(parts[1]), day: day, sequence: seq)
        guard description == text else { return nil }  // one printed form per number (no extra leading zeros)
    }

    public var description: String {
        let digits = String(sequence)
        let padded = String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        return "\(regionCode)-\(kioskID)-\(day.compactDescription)-\(padded)"
    }

    public static func < (a: FilingNumber, b: FilingNumber) -> Bool {
        (a.regionCode, a.kioskID, a.day, a.sequence) < (b.regionCode, b.kioskID, b.day, b.sequence)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let number = FilingNumber(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a filing number: \(text)"))
        }
        self = number
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The numbering state of one kiosk: the last (day, sequence) issued. The next number's day is
/// today, or the last day if the clock now says an earlier one (a step backwards never reuses).
public struct FilingNumberSequence: Sendable, Hashable {
    public var lastDay: CivilDate?
    public var lastSequence: Int

    public init(lastDay: CivilDate? = nil, lastSequence: Int = 0) {
        self.lastDay = lastDay
        self.lastSequence = lastSequence
    }

    /// Issues the next number for `today` and advances the state.
    public mutating func next(today: CivilDate, regionCode: String, kioskID: String) -> FilingNumber {
        if let last = lastDay, last >= today {
            lastSequence += 1
        } else {
            lastDay = today
            lastSequence = 1
        }
        return FilingNumber(regionCode: regionCode, kioskID: kioskID, day: lastDay!, sequence: lastSequence)
    }
}

extension CivilDate {
    /// `YYYYMMDD`.
    public var compactDescription: String { description.filter { $0 != "-" } }
}

/// The unguessable token in a filing's progress URL (`<publicBaseURL>/p/<token>`): 128 random
/// bits in lowercase Crockford base32 (26 characters, no look-alike letters), carrying no data.
public struct ProgressToken: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    public init<R: RandomNumberGenerator>(using generator: inout R) {
        // Two 64-bit draws (one `getrandom` each from the system generator, not sixteen).
        let high = generator.next(), low = generator.next()
        let bits = (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> (56 - 8 * UInt64(i % 8))) }
        var out = ""
        var buffer = 0
        var count = 0
        for byte in bits {
            buffer = (buffer << 8) | Int(byte)
            count += 8
            while count >= 5 {
                out.append(Self.alphabet[(buffer >> (count - 5)) & 31])
                count -= 5
            }
        }
        if count > 0 { out.append(Self.alphabet[(buffer << (5 - count)) & 31]) }
        value = out
    }

    /// Accepts a token as it appears in a URL; nil if it cannot be one (wrong length or letters).
    public init?(_ text: String) {
        // 128 bits in 26 characters: the last one carries 3 bits, its two low bits are always zero.
        guard text.count == 26, text.allSatisfy({ Self.alphabet.contains($0) }),
              let last = text.last, let index = Self.alphabet.firstIndex(of: last), index % 4 == 0 else { return nil }
        value = text
    }

    /// The public progress URL for this token.
    public func url(publicBase: String) -> String {
        (publicBase.hasSuffix("/") ? String(publicBase.dropLast()) : publicBase) + "/p/" + value
    }

    public var description: String { value }
}

extension Character {
    /// 0–9 only: one scalar (no combining marks), not other scripts' digits.
    var isPlainDigit: Bool { unicodeScalars.count == 1 && ("0"..."9").contains(unicodeScalars.first!) }
    /// A–Z only, one scalar.
    var isPlainCapital: Bool { unicodeScalars.count == 1 && ("A"..."Z").contains(unicodeScalars.first!) }
}
