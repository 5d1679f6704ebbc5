import Foundation
@testable import InboardStore
import InboardTestSupport
import Logging
import Synchronization
import Testing

/// `EventLog.listen`: a commit of this process wakes its readers once (at the commit, not again when its own
/// NOTIFY comes back), and another process's NOTIFY wakes them.
@Suite struct EventLogListenTests {
    let logger = Logger(label: "test")

    @Test func aCommitHereWakesOnceAndOneElsewhereWakesToo() async throws {
        try await TemporaryDatabase.with { db in
            let pool = try DatabasePool(url: db.url, size: 2, logger: logger)
            defer { pool.shutDown() }
            let log = EventLog(database: pool, databaseURL: db.url, logger: logger)
            let wakes = Mutex(0)
            let listening = Task { await log.listen { wakes.withLock { $0 += 1 } } }
            defer { listening.cancel() }
            #expect(
                try await eventually(within: .seconds(10)) { wakes.withLock { $0 } == 1 }, "listening never started")

            EventLog.announce(on: pool, logger: logger)
            #expect(try await eventually(within: .seconds(10)) { wakes.withLock { $0 } >= 2 }, "the commit woke nobody")
            // Its NOTIFY reaches the other processes; here it would be a second read of the same events.
            try await Task.sleep(for: .milliseconds(500))
            #expect(wakes.withLock { $0 } == 2, "this process's own NOTIFY woke its readers again")

            // Another process, with its own payload or the empty one of an older version.
            for payload in [UUID().uuidString, ""] {
                let before = wakes.withLock { $0 }
                try await db.execute("SELECT pg_notify('\(EventLog.channel)', '\(payload)')")
                #expect(
                    try await eventually(within: .seconds(10)) { wakes.withLock { $0 } == before + 1 },
                    "a NOTIFY with payload '\(payload)' woke nobody")
            }
        }
    }
}
