import KioskTestSupport
import Testing
@testable import IDCard

func bytes(_ hex: String) -> [UInt8] {
    let clean = hex.filter { !$0.isWhitespace }
    var out: [UInt8] = []
    var i = clean.startIndex
    while i < clean.endIndex {
        let j = clean.index(i, offsetBy: 2)
        out.append(UInt8(clean[i..<j], radix: 16)!)
        i = j
    }
    return out
}

@Suite struct SAMFrameTests {
    @Test func requestFramesMatchHandComputedBytes() {
        // Checksum = XOR of the length bytes and the body: 00^03^20^01 = 22.
        #expect(SAMCommand.findCard.frame == bytes("AAAAAA9669 0003 2001 22"))
        #expect(SAMCommand.selectCard.frame == bytes("AAAAAA9669 0003 2002 21"))
        #expect(SAMCommand.readBase.frame == bytes("AAAAAA9669 0003 3001 32"))
        #expect(SAMCommand.readLatestAddress.frame == bytes("AAAAAA9669 0003 3003 30"))
        #expect(SAMCommand.readWithFingerprint.frame == bytes("AAAAAA9669 0003 3010 23"))
        #expect(SAMCommand.resetSAM.frame == bytes("AAAAAA9669 0003 10FF EC"))
        #expect(SAMCommand.samStatus.frame == bytes("AAAAAA9669 0003 11FF ED"))
        #expect(SAMCommand.samID.frame == bytes("AAAAAA9669 0003 12FF EE"))
        #expect(SAMCommand.setBaudRate(.b9600).frame == bytes("AAAAAA9669 0003 6004 67"))
        #expect(SAMCommand.setMaxFrameSize(0x50).frame == bytes("AAAAAA9669 0004 61FF 50 CA"))
    }

    @Test func findCardReplyParses() throws {
        let response = try SAMResponse(frame: bytes("AAAAAA9669 0008 00009F 00000000 97"))
        #expect(response.status == .findCardSuccess)
        #expect(Array(response.data) == [0, 0, 0, 0])
        let noCard = try SAMResponse(frame: bytes("AAAAAA9669 0004 000080 84"))
        #expect(noCard.status == .noCard)
        #expect(noCard.data.isEmpty)
    }

    @Test(arguments: SAMStatus.defined)
    func everyStatusRoundTripsAndSaysWhatToDo(_ status: SAMStatus) throws {
        let frame = SAMResponse.frame(status: status)
        let parsed = try SAMResponse(frame: frame)
        #expect(parsed.status == status)
        #expect(SAMStatus(code: status.code) == status)
        #expect(!status.meaning.isEmpty)
        #expect(!status.remedy.isEmpty)
        let error = SAMStatusError(command: .readBase, status: status)
        #expect(error.description.contains(String(status.code, radix: 16, uppercase: true)))
    }

    @Test func undefinedStatusesAreKeptNotMisread() {
        #expect(SAMStatus(code: 0x55) == .undefined(0x55))
        #expect(SAMStatus(code: 0x55).description.contains("0x55"))
    }

    @Test func malformedFramesGiveTypedErrors() {
        func error(_ frame: [UInt8]) -> SAMFrameError? {
            do { _ = try SAMResponse(frame: frame); return nil } catch { return error }
        }
        let good = bytes("AAAAAA9669 0004 000090 94")
        #expect(error(good) == nil)
        #expect(error(Array(good.prefix(6))) == .truncated(expected: 7, got: 6))
        #expect(error(Array(good.prefix(9))) == .truncated(expected: 11, got: 9))
        #expect(error(good + [0x00]) == .trailingBytes(count: 1))
        var badSum = good; badSum[10] = 0x95
        #expect(error(badSum) == .badChecksum(expected: 0x94, got: 0x95))
        #expect(error([0x01, 0x02] + good) == .garbageBeforePreamble(count: 2))
        #expect(error([UInt8](repeating: 0x11, count: 20)) == .noPreamble)
        #expect(error(bytes("AAAAAA9669 0001 01")) == .lengthTooSmall(1))
        #expect(error(bytes("AAAAAA9669 2000 00")) == .lengthTooLarge(0x2000))
        // Length says 3 (SW1 SW2 + checksum): too short to hold SW3.
        #expect(error(SAMFrame.encode(body: [0x00, 0x00])) == .payloadTooShort(command: "response", expected: 3, got: 2))
    }

    @Test func readReplyLengthsAreChecked() throws {
        let payload = CardReadPayload(text: SampleCards.resident.text, photo: SampleCards.resident.photo)
        let frame = SAMResponse.frame(status: .success, data: payload.replyData)
        #expect(frame.count == 1295)
        let response = try SAMResponse(frame: frame)
        #expect(try CardReadPayload(readReplyData: response.data, withFingerprint: false) == payload)

        var data = payload.replyData
        data[2] = 0x05  // photo length 0x0500 instead of 0x0400
        #expect(throws: SAMFrameError.payloadLengthMismatch(command: "read text+photo", announced: 256 + 1280, present: 256 + 1024)) {
            try CardReadPayload(readReplyData: data[...], withFingerprint: false)
        }
        #expect(throws: SAMFrameError.payloadTooShort(command: "read with fingerprint", expected: 6, got: 4)) {
            try CardReadPayload(readReplyData: [0, 1, 0, 4][...], withFingerprint: true)
        }
    }

    @Test func samIdentifierFormats() throws {
        let id = SAMIdentifier(bytes: [0x05, 0x00, 0x01, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x4E, 0x61, 0xBC, 0x00, 0x01, 0x00, 0x00, 0x00])
        #expect(id.description == "05.01-00000010-0012345678-0000000001")
        #expect(throws: SAMFrameError.self) { try SAMIdentifier(data: [1, 2, 3][...]) }
    }
}

@Suite struct SAMFrameAssemblerTests {
    let frames = [
        SAMResponse.frame(status: .findCardSuccess, data: [0, 0, 0, 0]),
        SAMResponse.frame(status: .success, data: CardReadPayload(text: SampleCards.resident.text, photo: SampleCards.resident.photo).replyData),
    ]

    @Test(arguments: [1, 3, 7, 64, 512, 5000])
    func reassemblesFramesSplitAtAnySize(_ chunk: Int) throws {
        var assembler = SAMFrameAssembler()
        let stream = frames.flatMap { $0 }
        var out: [[UInt8]] = []
        var i = 0
        while i < stream.count {
            assembler.append(stream[i..<min(i + chunk, stream.count)])
            i += chunk
            while let frame = try assembler.nextFrame() { out.append(frame) }
        }
        #expect(out == frames)
        #expect(assembler.bufferedCount == 0)
    }

    @Test func resynchronisesAfterGarbageAndReportsItOnce() throws {
        var assembler = SAMFrameAssembler()
        assembler.append([0x00, 0xFF, 0xAA] + frames[0])
        #expect(throws: SAMFrameError.garbageBeforePreamble(count: 3)) { try assembler.nextFrame() }
        #expect(try assembler.nextFrame() == frames[0])
    }

    @Test func dropsNoiseButKeepsAPossiblePreambleStart() throws {
        var assembler = SAMFrameAssembler()
        assembler.append([0x12, 0x34, 0xAA, 0xAA])
        #expect(throws: SAMFrameError.garbageBeforePreamble(count: 2)) { try assembler.nextFrame() }
        assembler.append(frames[0].dropFirst(2))
        #expect(try assembler.nextFrame() == frames[0])
    }

    @Test func aBadChecksumIsReportedAndTheFrameDropped() throws {
        var assembler = SAMFrameAssembler()
        var bad = frames[0]
        bad[bad.count - 1] ^= 0xFF
        assembler.append(bad + frames[0])
        #expect(throws: SAMFrameError.self) { try assembler.nextFrame() }
        #expect(try assembler.nextFrame() == frames[0])
    }

    /// Thousands of random and mutated frames: every one gives a frame, nil or a typed error —
    /// never a crash, a hang or a read past the buffer.
    @Test func fuzzRandomAndMutatedInputAlwaysGivesATypedResult() {
        var rng = SplitMix64(seed: 0x5A17_467)
        let seeds = frames + [SAMCommand.findCard.frame, SAMResponse.frame(status: .noCard)]
        var outcomes = (frames: 0, errors: 0, incomplete: 0)
        for round in 0..<6000 {
            var input: [UInt8]
            if round % 3 == 0 {
                input = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                input = seeds[Int(rng.next() % UInt64(seeds.count))]
                for _ in 0..<Int(rng.next() % 4) {  // a quarter stay intact
                    guard !input.isEmpty else { break }
                    let at = Int(rng.next() % UInt64(input.count))
                    switch rng.next() % 4 {
                    case 0: input[at] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: input.remove(at: at)
                    case 2: input.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                    default: input = Array(input.prefix(at))
                    }
                }
            }
            // The strict parser…
            do {
                let response = try SAMResponse(frame: input)
                #expect(response.data.count == input.count - 11)
                outcomes.frames += 1
            } catch {
                outcomes.errors += 1
            }
            // …and the streaming assembler, fed in random pieces, must always terminate.
            var assembler = SAMFrameAssembler()
            var i = 0
            var steps = 0
            while i < input.count {
                let n = 1 + Int(rng.next() % 80)
                assembler.append(input[i..<min(i + n, input.count)])
                i += n
                while true {
                    steps += 1
                    guard steps < 10_000 else { Issue.record("assembler does not terminate on \(input)"); return }
                    do {
                        guard let frame = try assembler.nextFrame() else { break }
                        #expect(frame.count >= SAMFrame.headerLength + 2)
                    } catch {
                        continue
                    }
                }
            }
            if assembler.bufferedCount > 0 { outcomes.incomplete += 1 }
            #expect(assembler.bufferedCount < SAMFrame.headerLength + SAMFrame.maxLengthField)
        }
        // The corpus exercised both outcomes.
        #expect(outcomes.frames > 500)
        #expect(outcomes.errors > 1000)
    }
}

