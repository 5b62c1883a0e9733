import Foundation
import KioskTestSupport
import Testing

/// A session cut short by a crash or a stop leaves no personal datum behind: on the next start
/// kioskd wipes every draft no live session owns (applicant and pages) before it serves, and the
/// wiped values are gone from the database file, its WAL and its free pages — checked on the raw
/// bytes of every file in the data directory.
@Suite(.serialized) struct PersonalDataWipeTests {
    static let item = "11370481004396815B3707104001000001"
    static let idNumber = "11010519491231002X"
    static let name = "欧阳明月"

    /// Every file below `directory` whose bytes contain `needle`.
    static func files(in directory: String, containing needle: String) -> [String] {
        let bytes = Array(needle.utf8)
        let paths = FileManager.default.subpaths(atPath: directory) ?? []
        return paths.filter { relative in
            guard let data = FileManager.default.contents(atPath: directory + "/" + relative) else { return false }
            return data.withUnsafeBytes { raw in
                let haystack = raw.bindMemory(to: UInt8.self)
                guard haystack.count >= bytes.count else { return false }
                for start in 0...(haystack.count - bytes.count) where haystack[start] == bytes[0] {
                    if zip(haystack[start..<(start + bytes.count)], bytes).allSatisfy({ $0 == $1 }) { return true }
                }
                return false
            }
        }
    }

    /// A session with the card read, a draft and one page: the applicant is in the store now.
    @discardableResult
    static func openSessionWithADraft(_ kioskd: KioskdProcess) throws -> String {
        let base = kioskd.baseURL
        let session = try #require(try HTTP.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place", #"{"name":"\#(name)","idNumber":"\#(idNumber)"}"#, expect: 202)
        try kioskd.waitFor("/api/v1/sessions/\(session)/identity")
        let draft = try HTTP.json("POST", base + "/api/v1/sessions/\(session)/filings", #"{"itemCode":"\#(item)"}"#, expect: 201)
        let draftID = try #require(draft["id"] as? String)
        let page = try #require(HTTP.request("POST", base + "/api/v1/filings/\(draftID)/materials/M03/pages",
                                             headers: ["Content-Type": "image/jpeg"], body: Data(TestPages.jpeg("wipe test page"))))
        #expect(page.status == 201, "\(String(decoding: page.body, as: UTF8.self))")
        return session
    }

    @Test func aSessionEndedAtTheScreenLeavesNoCopyInTheWALEither() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.bindPrintersToSimulator()
        let kioskd = try KioskdProcess(config: fixture.directory)
        try kioskd.waitFor("/api/v1/health")
        let session = try Self.openSessionWithADraft(kioskd)
        #expect(!Self.files(in: kioskd.data.path, containing: Self.idNumber).isEmpty)
        _ = try HTTP.json("DELETE", kioskd.baseURL + "/api/v1/sessions/\(session)", expect: 204)
        #expect(Self.files(in: kioskd.data.path, containing: Self.idNumber) == [])
        #expect(Self.files(in: kioskd.data.path, containing: Self.name) == [])
    }

    @Test(arguments: ["SIGKILL", "SIGTERM"])
    func aSessionCutShortLeavesNoPersonalDataAfterTheRestart(signal: String) throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.bindPrintersToSimulator()
        let data = try TemporaryDirectory("wipe-data")
        defer { data.remove() }

        let first = try KioskdProcess(config: fixture.directory, dataDirectory: data)
        try first.waitFor("/api/v1/health")
        try Self.openSessionWithADraft(first)
        // The scan finds the data while the session is open (so it can fail below).
        #expect(!Self.files(in: data.path, containing: Self.idNumber).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.path + "/pages").filter { $0.hasSuffix(".jpg") }.count == 1)
        if signal == "SIGKILL" {
            first.crash()
        } else {
            #expect(try first.terminate() == 0)
        }

        let second = try KioskdProcess(config: fixture.directory, dataDirectory: data)
        try second.waitFor("/api/v1/health")
        #expect(second.log.contains("wiped the drafts of sessions that no longer exist"))
        let metrics = String(decoding: try second.waitFor("/metrics"), as: UTF8.self)
        #expect(metrics.contains("kiosk_open_drafts 0"))
        #expect(Self.files(in: data.path, containing: Self.idNumber) == [])
        #expect(Self.files(in: data.path, containing: Self.name) == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.path + "/pages").filter { $0.hasSuffix(".jpg") } == [])
        // The store is still whole.
        #expect(try second.terminate() == 0)
        let check = try ChildProcess.run(try RepoPaths.binary("kioskctl"), ["audit", "verify", "--data", data.path, "--config", fixture.directory])
        #expect(check.status == 0, "\(check.stderr)")
    }
}
