/// Width of text on a Chinese thermal printer, in half-width cells. In the printer's GB18030 mode every
/// single-byte (ASCII) character is one cell and every multi-byte one — hanzi, full-width
/// punctuation, `·`, `—`, `×` — is a two-cell glyph; a grapheme cluster is one glyph.
public enum DisplayWidth {
    @inline(__always)
    public static func of(_ character: Character) -> Int { character.isASCII ? 1 : 2 }

    public static func of<S: StringProtocol>(_ text: S) -> Int {
        var width = 0
        for character in text { width += of(character) }
        return width
    }

    /// Removes control characters (tabs become a space), so nothing reaches the printer as a command.
    public static func printable<S: StringProtocol>(_ text: S) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            if character == "\t" { result.append(" "); continue }
            if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
               scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                continue
            }
            result.append(character)
        }
        return result
    }
}

/// Breaks text into lines of at most a given number of cells: at any character boundary (never inside
/// a character), moving a Latin word whole when it fits on a line, and never starting a line with
/// closing punctuation (`，。、」）`).
public enum TextWrapper {
    static let noLineStart: Set<Character> = ["，", "。", "、", "；", "：", "？", "！", "）", "》", "」", "』", "】", "”", "’",
                                              ",", ".", ";", ":", "?", "!", ")", "…"]

    public static func wrap(_ text: String, columns: Int) -> [String] {
        let columns = max(columns, 2)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            wrapParagraph(DisplayWidth.printable(paragraph), columns: columns, into: &lines)
        }
        return lines
    }

    private static func wrapParagraph(_ paragraph: String, columns: Int, into lines: inout [String]) {
        if paragraph.utf8.allSatisfy({ $0 < 0x80 }), paragraph.utf8.count <= columns {
            lines.append(paragraph)  // the common short ASCII case
            return
        }
        var line: [Character] = []
        var width = 0
        for character in paragraph {
            let w = DisplayWidth.of(character)
            if width + w <= columns {
                line.append(character)
                width += w
                continue
            }
            var carried: [Character] = []
            if noLineStart.contains(character), line.count > 1 {
                carried.append(line.removeLast())  // take the previous character along
            } else if isWordCharacter(character), let last = line.last, isWordCharacter(last),
                      let breakAt = line.lastIndex(where: { $0 == " " || $0 == "-" || $0 == "/" }),
                      line.count - breakAt - 1 < columns / 2 {
                // Keep a Latin word (or the last part of a number like 370481-TZ01-…) whole.
                carried = Array(line[(breakAt + 1)...])
                line.removeSubrange((line[breakAt] == " " ? breakAt : breakAt + 1)...)
            }
            lines.append(trimmedTrailing(line))
            line = carried
            while line.first == " " { line.removeFirst() }
            if character != " " || !line.isEmpty { line.append(character) }
            width = DisplayWidth.of(String(line))
            if width > columns {  // a single very wide carry: fall back to a plain break
                lines.append(String(line.dropLast()))
                line = [character]
                width = DisplayWidth.of(character)
            }
        }
        lines.append(trimmedTrailing(line))
    }

    private static func isWordCharacter(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

    private static func trimmedTrailing(_ line: [Character]) -> String {
        var end = line.endIndex
        while end > line.startIndex, line[end - 1] == " " { end -= 1 }
        return String(line[..<end])
    }

    /// Pads `text` with spaces to `columns` cells.
    public static func pad(_ text: String, to columns: Int) -> String {
        let width = DisplayWidth.of(text)
        return width >= columns ? text : text + String(repeating: " ", count: columns - width)
    }
}
