import Foundation

/// 帮办代办: an agent (家属, 代办员) files for a principal. The agent's card is read; the principal is
/// read from their own card, or entered (name and ID number), and then the catalogue's 授权委托书 is
/// required. Both go upstream; slips and screens show both masked.
public enum AgentFiling {
    /// The catalogue's name of the power of attorney an entered principal needs.
    public static let authorizationMaterialName = "授权委托书"

    /// The items as an agent filing for an entered (not card-read) principal must meet them: each
    /// item's 授权委托书 required. Throws when an item lists none (the principal's card is needed).
    public static func items(_ items: [ServiceItem], principalReadFromCard: Bool) throws(WorkflowError) -> [ServiceItem] {
        if principalReadFromCard { return items }
        return try items.map { item throws(WorkflowError) -> ServiceItem in
            guard item.materials.contains(where: { $0.name == authorizationMaterialName }) else {
                throw .authorizationNotListed(itemCode: item.implementationCode)
            }
            var item = item
            item.materials = item.materials.map { m in
                var m = m
                if m.name == authorizationMaterialName { m.need = .required; m.deferral = nil }
                return m
            }
            return item
        }
    }

    /// A principal entered at the screen: a name and an 18-character resident ID number whose
    /// GB 11643 check character is right.
    public static func enteredPrincipal(name: String, idNumber: String) throws(WorkflowError) -> Applicant {
        let number = idNumber.uppercased()
        guard !name.isEmpty, name.count <= 30, name.trimmingCharacters(in: .whitespacesAndNewlines) == name,
              !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw .invalidPrincipal(reason: "the name must be 1–30 characters, without surrounding spaces or control characters")
        }
        guard isValidResidentIDNumber(number) else { throw .invalidPrincipal(reason: "the ID number is not a valid 18-character resident number") }
        return Applicant(name: name, idNumber: number, documentKind: "resident", verifiedByCard: false)
    }

    /// GB 11643: 17 digits and a check character (0–9 or X) from the weighted sum mod 11.
    public static func isValidResidentIDNumber(_ number: String) -> Bool {
        let chars = Array(number)
        guard chars.count == 18, chars.prefix(17).allSatisfy(\.isASCIIDigit) else { return false }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(chars.prefix(17), weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        let check = Array("10X98765432")[sum % 11]
        return chars[17] == check
    }
}
