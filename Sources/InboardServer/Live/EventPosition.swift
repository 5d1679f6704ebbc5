/// How far a reader of the event log has got: every id up to `after` was read, except the `pending` ones below
/// it, taken by transactions that had not committed when later ids were read (ids come from a sequence when a
/// row is inserted, so a transaction can commit after a later one). The hub keeps one for every live stream of
/// this process, a resumed stream's replay one of its own; each frame carries it in its SSE id (`frameID`), so a
/// client that reconnects with that as Last-Event-ID gets the events that committed late as well as newer ones.
struct EventPosition: Equatable, Sendable {
    private(set) var after: Int64
    private(set) var pending: Set<Int64>

    /// Ids a position carries at most; past that a client resumes from below the oldest (some events twice, none
    /// lost), so that an id line stays short.
    static let maxPending = 100
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

    /// Stops waiting for `ids` (rolled back for good).
    mutating func forget(_ ids: some Sequence<Int64>) { pending.subtract(ids) }

    /// The SSE id: "after", or "after.p1.p2" with the pending ids in order.
    var text: String {
        let waiting = pending.sorted()
        if waiting.count > Self.maxPending { return String(waiting[0] - 1) }
        return ([after] + waiting).map(String.init).joined(separator: ".")
    }

    /// The SSE id of the frame carrying event `event` at this position: the event's own id first, so that it still
    /// names the event, then the position when it says more: "105", "105.103" (103 still pending), "103:105.104"
    /// (103 came late; 104 is still pending).
    func frameID(for event: Int64) -> String {
        let position = text
        return position == String(event) || position.hasPrefix("\(event).") ? position : "\(event):\(position)"
    }

    /// A position read back from Last-Event-ID (a frame's id, or a stream's starting one); nil for text this
    /// server could not have sent.
    init?(text: some StringProtocol) {
        var text = Substring(text)
        if let colon = text.firstIndex(of: ":") {
            guard Int64(text[..<colon]).map({ $0 > 0 }) == true else { return nil }
            text = text[text.index(after: colon)...]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= Self.maxPending + 1, let first = parts.first, let after = Int64(first), after >= 0
        else { return nil }
        var pending: [Int64] = []
        for part in parts.dropFirst() {
            guard let id = Int64(part), id > 0, id < after else { return nil }
            pending.append(id)
        }
        self.init(after: after, pending: pending)
    }
}
