import GRDB

/// The schema's history. A shipped migration is never edited: changes are new migrations appended
/// at the end, so every kiosk's database reaches the same schema whatever version it started from.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: kiosk identity and device history") { db in
            try db.create(table: "kioskIdentity") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("kioskId", .text).notNull()
                t.column("regionCode", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "deviceStatusChange") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deviceId", .text).notNull().indexed()
                t.column("status", .text).notNull()
                t.column("paper", .text)
                t.column("detail", .text)
                t.column("changedAt", .datetime).notNull()
            }
        }
        return migrator
    }
}
