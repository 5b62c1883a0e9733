import Foundation
import KioskTestSupport
import Slips
import Testing

/// 绿色通道 on the printed ticket: the ground under the number, and for a declared ground that the
/// window staff verify it; an ordinary ticket says nothing of it.
@Suite struct GreenChannelTicketSlipTests {
    func text(_ slip: QueueTicketSlip) throws -> String {
        let context = SlipContext(hallName: "滕州市政务服务中心", kioskId: "TZ01", consultationPhone: "0632-12345",
                                  timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        return SlipLayout(slip.document(context: context),
                          profile: try PrinterProfile.load(name: "generic-80mm", profilesDirectory: RepoPaths.devices)).plainText
    }

    @Test func theGroundIsPrintedAndADeclaredOneIsLeftToTheWindow() throws {
        let at = Date(timeIntervalSince1970: 1_795_334_400)
        let elder = try text(QueueTicketSlip(ticket: "G004", categoryName: "综合受理", waiting: 0, issuedAt: at,
                                             greenChannel: "老年人", greenChannelDeclared: false))
        #expect(elder.contains("绿色通道（老年人）"))
        #expect(!elder.contains("核验"))
        let declared = try text(QueueTicketSlip(ticket: "G005", categoryName: "综合受理", waiting: 1, issuedAt: at,
                                                greenChannel: "孕妇", greenChannelDeclared: true))
        #expect(declared.contains("绿色通道（孕妇）") && declared.contains("核验后优先办理"))
        let ordinary = try text(QueueTicketSlip(ticket: "G006", categoryName: "综合受理", waiting: 2, issuedAt: at))
        #expect(!ordinary.contains("绿色通道") && ordinary.contains("G006"))
    }
}
