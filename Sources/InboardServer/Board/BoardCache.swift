import Crypto
import Foundation
import InboardCore
import Hummingbird
import InboardStore
import Synchronization

/// The first page of the whole board, read from PostgreSQL at most once per `ttl` (and again after any event),
/// with its JSON encoded once per page size clients ask for most (`cachedLimits`) and per audience (as
/// delegates and admins see it, and with hidden notes removed), on first use. Unfiltered board reads, the most
/// frequent request, then cost a lookup instead of a query and an encoding of every person on the page.
/// Each is also kept gzipped, for clients that take it, hidden notes stored apart (`BoardCompressionRule`).
actor BoardCache {
    /// One page size's answer for one audience.
    struct Page: Sendable {
        let body: ByteBuffer
        /// A strong validator (a digest of the bytes): a client holding the same bytes gets 304, whether the
        /// snapshot was rebuilt meanwhile or not.
        let tag: String
        /// The cursor of the next page (nil when this page holds everybody).
        let next: BoardCursor?
        /// `gzip` when `body` is compressed, nil for the JSON as it is.
        var contentEncoding: String? = nil
        /// Where hidden notes' text lies in the JSON, for the compressor to keep apart.
        var hiddenNotes: [Range<Int>] = []
    }

    struct Snapshot: Sendable {
        /// The first `BoardRequest.maxLimit` people.
        let slice: BoardSlice
        /// People whose own note is hidden: they see it, so their board is encoded for them.
        let hiddenNoteOwners: Set<Int64>
        let builtAt: ContinuousClock.Instant
        fileprivate let encoded = EncodedPages()

        /// The first `limit` people as the API answers them, encoded on first use (a cold start encodes only
        /// the page asked for); gzipped when `gzip` (`BoardCompressionRule`); nil for a page size that is not
        /// cached.
        func page(_ limit: Int, redacted: Bool, gzip: Bool) -> Page? {
            guard BoardCache.cachedLimits.contains(limit) else { return nil }
            let plain = encoded.page(.init(limit: limit, redacted: redacted, gzip: false)) {
                let page = slice.prefix(limit)
                let (body, hiddenNotes) = BoardCache.encode(page, redacting: redacted)
                return Page(body: body, tag: BoardCache.tag(body), next: page.next, hiddenNotes: hiddenNotes)
            }
            guard gzip else { return plain }
            return encoded.page(.init(limit: limit, redacted: redacted, gzip: true)) {
                BoardCompressionRule.gzipped(plain) ?? plain
            }
        }
    }

    /// A snapshot's encoded pages: shared by every request that reads the snapshot, each encoded once. Each
    /// page has a lock of its own, held while it is encoded (or gzipped): a request for another page, or for
    /// one already made, never waits behind that work.
    fileprivate final class EncodedPages: Sendable {
        struct Key: Hashable {
            let limit: Int
            let redacted: Bool
            let gzip: Bool
        }
        private let slots = Mutex<[Key: Slot]>([:])

        final class Slot: Sendable {
            let page = Mutex<Page?>(nil)
        }

        func page(_ key: Key, encode: () -> Page) -> Page {
            let slot = slots.withLock { slots in
                if let slot = slots[key] { return slot }
                let slot = Slot()
                slots[key] = slot
                return slot
            }
            return slot.page.withLock { page in
                if let page { return page }
                let made = encode()
                page = made
                return made
            }
        }
    }

    static let cachedLimits = Set([BoardRequest.defaultLimit, BoardRequest.maxLimit])

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

    /// In, out and overdue over the whole board, for the board page: an aggregate over everybody, so read at
    /// most once per `ttl` and change, and only when a page asks (API reads never wait for it).
    private var counted: (counts: BoardCounts, at: ContinuousClock.Instant, generation: Int)?

    /// Something changed (an event was delivered): the next read rebuilds.
    func invalidate() {
        snapshot = nil
        counted = nil
        generation += 1
    }

    func counts() async throws -> BoardCounts {
        if let counted, counted.generation == generation, ContinuousClock.now - counted.at < ttl {
            return counted.counts
        }
        let started = (generation, ContinuousClock.now)
        let counts = try await statuses.boardCounts(BoardFilter(), now: clock())
        if generation == started.0 { counted = (counts, started.1, started.0) }
        return counts
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
        var slice = try await statuses.board(BoardFilter(), after: nil, limit: BoardRequest.maxLimit)
        slice.entries = slice.entries.map { $0.refreshed(now: now) }
        return Snapshot(
            slice: slice, hiddenNoteOwners: Set(slice.entries.filter { $0.status?.noteHidden == true }.map(\.id)),
            builtAt: started)
    }

    static func tag(_ body: ByteBuffer) -> String {
        "\"" + SHA256.hash(data: body.readableBytesView).prefix(12).lowercaseHex + "\""
    }

    /// A page as the API answers it: `{"people":[…],"next":"…"}` (`next` only when more follow), with where the
    /// hidden notes left in it lie.
    static func encode(_ page: BoardSlice, redacting: Bool = false) -> (body: ByteBuffer, hiddenNotes: [Range<Int>]) {
        let people = redacting ? page.entries.map { $0.withoutHiddenNote() } : page.entries
        return BoardPageBody(people: people, next: page.next?.token).encoded()
    }
}
