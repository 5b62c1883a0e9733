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
        migrator.registerMigration("v2: print jobs and printer roll counters") { db in
            try db.create(table: "printJob") { t in
                t.autoIncrementedPrimaryKey("id")  // AUTOINCREMENT: a job number is never reused
                t.column("printerId", .text).notNull()
                t.column("template", .text).notNull()
                t.column("reference", .text).indexed()
                t.column("document", .blob).notNull()
                t.column("paperMillimetres", .double).notNull()
                t.column("cuts", .integer).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("cupsJobId", .integer)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("automaticReprintUsed", .boolean).notNull().defaults(to: false)
                t.column("reason", .text)
                t.column("reprintOf", .integer).references("printJob")
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("completedAt", .datetime)
            }
            try db.create(index: "printJob_printer_state", on: "printJob", columns: ["printerId", "state"])
            try db.create(table: "printerCounters") { t in
                t.primaryKey("printerId", .text)
                t.column("rollStartedAt", .datetime)
                t.column("rollSlips", .integer).notNull().defaults(to: 0)
                t.column("rollCuts", .integer).notNull().defaults(to: 0)
                t.column("rollPaperMillimetres", .double).notNull().defaults(to: 0)
                t.column("totalSlips", .integer).notNull().defaults(to: 0)
                t.column("totalCuts", .integer).notNull().defaults(to: 0)
                t.column("totalPaperMillimetres", .double).notNull().defaults(to: 0)
                t.column("failures", .text).notNull().defaults(to: "{}")  // JSON: reason → count
                t.column("restocks", .integer).notNull().defaults(to: 0)
            }
        }
        return migrator
    }
}
