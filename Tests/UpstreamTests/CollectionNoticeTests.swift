import FrontDesk
import Foundation
import KioskTestSupport
import Logging
import Testing
import Upstream
import Workflow

/// 出件 and 送达: once the platform reports a filing concluded, its progress page says where and how
/// to collect the result (what the platform said, else the catalogue's responsible window), or that
/// it was mailed and with which waybill — never the applicant's address.
@Suite struct CollectionNoticeTests {
    func sync(_ rig: RelayRig, _ platform: ScriptedPlatform) -> ProgressSync {
        ProgressSync(desk: rig.desk, store: rig.store, platform: platform, clock: rig.clock, options: .init(maximumRequestsPerMinute: 30),
                     logger: Logger(label: "test.sync"))
    }

    @Test func aConcludedFilingsPageSaysWhereToCollectTheResult() async throws {
        try await RelayRig.run { rig in
            let number = try await rig.file(1)
            try await rig.drain()
            let token = try await rig.desk.filing(number: number).progressToken
            await #expect(try rig.desk.progress(token: token)?.result == nil)   // accepted: nothing to collect yet
            let platform = ScriptedPlatform()
            platform.set(number, "concluded.approved",
                         collection: .init(place: "滕州市政务服务中心一楼3号窗口", hours: "工作日 9:00-17:00", note: "请携带受理通知单和身份证原件"))
            #expect(await sync(rig, platform).runOnce().stepsApplied > 0)
            let result = try await #require(try rig.desk.progress(token: token)?.result)
            #expect(result.method == "collect")
            #expect(result.text == "请携带身份证和受理通知单到滕州市政务服务中心一楼3号窗口领取（工作日 9:00-17:00）")
            #expect(result.note == "请携带受理通知单和身份证原件")
        }
    }

    @Test func withoutThePlatformsWordTheCataloguesWindowIsNamed() async throws {
        try await RelayRig.run { rig in
            let number = try await rig.file(2)
            try await rig.drain()
            let platform = ScriptedPlatform()
            platform.set(number, "concluded.approved")
            _ = await sync(rig, platform).runOnce()
            let result = try await #require(try rig.desk.progress(token: try rig.desk.filing(number: number).progressToken)?.result)
            #expect(result.text == "请携带身份证和受理通知单到3号窗口（户政）领取")
        }
    }

    @Test func aMailedResultShowsItsWaybillAndNoAddress() async throws {
        try await RelayRig.run { rig in
            let draft = try await rig.desk.openDraft(subject: .item(RelayRig.birthRegistration), applicant: RelayRig.zhang, sessionID: "s")
            for code in ["M03", "M02", "M26"] {
                let slot = try #require(draft.slots.first { $0.requirement.material.code == code })
                for page in 0..<max(1, slot.requirement.material.pages) {
                    let sha = String(format: "%02d%@%d", 9, code, page).padding(toLength: 64, withPad: "0", startingAt: 0)
                    rig.pages.put(sha, bytes: [0xFF, 0xD8, 0xFF, 0xE0] + Array("page \(page) of \(code)".utf8))
                    try await rig.desk.addPage(draftID: draft.id, materialCode: code, sha256: sha, byteCount: 20)
                }
            }
            guard case let .filed(records) = try await rig.desk.submit(draftID: draft.id, mailing: MailingAddress(
                phone: "13800001234", region: "山东省枣庄市滕州市", town: "荆河街道", street: "善国北路", community: "杏坛社区", detail: "12号")) else {
                Issue.record("not filed")
                return
            }
            let number = try #require(records.first?.number)
            try await rig.drain()
            let token = try await rig.desk.filing(number: number).progressToken
            let platform = ScriptedPlatform()
            platform.set(number, "concluded.approved")
            _ = await sync(rig, platform).runOnce()
            await #expect(try rig.desk.progress(token: token)?.result?.text == "办理结果将邮寄至您登记的地址，寄出后可在此查看运单号")
            platform.set(number, "delivered.mailed", mailing: .init(waybill: "1190832746512", carrier: "EMS"))
            rig.clock.advance(by: 3600)
            _ = await sync(rig, platform).runOnce()
            let progress = try await #require(try rig.desk.progress(token: token))
            #expect(progress.result?.method == "mail")
            #expect(progress.result?.text == "办理结果已通过EMS邮寄，运单号 1190832746512，请留意查收")
            let encoded = String(decoding: try JSONEncoder().encode(progress), as: UTF8.self)
            #expect(!encoded.contains("善国北路") && !encoded.contains("张三"))
        }
    }
}
