import Foundation
import FrontDesk
import Hummingbird
import HummingbirdTesting
import IDCard
import KioskTestSupport
import Logging
import NIOCore
import Testing
@testable import KioskRuntime

/// Appointments staff drop in as a CSV file (`kioskctl queue appointments import`): bad lines named
/// by line, nothing half-imported, and a card holder's appointment checked in at the screen as a
/// priority ticket.
@Suite struct AppointmentImportTests {
    static let categories: Set<String> = ["social-insurance", "medical-insurance"]

    @Test func theParserNamesEveryBadLineAndNeverRepeatsAnIDNumber() {
        let csv = "\u{FEFF}id,idNumber,category,day,slot\n"
            + "A-1,11010519491231002X,social-insurance,2026-12-03,09:30-10:00\n"
            + "A-2,110105194912310021,social-insurance,2026-12-03,\n"          // wrong check character
            + "A-3,11010519491231002X,housing,2026-13-01,25:00\n"              // category, day and slot
            + "A-1,11010519491231002X,medical-insurance,2026-12-03,\n"        // id used above
            + "\"A-4, quoted\",11010519491231002X,medical-insurance,2026-12-04\n"   // too few fields
            + "\"A-5\"\"x\",11010519491231002x,medical-insurance,2026-12-04,14:00\n"
            + "\n"
        let (rows, problems) = AppointmentCSV.parse(csv, categories: Self.categories, isValidIDNumber: IDNumber.hasValidCheckCharacter)
        #expect(rows.map(\.id) == ["A-1", "A-5\"x"])
        #expect(rows.last?.idNumber == "11010519491231002X")
        #expect(rows.first?.slot == "09:30-10:00")
        #expect(problems.map(\.line) == [3, 4, 5, 6])
        #expect(problems[0].message.contains("1101**********0021"))
        #expect(problems[1].message.contains("category 'housing'") && problems[1].message.contains("day '2026-13-01'")
            && problems[1].message.contains("slot '25:00'"))
        #expect(problems[2].message == "id A-1 is already on line 2")
        #expect(problems[3].message == "4 fields, the header has 5")
        #expect(problems.allSatisfy { !$0.description.contains("110105194912310021") && !$0.description.contains("11010519491231002X") })
        #expect(AppointmentCSV.parse("id,idNumber,day\n", categories: Self.categories, isValidIDNumber: { _ in true }).problems.first?.message
            == "missing column(s) category (expected id,idNumber,category,day,slot)")
        #expect(AppointmentCSV.parse("", categories: Self.categories, isValidIDNumber: { _ in true }).problems.first?.line == 1)
    }

    @Test func anImportedAppointmentIsCheckedInByIDCardAsAPriorityTicket() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("appointments")
        defer { data.remove() }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        let today = formatter.string(from: Date())
        let kioskctl = try RepoPaths.binary("kioskctl")
        let common = ["--config", fixture.directory, "--data", data.path]

        // A file with one bad line imports nothing and names the line.
        let bad = data.file("bad.csv")
        try "id,idNumber,category,day\nP-1,11010519491231002X,social-insurance,\(today)\nP-2,123,social-insurance,\(today)\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try ChildProcess.run(kioskctl, ["queue", "appointments", "import", bad] + common)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("bad.csv:3: error: idNumber") && refused.stderr.contains("nothing imported"))
        let good = data.file("good.csv")
        try "id,idNumber,category,day,slot\nP-1,11010519491231002X,social-insurance,\(today),10:00\n"
            .write(toFile: good, atomically: true, encoding: .utf8)
        let imported = try ChildProcess.run(kioskctl, ["queue", "appointments", "import", good] + common)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported 1 appointment(s) for \(today)"))

        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) { try InProcessKiosk.json($0.body)["id"] as? String ?? "" }
            await kiosk.sessions.cardInserted(.init(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true))
            let ticket = try await client.execute(uri: "/api/v1/tickets", method: .post,
                                                  body: ByteBuffer(string: #"{"category":"social-insurance","sessionId":"\#(session)"}"#)) {
                #expect($0.status == .created)
                return try InProcessKiosk.json($0.body)
            }
            #expect(ticket["priority"] as? Bool == true)
        }
    }
}
