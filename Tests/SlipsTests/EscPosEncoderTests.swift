import KioskTestSupport
import Slips
import Testing

@Suite("ESC/POS encoder: exact bytes, Chinese mode, raster fallback")
struct EscPosEncoderTests {
    let devices = RepoPaths.devices

    @Test func acceptanceFragmentOn80mmIsExactBytes() throws {
        let profile = try PrinterProfile.load(name: "generic-80mm", profilesDirectory: devices)
        let doc = SlipDocument(kind: "t", elements: [
            .title("受理"), .row("编号", "A1"), .qr(payload: "https://x/p/1", caption: nil), .cut,
        ])
        let bytes = try EscPosEncoder().encode(SlipLayout(doc, profile: profile))
        var expected: [UInt8] = [0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x33, 30]
        expected += [0x1B, 0x61, 1, 0x1D, 0x21, 0x11, 0x1B, 0x45, 1, 0xCA, 0xDC, 0xC0, 0xED, 0x0A]   // 受理, centred, double, bold
        expected += [0x1B, 0x61, 0, 0x1D, 0x21, 0x00, 0x1B, 0x45, 0, 0xB1, 0xE0, 0xBA, 0xC5, 0x20, 0x41, 0x31, 0x0A]  // 编号 A1
        expected += [0x1B, 0x21, 0, 0x1D, 0x21, 0, 0x1B, 0x45, 0, 0x1C, 0x2E, 0x1B, 0x61, 1]        // mode reset, FS ., centre
        expected += [0x1D, 0x28, 0x6B, 4, 0, 0x31, 0x41, 0x32, 0]                                    // QR model 2
        expected += [0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x43, 6]                                          // module 6 dots
        expected += [0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x45, 0x31]                                       // level M
        expected += [0x1D, 0x28, 0x6B, 16, 0, 0x31, 0x50, 0x30] + Array("https://x/p/1".utf8)         // store
        expected += [0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x51, 0x30, 0x0A]                                 // print
        expected += [0x1C, 0x26]                                                                     // FS & again
        expected += [0x1B, 0x64, 4, 0x1D, 0x56, 0]                                                   // feed 4, full cut
        #expect(bytes == expected)
    }

    @Test func a58mmPrinterWithoutNativeQRGetsARasterAndAPartialCut() throws {
        let profile = try PrinterProfile.load(name: "generic-58mm", profilesDirectory: devices)
        let doc = SlipDocument(kind: "t", elements: [.qr(payload: "A007", caption: nil), .cut])
        let bytes = try EscPosEncoder().encode(SlipLayout(doc, profile: profile))
        let qr = try QRMatrix("A007")
        let side = (qr.size + 8) * 5
        let header: [UInt8] = [0x1B, 0x40, 0x1B, 0x33, 30, 0x1B, 0x21, 0, 0x1D, 0x21, 0, 0x1B, 0x45, 0, 0x1B, 0x61, 1,
                               0x1D, 0x76, 0x30, 0, UInt8((side + 7) / 8), 0, UInt8(side & 0xFF), UInt8(side >> 8)]
        #expect(Array(bytes.prefix(header.count)) == header)  // no FS & / FS . for an always-Chinese printer
        #expect(bytes.count == header.count + (side + 7) / 8 * side + 6)
        #expect(Array(bytes.suffix(6)) == [0x1B, 0x64, 4, 0x1D, 0x56, 1])
        let reader = try EscPosReader(bytes)
        #expect(reader.images.count == 1 && reader.images[0].height == side && reader.cuts == 1)
    }

    @Test func fourByteCharactersAreTextOnlyWhereTheFontHasThem() throws {
        let gb18030 = try PrinterProfile.load(name: "generic-80mm", profilesDirectory: devices)
        let gbk = try PrinterProfile.load(name: "generic-58mm", profilesDirectory: devices)
        let doc = SlipDocument(kind: "t", elements: [.line("申请人 𠈌喆")])
        let encoder = try EscPosEncoder()

        let full = try EscPosReader(encoder.encode(SlipLayout(doc, profile: gb18030)))
        #expect(full.images.isEmpty)
        #expect(full.textLines.contains([0xC9, 0xEA, 0xC7, 0xEB, 0xC8, 0xCB, 0x20, 0x95, 0x32, 0xB7, 0x30, 0x86, 0xB4]))

        let twoByte = try EscPosReader(encoder.encode(SlipLayout(doc, profile: gbk)))
        #expect(twoByte.images.count == 1, "the line with 𠈌 goes as a raster image")
        #expect(twoByte.images[0].width == 384)
        #expect(!twoByte.textLines.contains { $0.contains(UInt8(ascii: "?")) })
        // The raster really has the glyphs drawn: ink in the first 7 cells' area.
        let band = twoByte.images[0]
        var ink = 0
        for y in 0..<band.height { for x in 0..<(13 * 12) where band.isBlack(x: x, y: y) { ink += 1 } }
        #expect(ink > 200)
    }

    @Test func gb2312FontsSendRarerNameCharactersAsRaster() throws {
        let raster = try PrinterProfile.load(name: "generic-80mm-raster", profilesDirectory: devices)
        let doc = SlipDocument(kind: "t", elements: [.line("A007"), .line("张三")])
        let reader = try EscPosReader(EscPosEncoder().encode(SlipLayout(doc, profile: raster)))
        #expect(reader.textLines.first == Array("A007".utf8), "ASCII still goes as text")
        #expect(reader.images.count == 1, "a printer without a Chinese font gets Chinese as an image")
    }

    @Test func printerModeIsResetBeforeEveryImage() throws {
        let profile = try PrinterProfile.load(name: "generic-58mm", profilesDirectory: devices)
        let doc = SlipDocument(kind: "t", elements: [.line("A007", TextStyle(size: .huge, bold: true)), .qr(payload: "x", caption: nil)])
        let bytes = try EscPosEncoder().encode(SlipLayout(doc, profile: profile))
        let raster = bytes.firstRange(of: [0x1D, 0x76, 0x30])!.lowerBound
        #expect(Array(bytes[(raster - 12)..<raster]) == [0x1B, 0x21, 0, 0x1D, 0x21, 0, 0x1B, 0x45, 0, 0x1B, 0x61, 1])
    }
}
