import Testing
import Workflow
@testable import IDCard

@Suite struct CardTextTests {
    func decode(_ card: SAMSimulator.Card) throws -> CardIdentity {
        try CardText.decode(text: card.text, photo: card.photo, fingerprint: card.fingerprint)
    }

    @Test func residentCard() throws {
        let id = try decode(SampleCards.resident)
        #expect(id.cardType == .resident)
        #expect(id.name == "张三")
        #expect(id.sex == .male)
        #expect(id.nationCode == "01")
        #expect(id.nation == "汉")
        #expect(id.birthDate == CivilDate(iso: "1949-12-31"))
        #expect(id.address == "山东省滕州市荆河街道善国北路100号")
        #expect(id.idNumber == "11010519491231002X")
        #expect(id.issuingAuthority == "滕州市公安局")
        #expect(id.validFrom == CivilDate(iso: "2020-01-01"))
        #expect(id.validUntil == .longTerm)
        #expect(id.isIDNumberValid)
        #expect(id.photo.count == 1024)
        #expect(id.passNumber == nil && id.englishName == nil)
    }

    @Test func residencePermitCard() throws {
        let id = try decode(SampleCards.residencePermit)
        #expect(id.cardType == .residencePermit)
        #expect(id.passNumber == "H12345678")
        #expect(id.issueCount == 1)
        #expect(id.nationCode == nil)
        #expect(id.validUntil == .until(CivilDate(iso: "2028-06-01")!))
        #expect(id.isIDNumberValid, "\(id.idNumberProblems)")
    }

    @Test func foreignPermanentResident2017Card() throws {
        let id = try decode(SampleCards.foreign2017)
        #expect(id.cardType == .foreignPermanentResident2017)
        #expect(id.englishName == "SMITH, JOHN")
        #expect(id.name == "史密斯")
        #expect(id.nationality == "USA")
        #expect(id.idNumber == "USA370081010150")
        #expect(id.birthDate == CivilDate(iso: "1981-01-01"))
        #expect(id.cardVersion == "01")
        #expect(id.issuingAuthority == "1500")
        #expect(id.isIDNumberValid, "\(id.idNumberProblems)")
    }

    @Test func foreignPermanentResident2023Card() throws {
        let id = try decode(SampleCards.foreign2023)
        #expect(id.cardType == .foreignPermanentResident2023)
        #expect(id.name == "玛丽")
        #expect(id.sex == .female)
        #expect(id.renewalCount == 0)
        #expect(id.englishName == "MARY ANN JOHNSON")
        #expect(id.nationality == "GBR")
        #expect(id.isIDNumberValid, "\(id.idNumberProblems)")
    }

    @Test func aLongEnglishNameSpansBothFieldsOfThe2023Card() throws {
        let text = CardText.encode(type: .foreignPermanentResident2023, values: [
            "name": "玛丽", "sex": "2", "birth": "19850520", "idNumber": "937001198505200022",
            "englishName": "MARY ANN ELIZABETH CATHERINE", "englishName2": " JOHNSON",
        ])
        let id = try CardText.decode(text: text, photo: SampleCards.resident.photo)
        #expect(id.englishName == "MARY ANN ELIZABETH CATHERINE JOHNSON")
    }

    @Test(arguments: [("sex", "7"), ("birth", "19491331"), ("birth", "1949123"), ("nation", "77"), ("validUntil", "2030-1-1")])
    func invalidFieldsAreTypedErrors(_ field: String, _ value: String) {
        var values = ["name": "张三", "sex": "1", "nation": "01", "birth": "19491231", "idNumber": "11010519491231002X",
                      "validFrom": "20200101", "validUntil": "长期"]
        values[field] = value
        let text = CardText.encode(type: .resident, values: values)
        #expect(throws: CardTextError.invalidField(name: field, value: value)) {
            try CardText.decode(text: text, photo: SampleCards.resident.photo)
        }
    }

    @Test func unknownTypeMarkAndWrongSizesAreTypedErrors() {
        var text = SampleCards.resident.text
        text[248] = 0x5A  // 'Z'
        #expect(throws: CardTextError.unknownCardType(mark: 0x5A)) { try CardText.decode(text: text, photo: SampleCards.resident.photo) }
        #expect(throws: CardTextError.wrongLength(255)) { try CardText.decode(text: Array(text.prefix(255)), photo: []) }
        #expect(throws: CardTextError.wrongPhotoLength(10)) { try CardText.decode(text: SampleCards.resident.text, photo: [UInt8](repeating: 0, count: 10)) }
    }

    @Test func aNumberFailingItsCheckIsReportedNotAccepted() throws {
        let text = CardText.encode(type: .resident, values: [
            "name": "李四", "sex": "2", "nation": "03", "birth": "19900101", "idNumber": "370481199001011234",
        ])
        let id = try CardText.decode(text: text, photo: SampleCards.resident.photo)
        #expect(!id.isIDNumberValid)
        #expect(id.idNumberProblems.contains { $0.contains("check character") })
    }
}

@Suite struct IDNumberTests {
    @Test(arguments: ["11010519491231002X", "440524188001010014", "370481199001011233", "11010519491231002x"])
    func validNumbers(_ number: String) {
        #expect(IDNumber.hasValidCheckCharacter(number))
    }

    @Test(arguments: ["11010519491231002Y", "110105194912310021", "1101051949123100", "ABCDEFGHIJKLMNOPQR", "１１０１０５１９４９１２３１００２X"])
    func invalidNumbers(_ number: String) {
        #expect(!IDNumber.hasValidCheckCharacter(number))
    }

    @Test func birthDateMustAgreeWithTheCard() {
        let problems = IDNumber.problems(number: "11010519491231002X", cardType: .resident, birthDate: "19500101")
        #expect(problems.contains { $0.contains("birth date") })
    }

    @Test func regionPrefixMustBePlausible() {
        // 99… with a correct check character is still not a province.
        let number = "99010519491231002"
        let full = number + String(IDNumber.checkCharacter(forFirst17: Substring(number))!)
        #expect(IDNumber.problems(number: full, cardType: .resident, birthDate: "19491231").contains { $0.contains("region prefix") })
        #expect(IDNumber.problems(number: "11010519491231002X", cardType: .residencePermit, birthDate: "19491231").contains { $0.contains("81, 82 or 83") })
    }
}

@Suite struct MaskingTests {
    @Test func idNumbersKeepFourAndFour() {
        #expect(PersonalDataMask.idNumber("37048119900101123X") == "3704**********123X")
        #expect(PersonalDataMask.idNumber("USA370081010150") == "USA3*******0150")
        #expect(PersonalDataMask.idNumber("1234") == "****")
    }

    @Test func namesKeepTheirFirstCharacter() {
        #expect(PersonalDataMask.name("张三") == "张*")
        #expect(PersonalDataMask.name("欧阳娜娜") == "欧***")
        #expect(PersonalDataMask.name("SMITH, JOHN") == "S***")
    }

    @Test func addressesKeepTheAdministrativePart() {
        #expect(PersonalDataMask.address("山东省滕州市荆河街道善国北路100号") == "山东省滕州市****")
    }
}

@Suite struct SAMSimulatorTests {
    @Test func answersTheReadSequenceLikeAModule() throws {
        var sam = SAMSimulator()
        #expect(try SAMResponse(frame: sam.respond(to: SAMCommand.findCard.frame)).status == .noCard)
        sam.place(SampleCards.resident)
        #expect(try SAMResponse(frame: sam.respond(to: SAMCommand.readBase.frame)).status == .readFailed)  // not selected
        #expect(try SAMResponse(frame: sam.respond(to: SAMCommand.findCard.frame)).status == .findCardSuccess)
        #expect(try SAMResponse(frame: sam.respond(to: SAMCommand.selectCard.frame)).status == .success)
        let read = try SAMResponse(frame: sam.respond(to: SAMCommand.readBase.frame))
        #expect(read.status == .success)
        let payload = try CardReadPayload(readReplyData: read.data, withFingerprint: false)
        #expect(try CardText.decode(text: payload.text, photo: payload.photo).name == "张三")
        #expect(try SAMResponse(frame: sam.respond(to: SAMCommand.readWithFingerprint.frame)).status == .noSuchItem)
        let address = try SAMResponse(frame: sam.respond(to: SAMCommand.readLatestAddress.frame))
        #expect(CardText.string(Array(address.data), .init(offset: 0, length: 70)) == "山东省滕州市北辛街道学院中路1号")
    }

    @Test func answersBadFramesWithTheirStatus() throws {
        var sam = SAMSimulator()
        var bad = SAMCommand.findCard.frame
        bad[bad.count - 1] ^= 1
        #expect(try SAMResponse(frame: sam.respond(to: bad)).status == .checksumError)
        #expect(try SAMResponse(frame: sam.respond(to: SAMFrame.encode(body: [0x77, 0x01]))).status == .commandError)
        sam.injectedStatuses = [(.selectCard, .samSelfTestFailed)]
        sam.place(SampleCards.resident)
        #expect(try SAMResponse(frame: sam.respond(to: SAMCommand.selectCard.frame)).status == .samSelfTestFailed)
        #expect(try SAMResponse(frame: sam.respond(to: SAMCommand.selectCard.frame)).status == .success)
    }
}
