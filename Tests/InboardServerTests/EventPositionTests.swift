@testable import InboardServer
import Testing

/// Where a stream has got in the event log, and the SSE ids that carry it.
@Suite struct EventPositionTests {
    @Test func idsReadOutOfOrderLeaveTheSkippedOnesPendingUntilTheyArrive() {
        var position = EventPosition(after: 100)
        #expect(position.read(101).isEmpty && position.frameID(for: 101) == "101", "the usual case: just the id")
        #expect(position.read(104) == [102, 103])
        #expect(position.frameID(for: 104) == "104.102-103", "pending ids in runs")
        #expect(position.read(102).isEmpty)
        #expect(position.frameID(for: 102) == "102:104.103", "a late event names itself, then the position")
        _ = position.read(103)
        #expect(position.text == "104")
        #expect(position.read(99).isEmpty && position.text == "104", "an old id read again changes nothing")
    }

    @Test func itsTextReadsBackAndNothingElseDoes() {
        for text in ["0", "104", "104.102-103", "102:104.103", "250.102-200.230"] {
            let position = EventPosition(text: text)
            #expect(position != nil, "\(text)")
            #expect(position?.text == (text.split(separator: ":").last.map(String.init) ?? text))
        }
        #expect(EventPosition(text: "250.102-200.230")?.pending.count == 100)
        let refused = [
            "", "-1", "+5", "abc", "104.105", "104.0", "104..102", ":104", "x:104", "0:104", "104.102;", "1e3",
            "104.103-102", "104.100-104", "20000.1-5", "104.1-", "1234567890123456789",
        ]
        for text in refused {
            #expect(EventPosition(text: text) == nil, "\(text) was accepted")
        }
    }

    @Test func tooManyRunsOfPendingIdsResumeFromBelowTheOldestInstead() {
        // Every other id pending: one run each.
        let runs = EventPosition.maxRuns + 1
        let position = EventPosition(after: Int64(2 * runs + 2), pending: (1...runs).map { Int64(2 * $0) })
        #expect(position.text == "1", "from just below the oldest pending id: some events twice, none lost")
        #expect(position.frameID(for: position.after) == "\(position.after):1")
        let oneRun = EventPosition(after: 5_000, pending: 100..<4_000)
        #expect(oneRun.text == "5000.100-3999", "one transaction's ids, however many, are one run")
    }

    /// A replay stops waiting for ids the hub had already read or given up on when the stream joined (a
    /// rolled-back transaction), and keeps those the hub still waits for or has not reached.
    @Test func aReplaySettlesWhatTheHubNoLongerWaitsFor() {
        var replay = EventPosition(after: 100)
        _ = replay.read(110)
        #expect(replay.text == "110.101-109")
        replay.settle(against: EventPosition(after: 108, pending: [103]))
        #expect(replay.text == "110.103.109", "103 the hub still waits for; 109 it has not reached")
    }

    @Test func aJumpTooFarIsNotWaitedFor() {
        var position = EventPosition(after: 5)
        #expect(position.read(5 + EventPosition.maxJump + 1).isEmpty, "pruned or rolled back long ago")
        #expect(position.pending.isEmpty)
    }
}

/// The hub's position: a gap in the ids is waited for `patience` from when it was first missed, then given up.
@Suite struct DeliveryPositionTests {
    @Test func aGapIsWaitedForItsPatienceFromWhenItWasMissedThenGivenUp() {
        let start = ContinuousClock.now
        var delivered = DeliveryPosition(after: 10, pending: [8], now: start, patience: .seconds(30))
        delivered.read(13, now: start + .seconds(20))  // 11 and 12 are missed from here
        #expect(delivered.position.pending == [8, 11, 12])
        delivered.giveUp(now: start + .seconds(29))
        #expect(delivered.position.pending == [8, 11, 12], "nothing is given up before its patience")
        delivered.giveUp(now: start + .seconds(30))
        #expect(delivered.position.pending == [11, 12], "the gap missed at the start is given up at 30 s")
        delivered.read(11, now: start + .seconds(40))
        #expect(delivered.position.pending == [12], "a gap that fills in is no longer waited for")
        delivered.giveUp(now: start + .seconds(50))
        #expect(delivered.position.pending.isEmpty && delivered.position.text == "13")
        delivered.read(12, now: start + .seconds(51))
        #expect(delivered.position.text == "13", "an id given up and read later does not move the position back")
    }
}
