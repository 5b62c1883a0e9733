/// Checks of identity numbers per GB 11643 (18 characters: region, birth date, sequence, check
/// character), which also apply to HK/Macao/Taiwan residence permits (81/82/83…) and to 2023
/// foreign permanent-residence numbers (starting with 9).
public enum IDNumber {
    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = Array("10X98765432")
    static let provincePrefixes: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    ]

    /// The GB 11643 check character for the first 17 digits, nil if they are not 17 digits.
    public static func checkCharacter(forFirst17 digits: Substring) -> Character? {
        guard digits.count == 17 else { return nil }
        var sum = 0
        for (character, weight) in zip(digits, weights) {
            guard let d = character.wholeNumberValue, character.isASCII else { return nil }
            sum += d * weight
        }
        return checkCharacters[sum % 11]
    }

    /// Whether an 18-character number's check character is right.
    public static func hasValidCheckCharacter(_ number: String) -> Bool {
        guard number.count == 18, let expected = checkCharacter(forFirst17: number.prefix(17)) else { return false }
        return number.last == expected || (expected == "X" && number.last == "x")
    }

    /// The findings of checking a card's number against its type and birth date; empty when valid.
    public static func problems(number: String, cardType: CardType, birthDate: String?, nationality: String? = nil) -> [String] {
        var problems: [String] = []
        switch cardType {
        case .resident, .residencePermit, .foreignPermanentResident2023:
            guard number.count == 18 else { return ["number has \(number.count) characters, not 18"] }
            if !hasValidCheckCharacter(number) { problems.append("check character does not match (GB 11643)") }
            let prefix = String(number.prefix(2))
            switch cardType {
            case .resident:
                if !provincePrefixes.contains(prefix) { problems.append("region prefix \(prefix) is not a province code") }
            case .residencePermit:
                if !["81", "82", "83"].contains(prefix) { problems.append("residence-permit numbers start with 81, 82 or 83, not \(prefix)") }
            default:
                if !number.hasPrefix("9") { problems.append("2023 permanent-residence numbers start with 9") }
                else if !provincePrefixes.contains(String(number.dropFirst().prefix(2))) {
                    problems.append("province code \(number.dropFirst().prefix(2)) after the 9 is not a province")
                }
            }
            if cardType != .foreignPermanentResident2023, let birthDate {
                let embedded = String(number.dropFirst(6).prefix(8))
                if embedded != birthDate { problems.append("birth date in the number (\(embedded)) differs from the card's (\(birthDate))") }
            }
        case .foreignPermanentResident2017:
            // 15 characters: 3-letter nationality, 12 digits.
            let letters = number.prefix(3)
            let digits = number.dropFirst(3)
            if number.count != 15 || !letters.allSatisfy({ $0.isASCII && $0.isUppercase }) || !digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                problems.append("2017 permanent-residence numbers are 3 capital letters and 12 digits")
            } else if let nationality, !nationality.isEmpty, String(letters) != nationality {
                problems.append("nationality in the number (\(letters)) differs from the card's (\(nationality))")
            }
        }
        return problems
    }
}
