import Testing
import Workflow

@Suite("Filing lifecycle: every transition, allowed or refused")
struct FilingLifecycleTests {
    /// The whole table: (from, event) → to. Every pair not listed must be refused.
    static let allowed: [FilingStatus: [FilingEvent: FilingStatus]] = [
        .draft: [.submit: .submitted, .withdraw: .withdrawn],
        .submitted: [.accept: .accepted, .acceptConditionally: .conditionallyAccepted, .reject: .rejected,
                     .notifyCorrection: .correctionNotified, .withdraw: .withdrawn],
        .correctionNotified: [.accept: .accepted, .withdraw: .withdrawn],
        .accepted: [.startHandling: .inProgress, .withdraw: .withdrawn],
        // 补交 completes it (accept); a lapsed deferred material rejects or withdraws it.
        .conditionallyAccepted: [.startHandling: .inProgress, .withdraw: .withdrawn, .accept: .accepted, .reject: .rejected],
        .inProgress: [.suspend: .suspended, .conclude(.approved): .concluded(.approved), .conclude(.denied): .concluded(.denied),
                      .withdraw: .withdrawn],
        .suspended: [.resume: .inProgress, .withdraw: .withdrawn],
        .concluded(.approved): [.deliver(.collected): .delivered(.collected), .deliver(.mailed): .delivered(.mailed)],
        .concluded(.denied): [.deliver(.collected): .delivered(.collected), .deliver(.mailed): .delivered(.mailed)],
    ]

    @Test(arguments: FilingStatus.all)
    func everyEventFromEveryStatus(_ status: FilingStatus) {
        for event in FilingEvent.all {
            let actor = event.permittedActors.contains(.staff) ? FilingActor.staff : .kiosk
            let expected = Self.allowed[status]?[event]
            do {
                let next = try FilingLifecycle.next(from: status, on: event, by: actor)
                #expect(next == expected, "\(status) --\(event)--> \(next), expected \(expected.map(\.description) ?? "refusal")")
            } catch {
                #expect(expected == nil, "\(status) --\(event)--> refused, expected \(expected!)")
                #expect(error == .illegal(from: status, event: event))
            }
        }
    }

    @Test func terminalStatusesAcceptNoEvent() {
        // Exactly the statuses with no row in the table are terminal.
        let terminal = FilingStatus.all.filter(\.isTerminal)
        #expect(Set(terminal) == Set(FilingStatus.all.filter { Self.allowed[$0] == nil }))
        #expect(Set(terminal) == [.rejected, .withdrawn, .delivered(.collected), .delivered(.mailed)])
    }

    @Test func theKioskDecidesAtTheFrontDeskAndThePlatformHandles() throws {
        #expect(try FilingLifecycle.next(from: .submitted, on: .accept, by: .kiosk) == .accepted)
        #expect(throws: FilingTransitionError.notPermitted(actor: .platform, event: .accept)) {
            try FilingLifecycle.next(from: .submitted, on: .accept, by: .platform)
        }
        #expect(throws: FilingTransitionError.notPermitted(actor: .kiosk, event: .conclude(.approved))) {
            try FilingLifecycle.next(from: .inProgress, on: .conclude(.approved), by: .kiosk)
        }
        #expect(try FilingLifecycle.next(from: .inProgress, on: .conclude(.denied), by: .platform) == .concluded(.denied))
    }

    @Test func statusesRoundTripThroughTheirStoredForm() throws {
        for status in FilingStatus.all {
            #expect(FilingStatus(status.description) == status)
        }
        #expect(FilingStatus("concluded.maybe") == nil)
        #expect(FilingStatus("approved") == nil)
    }

    /// Random walks through the lifecycle: every applied step is in the table, refusals change nothing.
    @Test func randomOperationSequencesStayLegal() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var status = FilingStatus.draft
            var history: [FilingStatus] = [status]
            for _ in 0..<30 {
                let event = FilingEvent.all.randomElement(using: &generator)!
                let actor = FilingActor.allCases.randomElement(using: &generator)!
                if let next = try? FilingLifecycle.next(from: status, on: event, by: actor) {
                    #expect(Self.allowed[status]?[event] == next)
                    #expect(event.permittedActors.contains(actor))
                    status = next
                    history.append(next)
                }
            }
            #expect(history.first == .draft)
            #expect(history.dropLast().allSatisfy { !$0.isTerminal })
        }
    }

    @Test func thePlatformsStepsAreReplayedByTheShortestPermittedPath() {
        #expect(FilingLifecycle.path(from: .accepted, to: .accepted, by: .platform) == [])
        #expect(FilingLifecycle.path(from: .accepted, to: .concluded(.approved), by: .platform) == [.startHandling, .conclude(.approved)])
        #expect(FilingLifecycle.path(from: .conditionallyAccepted, to: .delivered(.mailed), by: .platform)
            == [.startHandling, .conclude(.approved), .deliver(.mailed)])
        #expect(FilingLifecycle.path(from: .suspended, to: .concluded(.denied), by: .platform) == [.resume, .conclude(.denied)])
        // The platform may not make the front desk's decisions, nor go back.
        #expect(FilingLifecycle.path(from: .accepted, to: .rejected, by: .platform) == nil)
        #expect(FilingLifecycle.path(from: .concluded(.approved), to: .inProgress, by: .platform) == nil)
        #expect(FilingLifecycle.path(from: .withdrawn, to: .inProgress, by: .platform) == nil)
        // Every path found is one the table accepts step by step.
        for from in FilingStatus.all {
            for to in FilingStatus.all {
                guard let path = FilingLifecycle.path(from: from, to: to, by: .platform) else { continue }
                var status = from
                for event in path { status = (try? FilingLifecycle.next(from: status, on: event, by: .platform)) ?? .draft }
                #expect(status == to, "\(from) → \(to) by \(path)")
            }
        }
    }
}
