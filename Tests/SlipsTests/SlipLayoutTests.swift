import KioskTestSupport
import Slips
import Testing

@Suite("Slip layout: CJK widths, wrapping, key–value alignment")
struct SlipLayoutTests {
    let p58: PrinterProfile
    let p80: PrinterProfile

    init() throws {
        p58 = try PrinterProfile.load(name: "generic-58mm", profilesDirectory: RepoPaths.devices)
        p80 = try PrinterProfile.load(name: "generic-80mm", profilesDirectory: RepoPaths.devices)
    }

    @Test func paperWidthsGiveTheColumnsOfFontA() {
        #expect(p58.dotsPerLine == 384 && p58.columns == 32)
        #expect(p80.dotsPerLine == 576 && p80.columns == 48)
    }

    @Test func chineseAndFullWidthCountDoubleASCIISingle() {
        #expect(DisplayWidth.of("A007") == 4)
        #expect(DisplayWidth.of("受理通知单") == 10)
        #expect(DisplayWidth.of("张三·Zhang（）") == 2 + 2 + 2 + 5 + 4)
        #expect(DisplayWidth.of("é") == 2)          // not ASCII: a two-byte GB18030 glyph on the printer
        #expect(DisplayWidth.of("e\u{301}") == 2)   // one grapheme cluster, one glyph
    }

    @Test func mixedChineseAndASCIIWrapsWithinTheColumns() {
        let text = "办理事项：城乡居民基本养老保险参保登记 (Urban and Rural Residents Pension) 与医保参保"
        for columns in [10, 16, 31, 32, 48] {
            let lines = TextWrapper.wrap(text, columns: columns)
            for line in lines { #expect(DisplayWidth.of(line) <= columns, "\(line) exceeds \(columns)") }
            // Nothing lost, nothing split: the characters are the same (spaces at breaks aside).
            #expect(lines.joined().filter { $0 != " " } == text.filter { $0 != " " })
        }
    }

    @Test func aChineseCharacterNeverStraddlesALineEnd() {
        // 31 columns: 15 hanzi fill 30; the 16th (2 cells) must go to the next line whole.
        let lines = TextWrapper.wrap(String(repeating: "办", count: 16), columns: 31)
        #expect(lines == [String(repeating: "办", count: 15), "办"])
        // A grapheme cluster (flag, combining accent) is never cut either.
        let flags = TextWrapper.wrap("AB🇨🇳🇨🇳", columns: 4)
        #expect(flags == ["AB🇨🇳", "🇨🇳"])
    }

    @Test func closingPunctuationNeverStartsALine() {
        let lines = TextWrapper.wrap("材料齐全开始办理。", columns: 16)
        #expect(lines == ["材料齐全开始办", "理。"])
    }

    @Test func latinWordsAndNumberPartsMoveWhole() {
        #expect(TextWrapper.wrap("please restock paper", columns: 10) == ["please", "restock", "paper"])
        #expect(TextWrapper.wrap("370481-TZ01-20261122-00017", columns: 23) == ["370481-TZ01-20261122-", "00017"])
        // A URL breaks after a slash; a token with nothing to break at is broken at characters.
        #expect(TextWrapper.wrap("https://x.cn/p/abcdefghijklmnop", columns: 16) == ["https://x.cn/p/", "abcdefghijklmnop"])
        #expect(TextWrapper.wrap("Q7mZ2xK9aB3dQ7mZ2xK9", columns: 16) == ["Q7mZ2xK9aB3dQ7mZ", "2xK9"])
    }

    @Test func keyValueRowsAlignValuesByDisplayWidth() {
        let doc = SlipDocument(kind: "t", elements: [
            .row("申请人", "张*"), .row("证件号码", "1101**********002X"), .row("ID", "A1"),
        ])
        let lines = textLines(SlipLayout(doc, profile: p58))
        #expect(lines == ["申请人   张*", "证件号码 1101**********002X", "ID       A1"])
        // Every value starts at display column 9.
        for (line, value) in zip(lines, ["张*", "1101**********002X", "A1"]) {
            #expect(DisplayWidth.of(line.dropLast(value.count)) == 9)
        }
    }

    @Test func longValuesWrapUnderTheirColumn() {
        let doc = SlipDocument(kind: "t", elements: [
            .row("住址", "山东省滕州市荆河街道学院中路一百二十八号院三号楼二单元五零一室"),
        ])
        let lines = textLines(SlipLayout(doc, profile: p58))
        #expect(lines.count > 1)
        #expect(lines[0].hasPrefix("住址 山东省"))
        for line in lines.dropFirst() { #expect(line.hasPrefix("     ") && !line.hasPrefix("      ")) }
        for line in lines { #expect(DisplayWidth.of(line) <= 32) }
    }

    @Test func largeTextWrapsAtItsOwnWidth() {
        let doc = SlipDocument(kind: "t", elements: [.title("一二三四五六七八九十")])  // 20 cells ×2 = 40 > 32
        let lines = textLines(SlipLayout(doc, profile: p58))
        #expect(lines == ["一二三四五六七八", "九十"])
    }

    @Test func controlCharactersNeverReachThePrinter() {
        let lines = TextWrapper.wrap("A\u{1B}@B\u{07}\tC", columns: 32)
        #expect(lines == ["A@B C"])
    }

    private func textLines(_ layout: SlipLayout) -> [String] {
        layout.lines.compactMap { if case let .text(text, _) = $0 { text } else { nil } }
    }
}
