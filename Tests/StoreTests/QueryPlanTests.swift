import Foundation
import KioskTestSupport
import Store
import Testing

/// The relay's queries are answered from indexes, never by walking the outbox: a plan that scans
/// the table or picks the state index for `delivered` (every delivered row) makes the relay slow
/// down as the backlog drains.
@Suite struct QueryPlanTests {
    @Test func everyRelayQuerySearchesAnIndex() async throws {
        let directory = try TemporaryDirectory("plans")
        defer { directory.remove() }
        let store = try KioskStore.open(directory: directory.path)
        let plans = try await store.read { try $0.outbox.relayQueryPlans() }
        #expect(Set(plans.keys) == ["dueHeads", "nextInKey", "deliveredPage", "payload"])
        for (name, steps) in plans {
            #expect(!steps.isEmpty, "\(name) has no plan")
            for step in steps where step.hasPrefix("SCAN") || step.contains("outbox_state") || step.contains("TEMP B-TREE") {
                Issue.record("\(name) walks rows: \(steps)")
            }
        }
        #expect(plans["deliveredPage"] == ["SEARCH outbox USING COVERING INDEX outbox_subject_kind_state (subject=? AND kind=? AND state=?)"])
        #expect(plans["dueHeads"]?.first == "SEARCH o USING INDEX outbox_due (nextAttemptAt<?)")
    }
}
