import Foundation
import KioskTestSupport
import Slips
import Testing

/// Every template, rendered for every shipped printer profile, to a PBM preview and to ESC/POS: the
/// QR codes are decoded back with zbarimg (raster) or read from the `GS ( k` store command (native)
/// and must be exactly the URL of the input.
@Suite("QR round trip through PBM and ESC/POS, decoded with zbarimg")
struct QRRoundTripTests {
    static let profiles = ["generic-58mm", "generic-80mm", "generic-80mm-raster"]
    let context = SlipContext(hallName: "滕州市政务服务中心", kioskId: "TZ01", consultationPhone: "0632-12345",
                              timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    func document(_ template: SlipTemplate) throws -> SlipDocument {
        let json = try Data(contentsOf: URL(fileURLWithPath: RepoPaths.devices + "/printers/sample-inputs/\(template.rawValue).json"))
        return try template.document(json: json, context: context)
    }

    @Test(arguments: SlipTemplate.allCases)
    func everyTemplateScansFromItsPreviewAndItsPrinterBytes(_ template: SlipTemplate) throws {
        let document = try document(template)
        let expected = document.qrPayloads
        #expect(expected.count == 1, "every template carries one QR code")
        let json = String(decoding: try Data(contentsOf: URL(fileURLWithPath: RepoPaths.devices + "/printers/sample-inputs/\(template.rawValue).json")), as: UTF8.self)
        #expect(json.contains(expected[0]), "the QR carries the input's URL")

        for name in Self.profiles {
            let profile = try PrinterProfile.load(name: name, profilesDirectory: RepoPaths.devices)
            let layout = SlipLayout(document, profile: profile)

            let preview = try SlipBitmapRenderer().render(layout)
            #expect(preview.width == profile.dotsPerLine)
            #expect(try QRDecoder.decode(imageBytes: preview.pbm) == expected, "\(template) preview on \(name)")

            let reader = try EscPosReader(EscPosEncoder().encode(layout))
            if profile.qr.native {
                #expect(reader.nativeQRPayloads == expected, "\(template) native QR on \(name)")
            } else {
                // The raster QR bytes the printer receives, turned back into an image.
                let decoded = try reader.images.flatMap { try QRDecoder.decode(imageBytes: $0.pbm) }
                #expect(decoded == expected, "\(template) ESC/POS raster on \(name)")
            }
        }
    }

    @Test func pngPreviewIsARealPNGThatScans() throws {
        let profile = try PrinterProfile.load(name: "generic-58mm", profilesDirectory: RepoPaths.devices)
        let png = try SlipBitmapRenderer().render(SlipLayout(document(.acceptance), profile: profile)).png()
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try QRDecoder.decode(imageBytes: png, suffix: "png") == ["https://zwfw.tengzhou.gov.cn/kiosk/p/Q7mZ2xK9aB3d"])
    }

    @Test func slipsNeverPrintAFullIDNumber() throws {
        for template in SlipTemplate.allCases {
            let text = SlipLayout(try document(template), profile: try PrinterProfile.load(name: "generic-80mm", profilesDirectory: RepoPaths.devices)).plainText
            #expect(!text.contains("11010519491231002X") && !text.contains("370481199001011234") && !text.contains("370481198805051234"))
            #expect(!text.contains("张三") && !text.contains("欧阳娜娜"))
        }
    }

    @Test func badInputNamesTheField() throws {
        let missing = #expect(throws: SlipTemplate.InputError.self) {
            try SlipTemplate.ticket.document(json: Data("{\"ticket\":\"A1\"}".utf8), context: context)
        }
        #expect(missing?.description.contains("missing field") == true)
        let wrongType = #expect(throws: SlipTemplate.InputError.self) {
            try SlipTemplate.acceptance.document(json: Data("{\"filingNumber\": 5}".utf8), context: context)
        }
        #expect(wrongType?.description.contains("filingNumber") == true)
        let garbage = #expect(throws: SlipTemplate.InputError.self) {
            try SlipTemplate.ticket.document(json: Data("not json".utf8), context: context)
        }
        #expect(garbage?.description.contains("not valid JSON") == true)
    }
}
