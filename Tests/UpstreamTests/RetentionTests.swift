import Foundation
@_spi(StoreTesting) import Store
import FrontDesk
import GRDB
import KioskTestSupport
import Logging
import Testing
import Upstream
import Workflow

/// Retention deletes the pages and minimises the applicant of drafts whose filings and pages the
/// platform confirmed long enough ago, and of no other.
@Suite struct RetentionTests {
    /// Writes every page the store refers to as `<data>/pages/<sha>.jpg`, as the API's page store does.
    func writePageFiles(_ rig: RelayRig) throws -> String {
        let pages = rig.directory.path + "/pages"
        try FileManager.default.createDirectory(atPath: pages, withIntermediateDirectories: true)
        let hashes = try rig.store.pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT sha256 FROM draftPage") } as [String]
        for sha in hashes where !FileManager.default.fileExists(atPath: "\(pages)/\(sha).jpg") {
            try Data([0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x42, count: 1000)).write(to: URL(fileURLWithPath: "\(pages)/\(sha).jpg"))
        }
        return pages
    }

    func applicant(_ rig: RelayRig, of number: String) throws -> String {
        try rig.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT d.applicant FROM draft d JOIN filing f ON f.draftId = d.id WHERE f.number = ?",
                                arguments: [number]) ?? ""
        }
    }

    func payload(_ rig: RelayRig, of number: String) throws -> String {
        try rig.store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT payload FROM outbox WHERE kind = 'filing' AND subject = ?", arguments: [number]) ?? ""
        }
    }

    @Test func onlyConfirmedFilingsLoseTheirPagesAndFullIdentityAfterTheRetention() async throws {
        try await RelayRig.run { rig in
            let confirmed = try await rig.file(1)
            try await rig.drain()
            let waiting = try await rig.file(2)                       // not delivered: the platform has not got it
            // An open draft (another citizen's, say) holds one page of the confirmed filing too.
            let shared = try await rig.store.pool.read { db in
                try String.fetchOne(db, sql: """
                    SELECT p.sha256 FROM draftPage p JOIN filing f ON f.draftId = p.draftId WHERE f.number = ? LIMIT 1
                    """, arguments: [confirmed])
            }
            let sharedSha = try #require(shared)
            let open = try await rig.desk.openDraft(subject: .item(RelayRig.birthRegistration), applicant: RelayRig.zhang, sessionID: "t")
            try await rig.desk.addPage(draftID: open.id, materialCode: "M03", sha256: sharedSha, byteCount: 1004)
            let pages = try writePageFiles(rig)
            let before = try FileManager.default.contentsOfDirectory(atPath: pages).count
            let retention = Retention(store: rig.store, dataDirectory: rig.directory.path, clock: rig.clock, logger: Logger(label: "test"))

            // Within the retention nothing goes.
            rig.clock.advance(by: 6 * 86_400)
            await #expect(retention.sweep().draftsMinimised == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: pages).count == before)

            rig.clock.advance(by: 2 * 86_400)
            let sweep = await retention.sweep()
            #expect(sweep.draftsMinimised == 1)
            #expect(sweep.pagesDeleted == 3)                    // four pages, one still in the open draft
            #expect(sweep.bytesFreed == 3 * 1004)
            let left = Set(try FileManager.default.contentsOfDirectory(atPath: pages))
            #expect(left.contains("\(sharedSha).jpg"))
            #expect(sweep.usage.pageFiles == left.count)
            #expect(sweep.usage.pageBytes == left.count * 1004)
            #expect(sweep.usage.databaseBytes > 0)
            #expect(retention.lastUsage == sweep.usage)

            // The confirmed filing keeps only the masked identity; the waiting one keeps all it must send.
            #expect(try !applicant(rig, of: confirmed).contains("11010519491231002X"))
            #expect(try applicant(rig, of: confirmed).contains("1101**********002X"))
            #expect(try payload(rig, of: confirmed) == #"{"minimised":true}"#)
            #expect(try payload(rig, of: waiting).contains("11010519491231002X"))
            await #expect(try rig.desk.filing(number: confirmed).status == .accepted)
            await #expect(try rig.desk.verifyAudit().isIntact)

            // Sweeping again changes nothing; once the waiting filing is delivered and old enough, it goes too.
            await #expect(retention.sweep().draftsMinimised == 0)
            try await rig.drain()
            rig.clock.advance(by: 8 * 86_400)
            await #expect(retention.sweep().draftsMinimised == 1)
            #expect(try !payload(rig, of: waiting).contains("11010519491231002X"))
        }
    }
}
