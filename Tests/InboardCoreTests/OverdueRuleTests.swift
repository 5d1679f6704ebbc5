import Foundation
import InboardCore
import Testing

/// Overdue: out with a return time that has passed; never for "in" types or without a return time.
@Suite struct OverdueRuleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func outWithAPassedReturnTimeIsOverdue() {
        #expect(OverdueRule.isOverdue(presence: .out, returnAt: now.addingTimeInterval(-1), now: now))
        #expect(!OverdueRule.isOverdue(presence: .out, returnAt: now, now: now), "due this instant is not late yet")
        #expect(!OverdueRule.isOverdue(presence: .out, returnAt: now.addingTimeInterval(60), now: now))
        #expect(!OverdueRule.isOverdue(presence: .out, returnAt: nil, now: now))
        #expect(!OverdueRule.isOverdue(presence: .in, returnAt: now.addingTimeInterval(-3600), now: now))
    }
}
