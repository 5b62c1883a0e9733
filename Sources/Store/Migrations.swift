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
        migrator.registerMigration("v3: filings, audit chain, outbox, supervision, queue tickets, evaluations") { db in
            // A per-kiosk secret: applicants are matched by HMAC(secret, ID number), never by the number itself.
            try db.create(table: "kioskSecret") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("secret", .blob).notNull()
            }
            try db.execute(sql: "INSERT INTO kioskSecret (id, secret) VALUES (1, randomblob(32))")

            // A citizen's application being put together (one item or one bundle); filings are its items.
            try db.create(table: "draft") { t in
                t.primaryKey("id", .text)
                t.column("subjectKind", .text).notNull()           // item | bundle
                t.column("subjectCode", .text).notNull()
                t.column("sessionId", .text).indexed()
                t.column("applicantKey", .text).notNull().indexed()
                t.column("applicant", .text).notNull()             // JSON; minimised after upstream confirmation
                t.column("state", .text).notNull()                 // open | submitted | abandoned
                t.column("commitmentSigned", .boolean).notNull().defaults(to: false)
                t.column("mailTo", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("submittedAt", .datetime)
            }
            try db.create(table: "draftPage") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("draftId", .text).notNull().references("draft", onDelete: .cascade)
                t.column("materialCode", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("byteCount", .integer).notNull()
                t.column("addedAt", .datetime).notNull()
            }
            try db.create(index: "draftPage_draft_material", on: "draftPage", columns: ["draftId", "materialCode"])

            try db.create(table: "filing") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("draftId", .text).notNull().references("draft").indexed()
                t.column("itemCode", .text).notNull().indexed()
                t.column("bundleCode", .text)
                t.column("number", .text).unique()                 // set at submission, never reused
                t.column("status", .text).notNull().indexed()
                t.column("progressToken", .text).notNull().unique()
                t.column("caseType", .text).notNull()
                t.column("receivedDay", .integer)                  // CivilDate.dayNumber
                t.column("promisedDeadline", .integer)             // CivilDate.dayNumber; null for immediate items
                t.column("concludedDay", .integer)
                t.column("light", .text)                           // current supervision light
                t.column("worstLight", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "deferredMaterial") { t in
                t.column("filingId", .integer).notNull().references("filing")
                t.column("materialCode", .text).notNull()
                t.column("name", .text).notNull()
                t.column("howToSupply", .text).notNull()
                t.column("deadline", .integer).notNull()
                t.column("suppliedAt", .datetime)
                t.primaryKey(["filingId", "materialCode"])
            }
            // Materials an applicant has supplied before (一次办事提交一份材料).
            try db.create(table: "heldMaterial") { t in
                t.column("applicantKey", .text).notNull()
                t.column("materialCode", .text).notNull()
                t.column("filingNumber", .text).notNull()
                t.column("heldAt", .datetime).notNull()
                t.primaryKey(["applicantKey", "materialCode"])
            }
            try db.create(table: "numbering") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("lastDay", .integer)
                t.column("lastSequence", .integer).notNull()
            }
            try db.execute(sql: "INSERT INTO numbering (id, lastDay, lastSequence) VALUES (1, NULL, 0)")

            // The append-only, hash-chained audit trail (全过程留痕).
            try db.create(table: "audit") { t in
                t.primaryKey("sequence", .integer)
                t.column("subject", .text).notNull().indexed()
                t.column("actor", .text).notNull()
                t.column("atMilliseconds", .integer).notNull()
                t.column("event", .text).notNull()
                t.column("fromState", .text)
                t.column("toState", .text).notNull()
                t.column("reason", .text)
                t.column("previousHash", .text).notNull()
                t.column("hash", .text).notNull()
            }
            try db.create(table: "auditHead") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("count", .integer).notNull()
            }
            try db.execute(sql: "INSERT INTO auditHead (id, count) VALUES (1, 0)")
            try db.execute(sql: """
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                """)

            // Everything the platform must receive, written in the same transaction as the change.
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull()                  // filing | evaluation | rectification | …
                t.column("subject", .text).notNull().indexed()     // filing number, evaluation id…
                t.column("payload", .text).notNull()               // JSON
                t.column("createdAt", .datetime).notNull()
            }

            try db.create(table: "supervisionNotice") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("filingId", .integer).notNull().unique().references("filing")
                t.column("filingNumber", .text).notNull()
                t.column("promisedDeadline", .integer).notNull()
                t.column("overdueWorkingDays", .integer).notNull()
                t.column("issuedAt", .datetime).notNull()
            }

            // 排队叫号
            try db.create(table: "queueSequence") { t in
                t.column("category", .text).notNull()
                t.column("day", .integer).notNull()
                t.column("last", .integer).notNull()
                t.primaryKey(["category", "day"])
            }
            try db.create(table: "queueTicket") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("category", .text).notNull()
                t.column("day", .integer).notNull()
                t.column("sequence", .integer).notNull()
                t.column("number", .text).notNull()
                t.column("applicantKey", .text)
                t.column("appointmentId", .text)
                t.column("priority", .boolean).notNull().defaults(to: false)
                t.column("state", .text).notNull()
                t.column("window", .text)
                t.column("issuedAt", .datetime).notNull()
                t.column("calledAt", .datetime)
                t.column("finishedAt", .datetime)
                t.uniqueKey(["category", "day", "sequence"])
            }
            try db.create(index: "queueTicket_waiting", on: "queueTicket", columns: ["day", "state", "category"])
            // One waiting ticket per person per category, enforced by the database as well.
            try db.execute(sql: """
                CREATE UNIQUE INDEX queueTicket_one_waiting ON queueTicket (category, applicantKey)
                WHERE state = 'waiting' AND applicantKey IS NOT NULL
                """)
            try db.create(table: "appointment") { t in
                t.primaryKey("id", .text)
                t.column("applicantKey", .text).notNull()
                t.column("category", .text).notNull()
                t.column("day", .integer).notNull()
                t.column("slot", .text)
                t.column("ticketId", .integer).references("queueTicket")
            }
            try db.create(index: "appointment_applicant_day", on: "appointment", columns: ["applicantKey", "day"])
            try db.create(table: "serviceWindow") { t in
                t.primaryKey("id", .text)
                t.column("categories", .text).notNull()            // JSON array of category codes
                t.column("updatedAt", .datetime).notNull()
            }

            // 好差评
            try db.create(table: "evaluation") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("subjectKind", .text).notNull()
                t.column("subjectRef", .text).notNull()
                t.column("level", .integer).notNull().check { $0 >= 1 && $0 <= 5 }
                t.column("comment", .text)
                t.column("channel", .text).notNull()
                t.column("ratedAt", .datetime).notNull()
                t.uniqueKey(["subjectKind", "subjectRef"])         // 一次一评
            }
            try db.create(table: "rectification") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("evaluationId", .integer).notNull().unique().references("evaluation")
                t.column("status", .text).notNull().indexed()
                t.column("deadline", .integer).notNull()
                t.column("note", .text)
                t.column("openedAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v4: pages looked up by content") { db in
            // Ending a session asks whether another draft still holds a released page.
            try db.create(index: "draftPage_sha256", on: "draftPage", columns: ["sha256"])
        }
        migrator.registerMigration("v5: outbox delivery") { db in
            // Delivery state of each outbox row, kept by the outbox relay (Sources/Upstream).
            try db.alter(table: "outbox") { t in
                // Rows with the same key are delivered in id order: a filing's pages, the filing, then its
                // ratings and rectification steps share the filing number; a ticket's rating has its own key.
                t.add(column: "orderKey", .text).notNull().defaults(to: "")
                t.add(column: "state", .text).notNull().defaults(to: "pending")   // pending | delivered | stuck | rejected
                t.add(column: "attempts", .integer).notNull().defaults(to: 0)
                t.add(column: "nextAttemptAt", .datetime)
                t.add(column: "lastAttemptAt", .datetime)
                t.add(column: "lastError", .text)
                t.add(column: "lastFailureAt", .datetime)                          // when lastError happened
                t.add(column: "deliveredAt", .datetime)
                t.add(column: "platformRef", .text)                                // the platform's case id
            }
            // Rows written before v5: filings are keyed by their number, ratings and rectification steps
            // by the filing they rate (a ticket's by the ticket), anything else by its subject.
            try db.execute(sql: """
                UPDATE outbox SET orderKey = subject WHERE kind = 'filing';
                UPDATE outbox SET orderKey = COALESCE((
                    SELECT CASE e.subjectKind WHEN 'filing' THEN e.subjectRef ELSE e.subjectKind || ':' || e.subjectRef END
                    FROM evaluation e WHERE 'evaluation:' || e.id = outbox.subject), subject)
                WHERE kind IN ('evaluation', 'rectification');
                UPDATE outbox SET orderKey = subject WHERE orderKey = '';
                UPDATE outbox SET nextAttemptAt = createdAt;
                """)
            // "Which rows are due": undelivered rows by their next attempt time…
            try db.execute(sql: "CREATE INDEX outbox_due ON outbox (nextAttemptAt) WHERE state IN ('pending', 'stuck')")
            // …and "is an earlier row of the same key still undelivered?"
            try db.execute(sql: "CREATE INDEX outbox_undelivered_key ON outbox (orderKey, id) WHERE state <> 'delivered'")
            // Summaries count undelivered rows by state and read the last success and failure.
            try db.create(index: "outbox_state", on: "outbox", columns: ["state"])
            try db.execute(sql: "CREATE INDEX outbox_delivered_at ON outbox (deliveredAt) WHERE deliveredAt IS NOT NULL")
            try db.execute(sql: "CREATE INDEX outbox_failure_at ON outbox (lastFailureAt) WHERE lastFailureAt IS NOT NULL")
        }
        migrator.registerMigration("v6: progress sync") { db in
            // When progress sync last asked the platform about a filing, and what the platform said.
            try db.alter(table: "filing") { t in
                t.add(column: "platformCheckedAt", .datetime)
                t.add(column: "platformStatus", .text)
            }
        }
        migrator.registerMigration("v7: retention") { db in
            // When a submitted draft's pages were deleted and its applicant reduced to the masked
            // name and number, the platform having confirmed its filings and pages long enough ago.
            try db.alter(table: "draft") { t in
                t.add(column: "minimisedAt", .datetime)
            }
            try db.execute(sql: "CREATE INDEX draft_not_minimised ON draft (submittedAt) WHERE state = 'submitted' AND minimisedAt IS NULL")
        }
        migrator.registerMigration("v8: outbox lookups by subject") { db in
            // "Was this page already delivered?" (the relay, once a page) and "has the platform this
            // filing?" (progress sync, retention) name subject, kind and state. With only the subject
            // index, SQLite chose outbox_state for `state = 'delivered'` and walked every delivered
            // row: the relay slowed down as it drained (134 filings/s at 6,000, 60/s at 10,000).
            // The three-column index answers them from the index alone and replaces the subject index.
            try db.execute(sql: "CREATE INDEX outbox_subject_kind_state ON outbox (subject, kind, state)")
            try db.execute(sql: "DROP INDEX IF EXISTS outbox_on_subject")
        }
        migrator.registerMigration("v9: collection and delivery") { db in
            // What the platform said of a concluded filing's result: where to collect it (出件), or
            // the waybill it was mailed with (送达), as JSON; shown on the progress page.
            try db.alter(table: "filing") { t in
                t.add(column: "collection", .text)
                t.add(column: "mailing", .text)
            }
        }
        migrator.registerMigration("v10: store heartbeat") { db in
            // One row kioskd's watchdog rewrites every few seconds: a real write through the writer
            // (lock, WAL append, fsync) whose completion tells systemd the store is not wedged.
            try db.create(table: "storeHeartbeat") { t in
                t.column("id", .integer).primaryKey().check { $0 == 1 }
                t.column("beatAt", .datetime).notNull()
                t.column("beats", .integer).notNull()
            }
        }
        migrator.registerMigration("v11: deferred materials handed in later (补交) or lapsed") { db in
            // What the catalogue said becomes of the filing if the material does not follow
            // (withdraw 退件 | reject 不予受理; null in rows from before: 退件), and when its deadline
            // passed without it and that was applied (once: the sweep sets it in the same transaction).
            try db.alter(table: "deferredMaterial") { t in
                t.add(column: "consequence", .text)
                t.add(column: "lapsedAt", .datetime)
            }
            // The sweep and the staff alerts read the still-owed materials by deadline.
            try db.execute(sql: "CREATE INDEX deferredMaterial_owed ON deferredMaterial (deadline) WHERE suppliedAt IS NULL AND lapsedAt IS NULL")
            // A supplement (补交) is put together like a draft (pages captured in a session, wiped if
            // the session ends first); it names the filing it completes.
            try db.alter(table: "draft") { t in
                t.add(column: "supplementFor", .text)
                // 帮办代办: the agent who files for the applicant (JSON; wiped and minimised with the applicant).
                t.add(column: "agent", .text)
            }
        }
        migrator.registerMigration("v12: ticket priority reason") { db in
            // Why a ticket is called first: appointment (预约) or the green channel (绿色通道:
            // elderly, disabled, pregnant). The reason only, nothing personal beyond it. Priority
            // tickets from before were all appointment check-ins.
            try db.alter(table: "queueTicket") { t in
                t.add(column: "priorityReason", .text).check(sql: "priorityReason IN ('appointment', 'elderly', 'disabled', 'pregnant')")
            }
            try db.execute(sql: "UPDATE queueTicket SET priorityReason = 'appointment' WHERE priority = 1")
        }
        migrator.registerMigration("v13: draft form answers (一表申请)") { db in
            // The answers to the draft's application form as JSON (key → value), saved as the citizen
            // fills it in; wiped with the applicant when the draft is abandoned, cleared when minimised.
            try db.alter(table: "draft") { t in
                t.add(column: "formAnswers", .text)
            }
        }
        return migrator
    }
}
