import Foundation
@testable import InboardServer
@testable import InboardStore
import InboardTestSupport
import Logging
import Synchronization
import Testing

/// The hub's delivery rules against a real event log, with its loops not running so that each read happens
/// exactly when the test says (as when the LISTEN connection opens late).
@Suite struct EventHubTests {
    static let logger = Logger(label: "test")

    func withHub(
        sessions: (any SessionStoring)? = nil, retryDelay: Duration = .milliseconds(250), streamBuffer: Int = 10_000,
        _ body: (EventHub, TemporaryDatabase, Person) async throws -> Void
    ) async throws {
        try await TemporaryDatabase.with { db in
            let people = try await SeededPeople.seed(db)
            let pool = try db.database.makePool(size: 2)
            defer { pool.shutDown() }
            let log = EventLog(database: pool, databaseURL: db.url, logger: Self.logger)
            let cat = Person(
                id: people.ids["cat"]!, username: "cat", displayName: "Cat Example", email: nil, department: nil,
                role: .user, active: true, source: "local", directoryID: nil)
            try await body(
                EventHub(
                    log: log, sessions: sessions, logger: Self.logger, retryDelay: retryDelay,
                    streamBuffer: streamBuffer), db, cat)
        }
    }

    /// A note event for `person`, committed as a writer would.
    func commitNote(_ db: TemporaryDatabase, to person: Person, _ body: String) async throws {
        try await db.execute(
            """
            INSERT INTO events (kind, subject_id, recipient_id, payload)
            VALUES ('note', \(person.id), \(person.id), '{"body":"\(body)"}')
            """)
    }

    static func notes(in stream: AsyncStream<EventHub.Message>, count: Int) async -> [String] {
        var bodies: [String] = []
        for await message in stream {
            if case let .event(event, viewer) = message { bodies.append(event.frame(for: viewer)) }
            if bodies.count == count { break }
        }
        return bodies
    }

    /// An event committed after a stream joined but before the hub's first read reaches that stream.
    @Test func anEventCommittedBeforeTheFirstReadReachesAStreamThatJoinedEarlier() async throws {
        try await withHub { hub, db, cat in
            try await commitNote(db, to: cat, "before joining")
            let stream = try #require(try await hub.subscribe(cat)).stream
            try await commitNote(db, to: cat, "after joining")
            await hub.deliverNew()
            await hub.finishAll()
            let frames = await Self.notes(in: stream, count: 1)
            #expect(frames.count == 1 && frames[0].contains("after joining"), "\(frames)")
        }
    }

    /// Wake-ups that overlap (LISTEN, the poll, many NOTIFYs at once) deliver each event once, in id order.
    @Test func overlappingWakeUpsDeliverEachEventOnce() async throws {
        try await withHub { hub, db, cat in
            let stream = try #require(try await hub.subscribe(cat)).stream
            for index in 0..<50 { try await commitNote(db, to: cat, "n\(index)") }
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<20 { group.addTask { await hub.deliverNew() } }
            }
            await hub.finishAll()
            let frames = await Self.notes(in: stream, count: 1000)
            #expect(frames.count == 50, "\(frames.count) frames for 50 events")
            let ids = frames.compactMap { $0.split(separator: "\n").first.flatMap { Int64($0.dropFirst(4)) } }
            #expect(ids == ids.sorted() && Set(ids).count == 50)
        }
    }

    /// A client that stopped reading: once its stream holds `streamBuffer` messages it is ended, keeping the oldest,
    /// so the client resumes from the last one it got (replayed or reset) and no event is skipped unseen (the
    /// newest were kept before, the oldest silently dropped, and the stream stayed open).
    @Test func aStreamTooFarBehindIsEndedWithNothingSkipped() async throws {
        try await withHub(streamBuffer: 5) { hub, db, cat in
            let subscription = try #require(try await hub.subscribe(cat))
            let stream = subscription.stream
            for index in 0..<8 { try await commitNote(db, to: cat, "n\(index)") }
            await hub.deliverNew()
            #expect(await hub.subscriberCount == 0, "the stream that fell behind is still open")
            try await expectSlotHeldUntilWriterEnds(subscription, of: cat, in: hub)
            await hub.finishAll()
            let frames = await Self.notes(in: stream, count: 100)
            #expect(frames.count == 5, "\(frames)")
            for (index, frame) in frames.enumerated() {
                #expect(frame.contains("n\(index)"), "the oldest kept: \(frames)")
            }
        }
    }

    /// `ended`, a stream that fell behind, keeps one of `person`'s slots while its connection is open (until its
    /// writer ends and unsubscribes), and frees it then. `person` holds no other stream.
    func expectSlotHeldUntilWriterEnds(_ ended: EventHub.Subscription, of person: Person, in hub: EventHub)
        async throws
    {
        var others: [EventHub.Subscription] = []  // kept: a dropped subscription ends its stream
        for _ in 1..<EventHub.maxStreamsPerPerson { others.append(try #require(try await hub.subscribe(person))) }
        #expect(try await hub.subscribe(person) == nil, "a stalled connection no longer counted")
        await hub.unsubscribe(ended.id)  // its writer ended
        #expect(try await hub.subscribe(person) != nil)
        withExtendedLifetime(others) {}
    }

    /// A read that fails once (here: the table is away for a moment) is tried again a moment later, unasked: the
    /// commit that woke it wakes nothing else, and the poll is seconds away (not running here). The retry waits
    /// 5 s here instead of 250 ms, time enough to put the table back on a loaded machine.
    @Test func aReadThatFailsOnceIsRetriedWithoutAnotherWakeUp() async throws {
        try await withHub(retryDelay: .seconds(5)) { hub, db, cat in
            let stream = try #require(try await hub.subscribe(cat)).stream
            await hub.deliverNew()
            try await db.execute("ALTER TABLE events RENAME TO events_away")
            try await db.execute(
                """
                INSERT INTO events_away (kind, subject_id, recipient_id, payload)
                VALUES ('note', \(cat.id), \(cat.id), '{"body":"after the failure"}')
                """)
            await hub.deliverNew()  // fails: no table called events
            try await db.execute("ALTER TABLE events_away RENAME TO events")
            let stop = Task {
                try await Task.sleep(for: .seconds(30))
                await hub.finishAll()
            }
            let frames = await Self.notes(in: stream, count: 1)
            stop.cancel()
            await hub.finishAll()
            #expect(frames.count == 1 && frames[0].contains("after the failure"), "\(frames)")
        }
    }

    /// The events a commit of this process wrote, handed over by their writer, are delivered without reading the
    /// log back (here it cannot be read: the table is away) when they are the very next ids.
    @Test func eventsHandedOverByTheirWriterAreDeliveredWithoutAReadBack() async throws {
        try await withHub { hub, db, cat in
            let stream = try #require(try await hub.subscribe(cat)).stream
            try await commitNote(db, to: cat, "handed over first")
            try await commitNote(db, to: cat, "handed over second")
            let id = try await db.scalar("SELECT max(id) FROM events")
            try await db.execute("ALTER TABLE events RENAME TO events_away")
            await hub.deliverNew(committed: [
                StoredEvent(id: id - 1, kind: "note", recipientID: cat.id, payload: #"{"body":"handed over first"}"#),
                StoredEvent(id: id, kind: "note", recipientID: cat.id, payload: #"{"body":"handed over second"}"#),
            ])
            await hub.finishAll()
            let frames = await Self.notes(in: stream, count: 2)
            #expect(frames.count == 2, "\(frames)")
            #expect(frames.first?.contains("handed over first") == true && frames.last?.contains("second") == true)
        }
    }

    /// Events handed over while a read is under way wait for it (and a read after it): delivered once, never beside
    /// a read that may return them too. The read is held by a lock on the events table.
    @Test func eventsHandedOverDuringAReadAreDeliveredOnce() async throws {
        try await withHub { hub, db, cat in
            let stream = try #require(try await hub.subscribe(cat)).stream
            try await commitNote(db, to: cat, "during a read")
            let id = try await db.scalar("SELECT max(id) FROM events")
            try await db.database.withConnection { locker in
                _ = try await locker.query("BEGIN", logger: Self.logger)
                _ = try await locker.query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE", logger: Self.logger)
                let read = Task { await hub.deliverNew() }
                try await Task.sleep(for: .milliseconds(300))  // the read is waiting on the lock
                await hub.deliverNew(committed: [
                    StoredEvent(id: id, kind: "note", recipientID: cat.id, payload: #"{"body":"during a read"}"#)
                ])
                _ = try await locker.query("COMMIT", logger: Self.logger)
                await read.value
            }
            await hub.deliverNew()
            await hub.finishAll()
            let frames = await Self.notes(in: stream, count: 2)
            #expect(frames.count == 1 && frames[0].contains("during a read"), "\(frames)")
        }
    }

    /// Events handed over with an id before them not yet delivered (another writer's, committed or not) are read
    /// instead, so that nothing arrives out of order or is skipped.
    @Test func eventsHandedOverAfterAHoleAreReadInOrderInstead() async throws {
        try await withHub { hub, db, cat in
            let stream = try #require(try await hub.subscribe(cat)).stream
            try await commitNote(db, to: cat, "another writer first")
            try await commitNote(db, to: cat, "handed over second")
            let id = try await db.scalar("SELECT max(id) FROM events")
            await hub.deliverNew(committed: [
                StoredEvent(id: id, kind: "note", recipientID: cat.id, payload: #"{"body":"handed over second"}"#)
            ])
            await hub.finishAll()
            let frames = await Self.notes(in: stream, count: 2)
            #expect(frames.count == 2, "\(frames)")
            #expect(frames.first?.contains("another writer first") == true, "\(frames)")
            #expect(frames.last?.contains("handed over second") == true, "\(frames)")
        }
    }

    /// A writer that took its id before the hub started but commits after: its event still arrives.
    @Test func anEventStillBeingCommittedWhenTheHubStartsArrivesOnceCommitted() async throws {
        try await withHub { hub, db, cat in
            try await db.database.withConnection { slowWriter in
                _ = try await slowWriter.query("BEGIN", logger: Self.logger)
                _ = try await slowWriter.query(
                    """
                    INSERT INTO events (kind, subject_id, recipient_id, payload)
                    VALUES ('note', \(cat.id), \(cat.id), '{"body":"slow writer"}'::jsonb)
                    """, logger: Self.logger)
                try await commitNote(db, to: cat, "quick writer")  // a higher id, committed first
                let stream = try #require(try await hub.subscribe(cat)).stream
                _ = try await slowWriter.query("COMMIT", logger: Self.logger)
                await hub.deliverNew()
                await hub.finishAll()
                let frames = await Self.notes(in: stream, count: 2)
                #expect(frames.count == 1 && frames[0].contains("slow writer"), "\(frames)")
            }
        }
    }

    /// Streams opened while the hub asks whether open streams' sessions still hold are not judged by that answer:
    /// they were checked when they opened, more recently (a CI run saw a fresh stream closed after ': connected').
    @Test func aStreamOpenedWhileSessionsAreCheckedStaysOpen() async throws {
        let check = HeldSessionCheck()
        try await withHub(sessions: check) { hub, _, cat in
            let first = try #require(try await hub.subscribe(cat, sessionID: 1)).stream
            let revalidating = Task { await hub.revalidateSessions() }
            await check.waitUntilAsked()
            // Another session, and a reconnect on the asked-about session (its answer is older than the reconnect).
            let second = try #require(try await hub.subscribe(cat, sessionID: 2)).stream
            let reconnected = try #require(try await hub.subscribe(cat, sessionID: 1)).stream
            check.answer([:])  // session 1 ended before the answer left
            await revalidating.value
            #expect(check.askedAbout == [1])
            #expect(await hub.subscriberCount == 2, "only the stream open when the check was asked may close")
            var ended = first.makeAsyncIterator()
            #expect(await ended.next() == nil, "the stream of the ended session is finished")
            _ = (second, reconnected)
        }
    }

    /// A person's ten streams are counted as they open and given back as each ends, however it ends (the client
    /// leaving, or its session ending at a check).
    @Test func aPersonsStreamSlotsComeBackAsTheirStreamsEnd() async throws {
        let check = HeldSessionCheck()
        try await withHub(sessions: check) { hub, _, cat in
            // Held until the end: a stream nobody holds any more ends by itself.
            var open: [EventHub.Subscription] = []
            for session in 1...Int64(EventHub.maxStreamsPerPerson) {
                open.append(try #require(try await hub.subscribe(cat, sessionID: session)))
            }
            #expect(try await hub.subscribe(cat) == nil, "an eleventh stream is refused")
            await hub.unsubscribe(open[0].id)
            await hub.unsubscribe(open[0].id)  // twice (the client left, then its stream ended): one slot, not two
            open.append(try #require(try await hub.subscribe(cat, sessionID: 1), "the slot of an ended stream is free"))
            #expect(try await hub.subscribe(cat) == nil)
            let revalidating = Task { await hub.revalidateSessions() }
            await check.waitUntilAsked()
            check.answer([2: cat, 3: cat])  // every other session ended: 2 of 10 streams stay
            await revalidating.value
            #expect(await hub.subscriberCount == 2)
            for _ in 0..<(EventHub.maxStreamsPerPerson - 2) { open.append(try #require(try await hub.subscribe(cat))) }
            #expect(try await hub.subscribe(cat) == nil)
            await hub.finishAll()
        }
    }

    /// Once the hub has ended every stream (the server is stopping), a new stream is refused with a 503 rather
    /// than opened with nothing left to end it.
    @Test func aStreamAfterShutdownBeganIsRefused() async throws {
        try await withHub { hub, _, cat in
            await hub.finishAll()
            await #expect(throws: APIError.self) { _ = try await hub.subscribe(cat) }
            #expect(await hub.subscriberCount == 0)
        }
    }
}

/// Session checks that wait until the test answers, so that a stream can open while one is on its way.
final class HeldSessionCheck: SessionStoring, Sendable {
    private let asked = AsyncStream<[Int64]>.makeStream()
    private let answers = AsyncStream<[Int64: Person]>.makeStream()
    private let lastAsked = Mutex<[Int64]>([])

    var askedAbout: [Int64] { lastAsked.withLock { $0 } }

    func waitUntilAsked() async {
        for await ids in asked.stream {
            lastAsked.withLock { $0 = ids.sorted() }
            return
        }
    }

    func answer(_ valid: [Int64: Person]) { answers.continuation.yield(valid) }

    func stillValid(_ sessionIDs: [Int64]) async throws -> [Int64: Person] {
        asked.continuation.yield(sessionIDs)
        for await valid in answers.stream { return valid }
        return [:]
    }

    struct NotInThisTest: Error {}
    func create(personID: Int64, kind: String, lifetime: Duration, address: String?, userAgent: String?) async throws
        -> SessionStore.Issued
    { throw NotInThisTest() }
    func person(forToken token: String) async throws -> (person: Person, sessionID: Int64)? { throw NotInThisTest() }
    func revoke(token: String) async throws { throw NotInThisTest() }
}
