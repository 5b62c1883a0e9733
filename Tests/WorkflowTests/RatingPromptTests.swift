import Foundation
import Testing
@testable import Workflow

/// The evaluation pad's prompt rules, with time passed in by hand.
@Suite("Rating prompt (一次一评 on the pad)")
struct RatingPromptTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let filing = EvaluationSubject.filing("370481-TZ01-20261122-00017")

    @Test func keysWhileNothingIsAskedAreIgnored() {
        var prompt = RatingPrompt()
        #expect(prompt.key(.verySatisfied, isPress: true, now: t0) == .ignoredIdle)
        #expect(prompt.key(.verySatisfied, isPress: false, now: t0 + 0.1) == .heldOrReleased)
        #expect(prompt.phase == .idle)
    }

    @Test func aPressDuringThePromptIsRecordedOnce() {
        var prompt = RatingPrompt(timeout: 30, debounce: 0.3, answeredHold: 5)
        let (deadline, replaced) = prompt.ask(filing, now: t0)
        #expect(deadline == t0 + 30)
        #expect(replaced == nil)
        #expect(prompt.key(.veryDissatisfied, isPress: true, now: t0 + 2) == .record(filing, .veryDissatisfied))
        #expect(prompt.asking == nil)
        // A second, deliberate press on the thank-you screen is a second rating: refused.
        #expect(prompt.key(.verySatisfied, isPress: true, now: t0 + 3) == .secondPress(filing))
        // After the hold the pad is idle again.
        #expect(prompt.key(.verySatisfied, isPress: true, now: t0 + 8) == .ignoredIdle)
    }

    @Test(arguments: [0.0, 0.01, 0.1, 0.29])
    func aBouncedContactCountsOnce(_ gap: Double) {
        var prompt = RatingPrompt(debounce: 0.3)
        _ = prompt.ask(filing, now: t0)
        #expect(prompt.key(.satisfied, isPress: true, now: t0 + 1) == .record(filing, .satisfied))
        #expect(prompt.key(.satisfied, isPress: false, now: t0 + 1 + gap / 2) == .heldOrReleased)
        #expect(prompt.key(.satisfied, isPress: true, now: t0 + 1 + gap) == .debounced)
    }

    @Test func chatterKeepsExtendingTheWindowButAPauseEndsIt() {
        var prompt = RatingPrompt(debounce: 0.3, answeredHold: 10)
        _ = prompt.ask(filing, now: t0)
        #expect(prompt.key(.satisfied, isPress: true, now: t0) == .record(filing, .satisfied))
        for i in 1...5 { #expect(prompt.key(.satisfied, isPress: true, now: t0 + Double(i) * 0.2) == .debounced) }
        #expect(prompt.key(.satisfied, isPress: true, now: t0 + 1.0 + 0.31) == .secondPress(filing))
    }

    @Test func heldKeyRepeatsAreNotPresses() {
        var prompt = RatingPrompt()
        _ = prompt.ask(filing, now: t0)
        for i in 1...20 { #expect(prompt.key(.basicallySatisfied, isPress: false, now: t0 + Double(i) * 0.03) == .heldOrReleased) }
        #expect(prompt.asking == filing)
        #expect(prompt.key(.basicallySatisfied, isPress: true, now: t0 + 1) == .record(filing, .basicallySatisfied))
    }

    @Test func noAnswerBeforeTheDeadlineIsUnrated() {
        var prompt = RatingPrompt(timeout: 30)
        _ = prompt.ask(filing, now: t0)
        #expect(prompt.expire(now: t0 + 29.9) == nil)
        #expect(prompt.asking == filing)
        #expect(prompt.expire(now: t0 + 30) == filing)
        #expect(prompt.phase == .idle)
        #expect(prompt.expire(now: t0 + 31) == nil)
        // A late press is not a rating of the expired instance.
        #expect(prompt.key(.verySatisfied, isPress: true, now: t0 + 31) == .ignoredIdle)
    }

    @Test func aNewPromptReplacesAnUnansweredOneAndCancelEndsIt() {
        var prompt = RatingPrompt()
        _ = prompt.ask(filing, now: t0)
        let ticket = EvaluationSubject.ticket(7)
        #expect(prompt.ask(ticket, now: t0 + 1).replaced == filing)
        #expect(prompt.ask(ticket, now: t0 + 2).replaced == nil)   // asking again for the same one is no replacement
        #expect(prompt.cancel() == ticket)
        #expect(prompt.cancel() == nil)
        #expect(prompt.phase == .idle)
    }
}
