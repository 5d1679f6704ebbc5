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
            let listening = Task { await log.listen { _ in wakes.withLock { $0 += 1 } } }
            defer { listening.cancel() }
            // A second listener, as another server process: it sees what this process sends.
            let heard = Mutex<[String]>([])
            let started = Mutex(false)
            let elsewhere = Task {
                await ChannelListener(
                    channel: EventLog.channel, databaseURL: db.url, logger: logger, purpose: "test", connectionID: 99
                ).run(
                    listening: { started.withLock { $0 = true } },
                    notified: { payload in heard.withLock { $0.append(payload) } })
            }
            defer { elsewhere.cancel() }
            #expect(
                try await eventually(within: .seconds(10)) { wakes.withLock { $0 } == 1 && started.withLock { $0 } })

            EventLog.announce(on: pool, logger: logger)
            #expect(try await eventually(within: .seconds(10)) { wakes.withLock { $0 } == 2 }, "the commit woke nobody")
            #expect(
                try await eventually(within: .seconds(10)) { heard.withLock { $0.count } == 1 },
                "the other process was not told")
            // Another process's NOTIFY, with its own payload or the empty one of an older version: delivered to
            // each listener after the one above, so once it woke the readers that one was handled too.
            for payload in [UUID().uuidString, ""] {
                let before = wakes.withLock { $0 }
                try await db.execute("SELECT pg_notify('\(EventLog.channel)', '\(payload)')")
                #expect(
                    try await eventually(within: .seconds(10)) { wakes.withLock { $0 } > before },
                    "a NOTIFY with payload '\(payload)' woke nobody")
            }
            // Listening, the commit, the two others: this process's own NOTIFY woke nobody again.
            #expect(wakes.withLock { $0 } == 4)
        }
    }

    /// A status change hands this process's readers exactly the event rows it committed (its status event and one
    /// watch event per watcher), as a read of the log returns them: the live streams are sent those without a read.
    @Test func aStatusChangeHandsItsReadersExactlyTheEventsItWrote() async throws {
        try await TemporaryDatabase.with { db in
            _ = try await db.database.withConnection { connection in
                try await Migrator(catalog: try MigrationCatalog.embedded(), logger: logger).migrate(on: connection)
            }
            func person(_ name: String) async throws -> Int64 {
                try await db.scalar(
                    "INSERT INTO people (username, display_name, source) VALUES ('\(name)', '\(name)', 'local') RETURNING id"
                )
            }
            let (cat, bob, ann) = (try await person("cat"), try await person("bob"), try await person("ann"))
            let pool = try DatabasePool(url: db.url, size: 2, logger: logger)
            defer { pool.shutDown() }
            let log = EventLog(database: pool, databaseURL: db.url, logger: logger)
            let watches = WatchStore(database: pool, logger: logger)
            #expect(try await watches.watch(watcher: bob, watched: cat, onlyIn: false))
            #expect(try await watches.watch(watcher: ann, watched: cat, onlyIn: false))
            let handed = Mutex<[[StoredEvent]]>([])
            let listening = Task { await log.listen { committed in handed.withLock { $0.append(committed) } } }
            defer { listening.cancel() }
            #expect(try await eventually(within: .seconds(10)) { handed.withLock { $0.count } == 1 })
            let before = try await db.scalar("SELECT COALESCE(max(id), 0) FROM events")
            let statuses = StatusStore(database: pool, logger: logger)
            let type = try #require(try await statuses.type(named: "Remote"))
            _ = try await statuses.set(
                personID: cat, type: type, change: .init(note: "home office"), setBy: cat, source: nil)
            #expect(try await eventually(within: .seconds(10)) { handed.withLock { $0.count } == 2 })
            let committed = handed.withLock { $0.last ?? [] }
            #expect(committed.map(\.kind) == ["status", "watch", "watch"], "\(committed)")
            #expect(committed == (try await log.events(after: before)), "handed over differs from the log")
        }
    }
}
