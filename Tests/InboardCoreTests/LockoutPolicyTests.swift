import Foundation
import InboardCore
import Testing

/// How much of the directory's own lockout threshold a login may spend, counted as each directory counts.
@Suite struct LockoutPolicyTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func inboardSpendsLessThanHalfTheThresholdAndAtLeastOne() {
        #expect(LockoutPolicy(threshold: 10, window: nil).allowance == 4)
        #expect(LockoutPolicy(threshold: 5, window: nil).allowance == 2)
        #expect(LockoutPolicy(threshold: 4, window: nil).allowance == 1)
        #expect(LockoutPolicy(threshold: 3, window: nil).allowance == 1)
        #expect(LockoutPolicy(threshold: 1, window: nil).allowance == 1)
        #expect(LockoutPolicy.unreadable(window: .seconds(60)).allowance == 1)
    }

    /// Active Directory keeps a count and the last failure's time; the whole count ends a window after it
    /// (and `clockMargin` later here).
    @Test func activeDirectorysCountEndsOneWindowAfterTheLastFailure() {
        let policy = LockoutPolicy(threshold: 5, window: .seconds(1800))
        let two = LockoutPolicy.Failures(times: [start, start])
        #expect(policy.nextBind(after: .init(times: [start]), now: start.addingTimeInterval(1)) == nil)
        #expect(policy.nextBind(after: two, now: start.addingTimeInterval(60)) == start.addingTimeInterval(1805))
        #expect(policy.nextBind(after: two, now: start.addingTimeInterval(1800)) != nil, "the clocks may differ")
        #expect(policy.nextBind(after: two, now: start.addingTimeInterval(1805)) == nil)
    }

    /// A password policy forgets each failure `pwdFailureCountInterval` after it happened.
    @Test func aPasswordPolicyForgetsEachFailureOnItsOwn() {
        let policy = LockoutPolicy(threshold: 5, window: .seconds(60))
        let three = LockoutPolicy.Failures(times: [20, 0, 10].map { start.addingTimeInterval($0) })
        // Three count; once the two oldest lapse one remains, under the allowance of two.
        #expect(policy.nextBind(after: three, now: start.addingTimeInterval(30)) == start.addingTimeInterval(75))
        #expect(policy.nextBind(after: three, now: start.addingTimeInterval(75)) == nil)
        let forever = LockoutPolicy(threshold: 5, window: nil)
        #expect(forever.nextBind(after: three, now: start.addingTimeInterval(86_400)) == .distantFuture)
    }

    /// A device its person signed in on before may go up to two failures short of the threshold: two server
    /// processes passing one reading at once still stay under it.
    @Test func aKnownDeviceStopsTwoShortOfTheThreshold() {
        let policy = LockoutPolicy(threshold: 5, window: .seconds(1800))
        let now = start.addingTimeInterval(1)
        #expect(policy.deviceAllowance == 3)
        #expect(
            policy.nextBind(after: .init(times: Array(repeating: start, count: 2)), now: now, ownDevice: true) == nil)
        #expect(
            policy.nextBind(after: .init(times: Array(repeating: start, count: 3)), now: now, ownDevice: true) != nil)
        #expect(LockoutPolicy(threshold: 3, window: nil).deviceAllowance == 1, "never below the allowance")
        #expect(LockoutPolicy.unreadable(window: nil).deviceAllowance == 1)
    }

    /// An entry that may be under either of two policies is held to both: the lower threshold, the longer window.
    @Test func twoPoliciesCombineIntoOneAsStrictAsBoth() {
        let few = LockoutPolicy(threshold: 3, window: .seconds(60))
        let forever = LockoutPolicy(threshold: 4, window: nil)
        #expect(few.combined(with: forever) == LockoutPolicy(threshold: 3, window: nil))
        #expect(forever.combined(with: few) == LockoutPolicy(threshold: 3, window: nil))
        let long = LockoutPolicy(threshold: 10, window: .seconds(600))
        #expect(few.combined(with: long) == LockoutPolicy(threshold: 3, window: .seconds(600)))
    }

    @Test func aPolicyCombinedWithAnUnreadableOneIsUnreadable() {
        let combined = LockoutPolicy(threshold: 10, window: .seconds(60)).combined(with: .unreadable(window: nil))
        #expect(combined.allowance == 1 && combined.threshold == nil && combined.window == nil)
    }
}
