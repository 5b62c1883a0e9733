import Foundation
import FrontDesk
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import Slips
import Testing
@testable import KioskRuntime

/// The acceptance notice tells the truth: "accepted locally, sent when the network returns" only
/// while the platform is unreachable, and it names the window and person responsible (责任人).
@Suite struct TruthfulNoticeTests {
    static let offlineSentence = "网络暂时中断"

    @Test func theNoticeSaysAcceptedLocallyOnlyWhileThePlatformIsUnreachable() async throws {
        // The HTTP platform on a loopback port nothing listens on: every attempt is refused.
        let closedPort = try ChildProcess.freePort()
        let fixture = try InProcessKiosk.fixture { fixture in
            let text = try fixture.read("kiosk.yaml")
                .replacingOccurrences(of: "  platform: simulated ", with: "  platform: http ")
                .replacingOccurrences(of: "  endpoint: https://zwfw.sd.gov.cn/kiosk-gateway", with: "  endpoint: http://127.0.0.1:\(closedPort)")
                .replacingOccurrences(of: "  tokenFile: /etc/onewindow/upstream.token", with: "  tokenEnvironmentVariable: ONEWINDOW_NOTICE_TEST_TOKEN")
            try fixture.write("kiosk.yaml", text)
        }
        defer { fixture.remove() }
        setenv("ONEWINDOW_NOTICE_TEST_TOKEN", "notice-test-token", 1)
        let data = try TemporaryDirectory("truthful")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            // Nothing was tried yet: the platform is not known to be down, the notice says nothing of it.
            let (_, first, _) = try await InProcessKiosk.submitted(client, kiosk)
            let firstSlip = try await notice(kiosk, number: first)
            #expect(!firstSlip.contains(Self.offlineSentence))
            #expect(firstSlip.contains("1号窗口") || firstSlip.contains("3号窗口"))
            // The relay tries and is refused: now the kiosk is offline, and the next notice says so.
            _ = await kiosk.relay.runOnce()
            await #expect(kiosk.outboxWatch.refresh()?.isOffline == true)
            let (_, second, _) = try await InProcessKiosk.submitted(client, kiosk)
            await #expect(try notice(kiosk, number: second).contains(Self.offlineSentence))
        }
        await kiosk.platform.shutdown()
    }

    /// The printed notice's text: the slip's ESC/POS bytes decoded as GB18030 (raster lines aside).
    func notice(_ kiosk: Kiosk, number: String) async throws -> String {
        let jobID = try #require(try await kiosk.desk.latestPrintJobID(reference: number))
        let bytes = try #require(try await kiosk.store.printJob(id: jobID)).document
        let gb18030 = String.Encoding(rawValue: 0x8000_0632)
        return try EscPosReader(bytes).textLines.compactMap { String(data: Data($0), encoding: gb18030) }.joined(separator: "\n")
    }
}
