import Foundation
import Workflow

/// Everything a kiosk is configured with, loaded from one directory (`kiosk-config/`) and
/// validated as a whole. A kiosk never starts on a configuration that has errors.
public struct KioskConfiguration: Sendable {
    /// The configuration directory as given (used to resolve relative paths).
    public var directory: String
    public var settings: KioskSettings
    public var items: [ServiceItem]
    /// Province codes for each item type (事项类型编码).
    public var itemTypeCodes: [String: String]
    public var bundles: [ServiceBundle]
    public var queueCategories: [QueueCategory]
    /// The hall's green channel (绿色通道) for queue tickets, from queue.yaml (`.off` when absent).
    public var greenChannel: GreenChannel = .off
    public var holidayYears: [HolidayYear]
    public var calendar: WorkingCalendar
    /// The accounts of `staff.yaml` (none when the file is absent: the staff door stays shut).
    public var staffAccounts: [StaffAccount] = []
    /// The touch screen's settings (`screen.yaml`; the defaults when it is absent).
    public var screen: ScreenSettings = .standard
    /// Findings that do not stop the kiosk but that a technician must see (e.g. no calendar for next year).
    public var warnings: [ConfigDiagnostic]

    /// The data directory, resolved against the configuration directory.
    public var dataDirectory: String { Self.resolve(settings.dataDirectory, against: directory) }
    /// The device profiles directory, resolved against the configuration directory.
    public var profilesDirectory: String { Self.resolve(settings.profilesDirectory, against: directory) }
    /// The validated listen address.
    public var listen: HostPort { HostPort(settings.api.listen)! }

    public func item(code: String) -> ServiceItem? { items.first { $0.implementationCode == code } }

    /// The items and bundles, indexed for the workflow.
    public var catalogue: Catalogue { Catalogue(items: items, bundles: bundles) }

    /// The hall's office hours (validated at load).
    public var officeHours: OfficeHours { settings.workflow?.officeHours.flatMap(OfficeHours.init) ?? .standard }

    static func resolve(_ path: String, against directory: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
    }
}

/// The files of a configuration directory.
public enum ConfigFiles {
    public static let kiosk = "kiosk.yaml"
    public static let catalogue = "catalogue.yaml"
    public static let bundles = "bundles.yaml"
    public static let queue = "queue.yaml"
    public static let calendarFolder = "calendar"
    /// Optional: staff accounts with PIN hashes (`kioskctl staff set-pin` writes it).
    public static let staff = "staff.yaml"
    /// Optional: the touch screen's voice prompts and the hall's address list for mail delivery.
    public static let screen = "screen.yaml"
}

struct CatalogueFile: Codable {
    var itemTypeCodes: [String: String]
    var items: [ServiceItem]
}

struct BundlesFile: Codable {
    var bundles: [ServiceBundle]
}

struct QueueFile: Codable {
    var categories: [QueueCategory]
    /// 绿色通道 (optional; absent: no green channel).
    var greenChannel: GreenChannelFile?
}

/// queue.yaml's `greenChannel:` as written: the grounds offered (`elderly`, `disabled`,
/// `pregnant`) and, with `elderly`, the age from which a card holder counts as elderly.
struct GreenChannelFile: Codable {
    var grounds: [String]
    var elderlyAge: Int?

    /// The validated green channel (the validator has refused unknown grounds).
    var greenChannel: GreenChannel {
        GreenChannel(grounds: Set(grounds.compactMap(PriorityReason.init(rawValue:))), elderlyAge: elderlyAge)
    }
}

extension CivilDate {
    /// Today's date in the given time zone.
    public static func today(in timeZone: TimeZone, now: Date) -> CivilDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: now)
        return CivilDate(year: c.year!, month: c.month!, day: c.day!)!
    }
}
