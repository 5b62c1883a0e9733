import Foundation
import GRDB
import Workflow

/// A `Date` bound into SQL in GRDB's stored form (`yyyy-MM-dd HH:mm:ss.SSS`, UTC), made by
/// `UTCTimestamp` instead of GRDB's shared DateFormatter: the same text (StoreTests compares
/// them), without ICU and its lock on the write path. Read back as a plain `Date`.
struct StoredDate: DatabaseValueConvertible {
    let date: Date

    var databaseValue: DatabaseValue { UTCTimestamp(date).sqliteText.databaseValue }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> StoredDate? {
        Date.fromDatabaseValue(dbValue).map(StoredDate.init(date:))
    }
}

extension Date {
    /// This date as the store binds it (see `StoredDate`).
    var stored: StoredDate { StoredDate(date: self) }
}

/// For tests: the text the store binds for a date.
@_spi(StoreTesting) public func storedDateText(_ date: Date) -> String { UTCTimestamp(date).sqliteText }
