import Foundation
import FrontDesk
import KioskConfig
import Store
import Workflow

/// Workflow figures: a durable submit (decision + numbering + audit + outbox in one transaction,
/// `synchronous=FULL`), issuing a queue ticket, and recomputing supervision lights for 100,000
/// open filings (target ≤ 1 s), both the pure computation and the full sweep on the store.
enum WorkflowBench {
    static func run(configDirectory: String, scratch: String) async throws {
        let configuration = try ConfigLoader.load(directory: configDirectory)
        let store = try KioskStore.open(directory: "\(scratch)/workflow")
        try store.claimIdentity(kioskID: configuration.settings.kiosk.id, regionCode: configuration.settings.kiosk.regionCode, now: SystemClock().now())
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_399_200))  // 2026-11-23 10:00 hall time (Monday)
        let desk = FrontDesk(configuration: configuration, store: store, clock: clock)
        let item = "11370481004396815B3707104001000001"  // 出生登记: M03, M01 (card), M02, M26

        var drafts: [String] = []
        for i in 0..<400 {
            let applicant = Applicant(name: "测试\(i)", idNumber: String(format: "1101051949%08d", i), verifiedByCard: true)
            let draft = try await desk.openDraft(subject: .item(item), applicant: applicant)
            for (code, pages) in [("M03", 1), ("M02", 2), ("M26", 1)] {
                for p in 0..<pages { try await desk.addPage(draftID: draft.id, materialCode: code, sha256: "\(code)-\(p)-\(i)", byteCount: 500_000) }
            }
            drafts.append(draft.id)
        }
        // What the hop to the store's own queue and back costs by itself (no SQL, no fsync): the
        // part of every figure below that keeps an fsync off the cooperative threads.
        await report("store round trip (an empty read)", try measure(400) { _ = try await store.read { _ in 0 } })
        var next = 0
        await report("submit a filing durably (decide+number+audit+outbox)", try measure(drafts.count) {
            guard case .filed = try await desk.submit(draftID: drafts[next]) else { throw BenchError("not filed") }
            next += 1
        })
        await report("issue a queue ticket (durable)", try measure(400) { _ = try await desk.issueTicket(category: "general") })
        let verifyStart = ContinuousClock.now
        let verification = try await desk.verifyAudit()
        print(String(format: "audit verify of %@: %.1f ms", verification.description as NSString,
                     (ContinuousClock.now - verifyStart).microseconds / 1000))

        // 100,000 open promised filings with deadlines spread over 2026–2027.
        let count = 100_000
        let today = CivilDate(iso: "2026-11-23")!
        let first = CivilDate(iso: "2026-01-05")!
        let deadlines = (0..<count).map { first.adding(days: ($0 * 7919) % 720) }
        let pure = try measure(5) {
            let index = WorkingDayIndex(calendar: configuration.calendar, from: first.adding(days: -1), through: first.adding(days: 760))
            var red = 0
            for d in deadlines where SupervisionLight.light(deadline: d, today: today, index: index) == .red { red += 1 }
            if red == 0 { throw BenchError("no red light among 100k") }
        }
        report("supervision lights, 100k filings (pure)", pure)

        let now = SystemClock().now()
        try await store.write { tx in
            try tx.drafts.insert(id: "bench", subject: .item(item), sessionID: nil, applicantKey: "", applicantJSON: "{}", at: now)
            try tx.drafts.markSubmitted(id: "bench", commitmentSigned: false, mailTo: nil, at: now)
            for (i, d) in deadlines.enumerated() {
                _ = try tx.filings.insert(draftID: "bench", itemCode: item, bundleCode: nil, number: "370481-BENCH-20260101-\(i)",
                                          status: .inProgress, progressToken: "bench-token-\(i)", caseType: .promised,
                                          receivedDay: d.adding(days: -20), promisedDeadline: d, light: .green, deferred: [], at: now)
            }
        }
        let sweepClock = ContinuousClock()
        var start = sweepClock.now
        let firstSweep = try await desk.sweepSupervision()
        let firstMs = (sweepClock.now - start).microseconds / 1000
        start = sweepClock.now
        let steady = try await desk.sweepSupervision()
        let steadyMs = (sweepClock.now - start).microseconds / 1000
        let total = firstSweep.counts.values.reduce(0, +)
        print(String(format: "supervision sweep on the store, %d open filings: first %.0f ms (%d lights changed, %d notices), steady %.0f ms (%d changed)",
                     total, firstMs, firstSweep.changed, firstSweep.newNotices.count, steadyMs, steady.changed))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
