import DeviceKit
import Foundation
import IDCard
import KioskConfig
import Logging

/// Resident memory of this process in KiB (from /proc/self/statm).
func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024 : 0
}

enum IDCardBench {
    static func run() async throws {
        // Decoding a 1295-byte read reply: frame checks, payload split, text decoding.
        let reply = SAMResponse.frame(status: .success,
                                      data: CardReadPayload(text: SampleCards.resident.text, photo: SampleCards.resident.photo).replyData)
        precondition(reply.count == 1295)
        var sink = 0
        report("idcard decode 1295-byte read reply", try measure(20_000) {
            let response = try SAMResponse(frame: reply)
            let payload = try CardReadPayload(readReplyData: response.data, withFingerprint: false)
            let identity = try CardText.decode(text: payload.text, photo: payload.photo)
            sink &+= identity.idNumber.utf8.count
        })

        // Full find → select → read over the simulated SAM with a 115200-baud wire: the kiosk's own
        // overhead is the measured time minus the wire time of the bytes exchanged.
        let connection = SimulatedSAMConnection(bitsPerSecond: 115_200)
        connection.withSimulator { $0.place(SampleCards.resident) }
        let client = SAMClient(connection: connection)
        let wire = [SAMCommand.findCard, .selectCard, .readBase].reduce(Duration.zero) { total, command in
            var sam = SAMSimulator(card: SampleCards.resident)
            if command == .readBase { _ = sam.respond(to: SAMCommand.selectCard.frame) }
            return total + connection.wireTime(bytes: command.frame.count + sam.respond(to: command.frame).count)
        }
        let wireMicros = wire.microseconds
        let cycles = try measure(30) { _ = try client.findSelectRead() }
        report("idcard find+select+read, total (sim 115200)", cycles)
        report("idcard find+select+read, above wire time", cycles.map { $0 - wireMicros })
        print(String(format: "%-46@ %.1f µs", "  (simulated wire time of the cycle)" as NSString, wireMicros))

        // 100,000 polls with no card through the reader service: memory must not grow.
        let empty = SimulatedSAMConnection()
        let service = IDCardReaderService(simulatedBinding: DeviceBinding(id: "idcard", kind: .idCardReader, driver: .simulated),
                                          simulator: empty, logger: Logger(label: "bench"))
        for _ in 0..<1_000 { await service.pollOnce() }
        let before = residentKiB()
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<100_000 { await service.pollOnce() }
        let elapsed = clock.now - start
        let after = residentKiB()
        print(String(format: "%-46@ RSS %d KiB → %d KiB (%+d KiB), %.1f µs/poll, %d polls counted",
                     "idcard 100,000 polls, no card" as NSString, before, after, after - before,
                     elapsed.microseconds / 100_000,
                     service.counters.polls))
        if sink == 42 { print("") }
    }
}
