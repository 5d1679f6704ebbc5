import Foundation
import InboardStore
import Logging
import NIOCore
import ServiceLifecycle

/// Fans the event log out to this process's SSE clients. A commit of this process wakes it at once, and one
/// LISTEN connection per process wakes it when another process commits; it then reads everything after the last
/// id it delivered, once, and hands each subscriber what it may see (a status change's own events, handed over by
/// its writer, without reading them back when they are the next ids). A poll every few seconds covers a lost
/// NOTIFY or LISTEN connection.
actor EventHub: Service {
    private var subscribers: [UUID: Subscriber] = [:]
    /// Open streams per person, kept beside `subscribers` so that a subscribe does not count them all (thousands of
    /// clients reconnecting at once, after a restart, would otherwise cost the square of their number).
    private var streamsPerPerson: [Int64: Int] = [:]
    /// Streams ended for falling behind whose connections are still open (their writers blocked on a client
    /// that stopped reading): each keeps its person's slot until its writer ends and unsubscribes.
    private var ending: [UUID: Int64] = [:]
    /// Set by `finishAll` (the server is stopping): a stream subscribed after it would never be finished.
    private var finished = false
    /// How far delivery has got (nil until the first stream fixes where it starts).
    private var delivered: DeliveryPosition?
    let log: EventLog
    /// Told of every event, so cached boards never outlive a change.
    let board: BoardCache?
    /// Checks that open streams' sessions still hold.
    let sessions: (any SessionStoring)?
    let logger: Logger
    let pollInterval: Duration
    /// How soon a failed read is tried once more (a test gives itself time to mend the failure).
    let retryDelay: Duration
    let heartbeatInterval: Duration
    /// Now, for overdue (`OverdueRule`) in the frames built from each event.
    let clock: @Sendable () -> Date
    /// Messages a stream may have waiting (held before its direct delivery starts, written to a connection that
    /// cannot send them, or in its async stream); a stream that falls further behind is ended (`endFallenBehind`).
    let streamBuffer: Int

    init(
        log: EventLog, board: BoardCache? = nil, sessions: (any SessionStoring)? = nil, logger: Logger,
        pollInterval: Duration = .seconds(5), retryDelay: Duration = .milliseconds(250),
        heartbeatInterval: Duration = .seconds(15), clock: @escaping @Sendable () -> Date = { Date() },
        streamBuffer: Int = 10_000
    ) {
        self.clock = clock
        self.streamBuffer = streamBuffer
        self.retryDelay = retryDelay
        self.log = log
        self.board = board
        self.sessions = sessions
        self.logger = logger
        self.pollInterval = pollInterval
        self.heartbeatInterval = heartbeatInterval
    }

    var subscriberCount: Int { subscribers.count }

    /// Open streams one person may hold in one process (tabs, devices): more is abuse, not use.
    static let maxStreamsPerPerson = 10

    /// An open stream: what it receives, and where it starts.
    struct Subscription: Sendable {
        let id: UUID
        let stream: AsyncStream<Message>
        /// Live delivery to this stream starts after this position: a client that reconnects with it as
        /// `Last-Event-ID` misses nothing, even when no event reached it before the connection dropped.
        let startsAt: EventPosition
    }

    /// A new stream for `viewer`; nil when they hold `maxStreamsPerPerson` already. Throws when the event log
    /// cannot be read to learn where live delivery starts. With a `connection`, its frames are written straight to
    /// it once the response has written its own (`startDirectDelivery`), and the subscription's stream only ends.
    func subscribe(_ viewer: Person, sessionID: Int64? = nil, connection: StreamConnection? = nil) async throws
        -> Subscription?
    {
        // The first stream fixes where live delivery starts, before it joins: an event committed after it
        // joined must reach it however late the LISTEN connection opens (the first read would otherwise take
        // the newest id as its start and skip that event).
        let startsAt = try await position()
        guard !finished else {
            throw APIError(
                .serviceUnavailable, code: "server_stopping",
                message: "This server is stopping; reconnect in a moment.", headers: [.retryAfter: "5"])
        }
        guard streamsPerPerson[viewer.id, default: 0] < Self.maxStreamsPerPerson else { return nil }
        streamsPerPerson[viewer.id, default: 0] += 1
        let id = UUID()
        let (stream, continuation) = AsyncStream<Message>.makeStream(bufferingPolicy: .bufferingOldest(streamBuffer))
        subscribers[id] = Subscriber(
            viewer: viewer, sessionID: sessionID, continuation: continuation, connection: connection)
        continuation.onTermination = { [weak self] _ in Task { await self?.unsubscribe(id) } }
        return Subscription(id: id, stream: stream, startsAt: startsAt)
    }

    /// The response has written its preamble and the events its replay sent: the held frames, and every later
    /// one, go to its connection from now on, after what the response wrote (the event loop runs them in order).
    func startDirectDelivery(_ id: UUID, skipping replayed: Set<Int64>) {
        guard let subscriber = subscribers[id], let held = subscriber.held, let connection = subscriber.connection
        else { return }
        subscriber.held = nil
        subscriber.replayed = replayed
        var fanout = StreamConnection.Fanout()
        for message in held {
            if let frame = Self.frame(message, skipping: replayed) { fanout.add(frame, for: id, to: connection) }
        }
        writeDirect(fanout)
    }

    /// Where live delivery has got: a page that asks before it reads the board, and opens its stream with this as
    /// Last-Event-ID, gets every change its read might have missed.
    func position() async throws -> EventPosition {
        if delivered == nil { try await fixStart() }
        return delivered?.position ?? EventPosition(after: 0)
    }

    func unsubscribe(_ id: UUID) {
        let person: Int64  // a session's person never changes, only what we know of them
        if let subscriber = subscribers.removeValue(forKey: id) {
            subscriber.continuation.finish()
            person = subscriber.viewer.id
        } else if let ended = ending.removeValue(forKey: id) {
            person = ended
        } else {
            return
        }
        streamsPerPerson[person] = streamsPerPerson[person].flatMap { $0 > 1 ? $0 - 1 : nil }
    }

    /// Live delivery starts after the newest committed event. Ids just below it that are taken but not committed
    /// yet (a writer still in its transaction) are pending, delivered when they commit. If a stream fixed the
    /// start while this read waited, the earlier start stays.
    private func fixStart() async throws {
        let committed = try await log.newestIDs(span: 1000)
        guard delivered == nil else { return }
        let latest = committed.last ?? 0
        let taken = Set(committed)
        let waiting = (max(1, latest - 999)..<max(1, latest)).filter { !taken.contains($0) }
        delivered = DeliveryPosition(after: latest, pending: waiting, now: .now, patience: gapPatience)
    }

    /// How long a gap in the ids (a transaction still committing) is waited for before it is taken as rolled back.
    let gapPatience: Duration = .seconds(30)

    /// A read is running; another wake-up meanwhile asks it to read once more instead of reading beside it
    /// (the actor is re-entrant at each `await`: two reads at once would deliver the same events twice).
    private var reading = false
    private var readAgain = false

    /// Reads and delivers everything after the last delivered event, and any gap that has filled in. `committed`:
    /// the events a commit of this process wrote, handed over by their writer; delivered without reading them back
    /// when they are the very next ids and nothing else is being delivered (otherwise read like any other).
    func deliverNew(committed: [StoredEvent] = []) async {
        guard !finished else { return }  // stopping: a late retry or wake-up has nobody to deliver to
        if reading { readAgain = true; return }
        reading = true
        defer { reading = false }
        var handedOver = committed
        repeat {
            readAgain = false
            let handled = handedOver.isEmpty ? false : await deliverHandedOver(handedOver)
            if !handled { await readAndDeliver() }
            handedOver = []
        } while readAgain && !Task.isCancelled
    }

    /// Delivers `committed` as a read would have, if its ids follow the last delivered one without a hole: no id
    /// between could still commit later, so nothing is delivered out of order or twice. Only while `reading`.
    private func deliverHandedOver(_ committed: [StoredEvent]) async -> Bool {
        guard let start = delivered?.position,
            committed.enumerated().allSatisfy({ $0.element.id == start.after + 1 + Int64($0.offset) })
        else { return false }
        await board?.invalidate()  // before any frame: a client that reads the board after an event sees it
        fanOut(committed, now: .now, wallClock: clock())
        return true
    }

    private func readAndDeliver() async {
        do {
            if delivered == nil { try await fixStart() }
            let now = ContinuousClock.now
            delivered?.giveUp(now: now)
            while true {
                let wallClock = clock()
                guard let start = delivered?.position else { return }
                let stored = try await log.events(after: start.after, orAmong: Array(start.pending))
                if failedInARow > 0 {
                    logger.notice("reading the event log works again", metadata: ["failedReads": "\(failedInARow)"])
                    failedInARow = 0
                }
                if !stored.isEmpty { await board?.invalidate() }
                fanOut(stored, now: now, wallClock: wallClock)
                if stored.count < 1000 { return }
            }
        } catch {
            if Task.isCancelled || error is CancellationError { return }  // shutting down
            failedInARow += 1
            // The first failure, then about one a minute: an outage is not a warning every poll.
            if (failedInARow - 1) % max(1, Int(Duration.seconds(60) / pollInterval)) == 0 {
                logger.warning(
                    "reading the event log failed; retrying at the next wake-up or poll",
                    metadata: ["error": "\(String(reflecting: error))", "failedReads": "\(failedInARow)"])
            }
            // The commit that woke this read will wake nothing else: one quick retry for a passing failure; a
            // lasting one is left to the poll.
            if failedInARow == 1 {
                Task {
                    try? await Task.sleep(for: self.retryDelay)
                    await self.deliverNew()
                }
            }
        }
    }

    /// Moves the position past `stored` (read or handed over, in id order) and writes each subscriber what it may
    /// see of them, handing the loops every `dispatchEvery` deliveries as they are picked (each loop runs its tasks
    /// in the order they were handed, so a stream's frames keep their order).
    private func fanOut(_ stored: [StoredEvent], now: ContinuousClock.Instant, wallClock: Date) {
        var fanout = StreamConnection.Fanout()
        defer { writeDirect(fanout) }
        for row in stored {
            delivered?.read(row.id, now: now)
            guard let position = delivered?.position else { return }
            // The frame's SSE id names the event and the position after it, which a resuming client hands back.
            let event = LiveEvent(row, now: wallClock, streamID: position.frameID(for: row.id))
            for (id, subscriber) in subscribers where event.isVisible(to: subscriber.viewer) {
                // The common case, a connection in direct delivery, without building a message for it.
                if let connection = subscriber.connection, subscriber.held == nil {
                    if let frame = Self.frame(of: event, for: subscriber.viewer, skipping: subscriber.replayed) {
                        fanout.add(frame, for: id, to: connection)
                    }
                } else {
                    send(.event(event, viewer: subscriber.viewer), to: id, into: &fanout)
                }
                // The loops start writing while the rest are picked.
                if fanout.count >= Self.dispatchEvery {
                    writeDirect(fanout)
                    fanout = StreamConnection.Fanout()
                }
            }
        }
    }

    /// Deliveries picked before they are handed to the loops, which write them while the rest are picked (the
    /// first streams of 1,000 got their frame 1–2 ms sooner; median p99 of twelve changes 19.7 → 17.7 ms).
    static let dispatchEvery = 128

    /// Reads that failed since the last one that did not.
    private var failedInARow = 0

    /// Ends the streams of sessions that ended (logout, revoked, expired, person disabled) and re-scopes the
    /// others to their person as they are now (a role change takes effect on open streams). Only the streams open
    /// when the question was asked are judged by its answer: one that opened while it was on its way (a new tab, a
    /// reconnect on the same session) was checked when it opened, more recently than the answer.
    func revalidateSessions() async {
        guard let sessions else { return }
        let asked = subscribers.compactMapValues(\.sessionID)
        guard !asked.isEmpty else { return }
        let valid: [Int64: Person]
        do {
            valid = try await sessions.stillValid(Array(Set(asked.values)))
        } catch {
            // Streams stay as they are until a check succeeds: say so, as ended sessions keep streaming meanwhile.
            logger.warning(
                "checking open streams' sessions failed; retrying at the next poll",
                metadata: ["error": "\(String(reflecting: error))"])
            return
        }
        for (id, session) in asked where subscribers[id] != nil {
            if let person = valid[session] {
                subscribers[id]?.viewer = person
            } else {
                unsubscribe(id)
            }
        }
    }

    private func beat() {
        var fanout = StreamConnection.Fanout()
        for id in subscribers.keys { send(.heartbeat, to: id, into: &fanout) }
        writeDirect(fanout)
    }

    /// Hands `message` to the stream: to its task, or held, or added to the frames for its connection.
    private func send(_ message: Message, to id: UUID, into fanout: inout StreamConnection.Fanout) {
        guard let subscriber = subscribers[id] else { return }
        guard let connection = subscriber.connection else { return yieldOrEnd(message, to: id) }
        if let held = subscriber.held {
            if held.count >= streamBuffer { endFallenBehind(id) } else { subscriber.held?.append(message) }
        } else if let frame = Self.frame(message, skipping: subscriber.replayed) {
            fanout.add(frame, for: id, to: connection)
        }
    }

    private static func frame(_ message: Message, skipping replayed: Set<Int64>) -> ByteBuffer? {
        switch message {
        case let .event(event, viewer): frame(of: event, for: viewer, skipping: replayed)
        case .heartbeat: keepAliveFrame
        }
    }

    /// `event`'s frame for `viewer`, unless the stream's replay sent it.
    private static func frame(of event: LiveEvent, for viewer: Person, skipping replayed: Set<Int64>) -> ByteBuffer? {
        replayed.contains(event.id) ? nil : event.frameBuffer(for: viewer)
    }

    static let keepAliveFrame = ByteBuffer(string: ": keep-alive\n\n")

    /// Writes the frames, one task per event loop; a connection that stopped taking them ends its stream.
    private func writeDirect(_ fanout: StreamConnection.Fanout) {
        guard !fanout.isEmpty else { return }
        StreamConnection.write(fanout, blockedLimit: streamBuffer) { id in Task { await self.endFallenBehind(id) } }
    }

    /// A stream whose client stopped reading (`streamBuffer` messages waiting) is ended rather than left with a
    /// hole: it keeps what it holds, oldest first, so the client reconnects from the last event it got and is
    /// replayed the rest, or told to reload (`reset`); dropping the oldest, as before, lost events unseen.
    private func yieldOrEnd(_ message: Message, to id: UUID) {
        guard case .dropped = subscribers[id]?.continuation.yield(message) else { return }
        endFallenBehind(id)
    }

    private func endFallenBehind(_ id: UUID) {
        guard let subscriber = subscribers.removeValue(forKey: id) else { return }
        logger.notice("a stream fell \(streamBuffer) messages behind; ended so that its client resumes")
        // Its slot stays taken until the connection's writer unsubscribes (not when the stream finishes).
        ending[id] = subscriber.viewer.id
        subscriber.continuation.onTermination = nil
        subscriber.continuation.finish()
    }

    nonisolated func run() async throws {
        // On shutdown, end every open stream at once (the HTTP server waits for them) and stop the loops.
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown { await self.loops() }
        } onGracefulShutdown: {
            Task { await self.finishAll() }
        }
        await finishAll()
    }

    private nonisolated func loops() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.log.listen { committed in await self.deliverNew(committed: committed) } }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.pollInterval)
                    await self.deliverNew()
                    await self.revalidateSessions()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.heartbeatInterval)
                    await self.beat()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    func finishAll() {
        finished = true
        for subscriber in subscribers.values { subscriber.continuation.finish() }
        subscribers.removeAll()
        ending.removeAll()
        streamsPerPerson.removeAll()
    }
}
