import Crypto
import Foundation
import Hummingbird
import InboardStore

/// The whole board, read from PostgreSQL at most once per `ttl` (and again after any event), with its JSON
/// already encoded twice: as delegates and admins see it, and with hidden notes removed. Unfiltered board
/// reads, the most frequent request, then cost a lookup instead of a query and an encoding of every person.
actor BoardCache {
    struct Snapshot: Sendable {
        let entries: [BoardEntry]
        let full: ByteBuffer
        let redacted: ByteBuffer
        /// Strong validators of the two encodings (a digest of their bytes): a client holding the same bytes
        /// gets 304, whether the snapshot was rebuilt meanwhile or not.
        let fullTag: String
        let redactedTag: String
        /// People whose own note is hidden: they see it, so their board is encoded for them.
        let hiddenNoteOwners: Set<Int64>
        let builtAt: ContinuousClock.Instant
    }

    let statuses: any StatusStoring
    let ttl: Duration
    /// Now, for overdue (`OverdueRule`) as the snapshot is built.
    let clock: @Sendable () -> Date
    private var snapshot: Snapshot?
    private var building: (task: Task<Snapshot, any Error>, generation: Int)?
    /// Raised by every invalidation: a build that started before it read the board as it was, so it may answer
    /// the requests that were waiting for it but is never kept (nor joined by later ones).
    private var generation = 0

    init(statuses: any StatusStoring, ttl: Duration = .seconds(2), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.statuses = statuses
        self.ttl = ttl
        self.clock = clock
    }

    /// Something changed (an event was delivered): the next read rebuilds.
    func invalidate() {
        snapshot = nil
        generation += 1
    }

    func current() async throws -> Snapshot {
        if let snapshot, ContinuousClock.now - snapshot.builtAt < ttl { return snapshot }
        if let building, building.generation == generation { return try await building.task.value }
        let (statuses, clock, started) = (self.statuses, self.clock, generation)
        let task = Task { try await Self.build(statuses, now: clock()) }
        building = (task, started)
        defer { if building?.generation == started { building = nil } }
        let built = try await task.value
        if generation == started { snapshot = built }
        return built
    }

    private static func build(_ statuses: any StatusStoring, now: Date) async throws -> Snapshot {
        let started = ContinuousClock.now
        let entries = try await statuses.board(limit: 100_000).map { $0.refreshed(now: now) }
        let full = try encode(entries), redacted = try encode(entries.map { $0.withoutHiddenNote() })
        return Snapshot(
            entries: entries, full: full, redacted: redacted, fullTag: tag(full), redactedTag: tag(redacted),
            hiddenNoteOwners: Set(entries.filter { $0.status?.noteHidden == true }.map(\.id)), builtAt: started)
    }

    static func tag(_ body: ByteBuffer) -> String {
        "\"" + SHA256.hash(data: body.readableBytesView).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    static func encode(_ entries: [BoardEntry]) throws -> ByteBuffer {
        ByteBuffer(data: try APIJSON.makeEncoder().encode(["people": entries]))
    }
}
