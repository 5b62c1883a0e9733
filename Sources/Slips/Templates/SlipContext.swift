import Foundation
import IDCard
import KioskConfig

/// What every slip of a kiosk shares: the hall, the kiosk, the phone to call, the clock's time zone.
public struct SlipContext: Sendable, Hashable {
    public var hallName: String
    public var kioskId: String
    public var consultationPhone: String
    public var timeZone: TimeZone

    public init(hallName: String, kioskId: String, consultationPhone: String, timeZone: TimeZone) {
        self.hallName = hallName
        self.kioskId = kioskId
        self.consultationPhone = consultationPhone
        self.timeZone = timeZone
    }

    /// The hall, kiosk, phone and time zone of `kiosk.yaml`.
    public init(_ settings: KioskSettings) {
        self.init(hallName: settings.kiosk.hallName, kioskId: settings.kiosk.id,
                  consultationPhone: settings.kiosk.consultationPhone ?? "",
                  timeZone: TimeZone(identifier: settings.kiosk.timeZone) ?? TimeZone(identifier: "Asia/Shanghai")!)
    }

    /// `2026年11月22日 14:05` in the kiosk's time zone.
    public func dateTime(_ date: Date) -> String {
        let c = components(date)
        return "\(c.year!)年\(two(c.month!))月\(two(c.day!))日 \(two(c.hour!)):\(two(c.minute!))"
    }

    /// `2026年11月22日`.
    public func day(_ date: Date) -> String {
        let c = components(date)
        return "\(c.year!)年\(two(c.month!))月\(two(c.day!))日"
    }

    /// `2026-12-04` (a civil date as the workflow gives it) as `2026年12月04日`; other text unchanged.
    public static func civilDay(_ text: String) -> String {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts.allSatisfy({ Int($0) != nil }) else { return text }
        return "\(parts[0])年\(parts[1])月\(parts[2])日"
    }

    private func components(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    }

    private func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// The applicant as a slip shows them: always masked (`张*`, `1101**********002X`), whatever the
/// input holds, so no template can print a full ID number.
public struct MaskedApplicant: Sendable, Hashable {
    public let name: String
    public let idNumber: String

    public init(name: String, idNumber: String) {
        self.name = PersonalDataMask.name(name)
        self.idNumber = PersonalDataMask.idNumber(idNumber)
    }
}
