/// How far a reader of the event log has got: every id up to `after` was read, except the `pending` ones below
/// it, taken by transactions that had not committed when later ids were read (ids come from a sequence when a
/// row is inserted, so a transaction can commit after a later one). The hub keeps one for every live stream of
/// this process, a resumed stream's replay one of its own; each frame carries it in its SSE id (`frameID`), so a
/// client that reconnects with that as Last-Event-ID gets the events that committed late as well as newer ones.
/// The hub stops waiting for an id after 30 s (`EventHub.gapPatience`): a commit later than that is not delivered.
struct EventPosition: Equatable, Sendable {
    private(set) var after: Int64
    private(set) var pending: Set<Int64>

    /// Runs of pending ids a position carries at most (a transaction's ids are one run); past that a client
    /// resumes from below the oldest (some events twice, none lost), so that an id line stays short.
    static let maxRuns = 32
    /// Further than this past `after`, the ids in between are not waited for (rolled back, or pruned long ago).
    static let maxJump: Int64 = 10_000

    init(after: Int64, pending: some Sequence<Int64> = []) {
        self.after = after
        self.pending = Set(pending.lazy.filter { $0 > 0 && $0 < after })
    }

    /// Marks `id` read; returns the ids it leaves pending (those between the previous `after` and it).
    mutating func read(_ id: Int64) -> [Int64] {
        guard pending.remove(id) == nil, id > after else { return [] }
        let skipped = id - after > 1 && id - after <= Self.maxJump ? Array((after + 1)..<id) : []
        pending.formUnion(skipped)
        after = id
        return skipped
    }

    /// Stops waiting for `ids` (committed and read elsewhere, or rolled back for good).
    mutating func forget(_ ids: some Sequence<Int64>) { pending.subtract(ids) }

    /// Stops waiting for ids that `live` (the hub's position, taken before this one's events were read) had
    /// read or given up on: if they ever committed, the read that advanced this position saw them. Without it a
    /// rolled-back transaction would be carried in every replayed frame's id.
    mutating func settle(against live: EventPosition) {
        forget(pending.filter { $0 <= live.after && !live.pending.contains($0) })
    }

    /// The SSE id: "after", or "after.p" with the pending ids as runs ("250.102-200.230"); with more than `maxRuns`
    /// runs, the id just below the oldest pending one (resume from there).
    var text: String {
        guard !pending.isEmpty else { return String(after) }
        var runs: [ClosedRange<Int64>] = []
        for id in pending.sorted() {
            if let last = runs.last, last.upperBound + 1 == id {
                runs[runs.count - 1] = last.lowerBound...id
            } else {
                runs.append(id...id)
            }
        }
        if runs.count > Self.maxRuns { return String(runs[0].lowerBound - 1) }
        let parts = runs.map { $0.count == 1 ? String($0.lowerBound) : "\($0.lowerBound)-\($0.upperBound)" }
        return ([String(after)] + parts).joined(separator: ".")
    }

    /// The SSE id of the frame carrying event `event` at this position: the event's own id first, so that it still
    /// names the event, then the position when it says more: "105", "105.103" (103 still pending), "103:105.104"
    /// (103 came late, 104 is still pending), "105:99" (too many pending: resume from 99).
    func frameID(for event: Int64) -> String {
        let position = text
        return position == String(event) || position.hasPrefix("\(event).") ? position : "\(event):\(position)"
    }

    /// A position read back from Last-Event-ID (a frame's id, or a stream's starting one), in the form `frameID`
    /// and `text` write; nil for anything else.
    init?(text: some StringProtocol) {
        var text = Substring(text)
        if let colon = text.firstIndex(of: ":") {
            guard Self.number(text[..<colon]).map({ $0 > 0 }) == true else { return nil }
            text = text[text.index(after: colon)...]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= Self.maxRuns + 1, let after = Self.number(parts[0]) else { return nil }
        var pending: [Int64] = []
        for part in parts.dropFirst() {
            let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(Self.number)
            guard let low = bounds.first ?? nil, let high = bounds.last ?? nil, low > 0, low <= high, high < after,
                after - low <= Self.maxJump
            else { return nil }
            pending += low...high
        }
        self.init(after: after, pending: pending)
    }

    /// A decimal number as this server writes one: ASCII digits only (no sign), at most 18 of them.
    private static func number(_ text: Substring) -> Int64? {
        guard (1...18).contains(text.count), text.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        return Int64(text)
    }
}
