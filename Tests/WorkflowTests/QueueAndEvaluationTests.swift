import Testing
@testable import Workflow

@Suite("Queue tickets (排队叫号) and evaluations (好差评)")
struct QueueAndEvaluationTests {
    @Test(arguments: [
        ("A", 1, "A001"), ("A", 7, "A007"), ("A", 999, "A999"), ("B", 10, "B010"), ("C", 100, "C100"),
        ("D", 0, "D000"), ("A", 1000, "A1000"),
    ])
    func ticketNumberFormatting(_ prefix: String, _ sequence: Int, _ printed: String) {
        #expect(TicketNumber(prefix: prefix, sequence: sequence).description == printed)
    }

    @Test(arguments: [
        (0, nil, 1),          // first ticket of the day
        (6, nil, 7),
        (998, nil, 999),      // the last three-digit number
        (999, nil, nil),      // 999 cap
        (1_000, nil, nil),
        (4, 5, 5),            // daily limit 5
        (5, 5, nil),
        (6, 5, nil),
        (0, 1, 1),
        (1, 1, nil),
        (0, 0, nil),          // a limit of 0 issues nothing
        (998, 2_000, 999),    // a limit above 999 is capped at 999
        (999, 2_000, nil),
        (998, 999, 999),
        (999, 999, nil),
    ] as [(Int, Int?, Int?)])
    func nextSequence(_ last: Int, _ dailyLimit: Int?, _ expected: Int?) {
        #expect(QueueRules.nextSequence(after: last, dailyLimit: dailyLimit) == expected)
    }

    @Test func aWholeDayOfTicketsRunsFrom001ToTheLimit() {
        for limit in [nil, 1, 50, 999, 5_000] as [Int?] {
            var last = 0
            var printed: [String] = []
            while let next = QueueRules.nextSequence(after: last, dailyLimit: limit) {
                #expect(next == last + 1)
                printed.append(TicketNumber(prefix: "A", sequence: next).description)
                last = next
            }
            #expect(last == min(limit ?? 999, 999))
            #expect(printed.first == "A001")
            #expect(printed.last == TicketNumber(prefix: "A", sequence: last).description)
            #expect(Set(printed).count == printed.count)
            #expect(printed.allSatisfy { $0.count == 4 })
        }
    }

    @Test(arguments: [
        (true, 5, false, 1, true),     // an appointment goes before an earlier walk-in
        (false, 1, true, 5, false),
        (false, 1, false, 2, true),    // same class: issue order
        (false, 2, false, 1, false),
        (true, 3, true, 4, true),
        (true, 4, true, 3, false),
        (true, 3, true, 3, false),     // never before itself
        (false, 3, false, 3, false),
    ])
    func callsBefore(_ aPriority: Bool, _ aSeq: Int, _ bPriority: Bool, _ bSeq: Int, _ expected: Bool) {
        #expect(QueueRules.callsBefore((aPriority, aSeq), (bPriority, bSeq)) == expected)
    }

    @Test func callingOrderSortsPriorityFirstThenSequence() {
        let waiting: [(priority: Bool, issuedSequence: Int)] = [(false, 3), (true, 8), (false, 1), (true, 2), (false, 2), (true, 5)]
        let order = waiting.sorted(by: QueueRules.callsBefore).map { "\($0.priority ? "P" : "W")\($0.issuedSequence)" }
        #expect(order == ["P2", "P5", "P8", "W1", "W2", "W3"])
    }

    @Test func ticketStates() {
        #expect(TicketState.allCases.map(\.chineseName) == ["等待中", "已叫号", "已办理", "已过号", "已取消"])
    }

    // MARK: evaluations

    @Test(arguments: [0, 6, -1, 10, Int.min, Int.max])
    func invalidLevelsThrow(_ level: Int) {
        #expect(throws: WorkflowError.invalidLevel(level)) { _ = try EvaluationLevel.from(level) }
    }

    @Test(arguments: [
        (5, EvaluationLevel.verySatisfied, "非常满意", false),
        (4, .satisfied, "满意", false),
        (3, .basicallySatisfied, "基本满意", false),
        (2, .dissatisfied, "不满意", true),
        (1, .veryDissatisfied, "非常不满意", true),
    ])
    func levels(_ raw: Int, _ level: EvaluationLevel, _ name: String, _ negative: Bool) throws {
        #expect(try EvaluationLevel.from(raw) == level)
        #expect(level.rawValue == raw)
        #expect(level.chineseName == name)
        #expect(level.isNegative == negative)
    }

    @Test func onlyTheTwoLowestAreNegative() {
        #expect(EvaluationLevel.allCases.filter(\.isNegative) == [.dissatisfied, .veryDissatisfied])
        #expect(EvaluationLevel.allCases.count == 5)
    }

    @Test func evaluationSubjects() {
        #expect(EvaluationSubject.filing("370481-TZ01-20261122-00017").description == "filing 370481-TZ01-20261122-00017")
        #expect(EvaluationSubject.ticket(42).description == "ticket 42")
        #expect(EvaluationSubject.ticket(42).kind == "ticket")
        #expect(EvaluationSubject.filing("x").reference == "x")
    }

    // MARK: rectification (差评整改)

    /// Written out by hand from the domain: verify → rectify → answer, or appeal → dismissed / back to rectifying.
    static let allowed: Set<[RectificationStatus]> = [
        [.pendingVerification, .rectifying],
        [.pendingVerification, .appealed],
        [.rectifying, .answered],
        [.appealed, .dismissed],
        [.appealed, .rectifying],
    ]

    @Test(arguments: RectificationStatus.allCases, RectificationStatus.allCases)
    func everyRectificationStep(_ from: RectificationStatus, _ to: RectificationStatus) {
        if Self.allowed.contains([from, to]) {
            #expect(throws: Never.self) { _ = try from.moving(to: to) }
            #expect((try? from.moving(to: to)) == to)
            #expect(RectificationStatus.transitions[from]?.contains(to) == true)
        } else {
            #expect(throws: WorkflowError.rectification(from: from, to: to)) { _ = try from.moving(to: to) }
            #expect(RectificationStatus.transitions[from]?.contains(to) != true)
        }
    }

    @Test func transitionTableMatchesTheHandTable() {
        var fromTable = Set<[RectificationStatus]>()
        for (from, targets) in RectificationStatus.transitions { for to in targets { fromTable.insert([from, to]) } }
        #expect(fromTable == Self.allowed)
        #expect(Set(RectificationStatus.transitions.keys) == Set(RectificationStatus.allCases))
        // Closed states are exactly those with no way out.
        #expect(RectificationStatus.allCases.filter(\.isClosed) == [.answered, .dismissed])
        for s in RectificationStatus.allCases { #expect(s.isClosed == (RectificationStatus.transitions[s] ?? []).isEmpty) }
        #expect(RectificationStatus.allCases.map(\.chineseName) == ["待核实", "整改中", "已反馈", "申诉中", "申诉成立（已撤销）"])
    }

    @Test func errorsReadWell() {
        #expect(WorkflowError.rectification(from: .answered, to: .rectifying).description
                == "a rectification cannot go from answered to rectifying")
        #expect(WorkflowError.invalidLevel(6).description == "rating level 6 is not 1…5")
        #expect(WorkflowError.invalidLevel(6).chineseMessage == "请选择 1 至 5 的评价等级")
        #expect(WorkflowError.dailyLimitReached(category: "A", limit: 999).chineseMessage == "今日该业务号已取完，请明日再来或网上预约")
    }
}
