@testable import InboardServer
import Testing

/// Where a stream has got in the event log, and the SSE ids that carry it.
@Suite struct EventPositionTests {
    @Test func idsReadOutOfOrderLeaveTheSkippedOnesPendingUntilTheyArrive() {
        var position = EventPosition(after: 100)
        #expect(position.read(101).isEmpty && position.frameID(for: 101) == "101", "the usual case: just the id")
        #expect(position.read(104) == [102, 103])
        #expect(position.frameID(for: 104) == "104.102.103")
        #expect(position.read(102).isEmpty)
        #expect(position.frameID(for: 102) == "102:104.103", "a late event names itself, then the position")
        _ = position.read(103)
        #expect(position.text == "104")
        #expect(position.read(99).isEmpty && position.text == "104", "an old id read again changes nothing")
    }

    @Test func itsTextReadsBackAndNothingElseDoes() {
        for text in ["0", "104", "104.102.103", "102:104.103"] {
            let position = EventPosition(text: text)
            #expect(position != nil, "\(text)")
            #expect(position?.text == (text.split(separator: ":").last.map(String.init) ?? text))
        }
        for text in ["", "-1", "abc", "104.105", "104.0", "104..102", ":104", "x:104", "104.102;", "1e3"] {
            #expect(EventPosition(text: text) == nil, "\(text) was accepted")
        }
    }

    @Test func tooManyPendingIdsResumeFromBelowTheOldestInstead() {
        var position = EventPosition(after: 1)
        _ = position.read(Int64(EventPosition.maxPending) + 3)
        #expect(position.pending.count == EventPosition.maxPending + 1)
        #expect(position.text == "1", "from just below the oldest pending id: some events twice, none lost")
        #expect(position.frameID(for: Int64(EventPosition.maxPending) + 3) == "\(EventPosition.maxPending + 3):1")
        position.forget(position.pending)
        #expect(position.text == "\(EventPosition.maxPending + 3)")
    }

    @Test func aJumpTooFarIsNotWaitedFor() {
        var position = EventPosition(after: 5)
        #expect(position.read(5 + EventPosition.maxJump + 1).isEmpty, "pruned or rolled back long ago")
        #expect(position.pending.isEmpty)
    }
}
