/// The hub's `EventPosition` with when each of its pending ids was first missed: a transaction that commits after a
/// later one leaves a gap that fills in a moment later; a rolled-back one leaves it for good, given up after
/// `patience`. One value, so that the pending ids and their times cannot drift apart.
struct DeliveryPosition: Sendable {
    private(set) var position: EventPosition
    private var missedAt: [Int64: ContinuousClock.Instant]
    let patience: Duration

    init(after: Int64, pending: some Sequence<Int64>, now: ContinuousClock.Instant, patience: Duration) {
        position = EventPosition(after: after, pending: pending)
        missedAt = Dictionary(uniqueKeysWithValues: position.pending.map { ($0, now) })
        self.patience = patience
    }

    /// Marks `id` delivered; the ids it skips start being waited for now.
    mutating func read(_ id: Int64, now: ContinuousClock.Instant) {
        for skipped in position.read(id) { missedAt[skipped] = now }
        missedAt[id] = nil
    }

    /// Stops waiting for the ids missed `patience` ago or longer.
    mutating func giveUp(now: ContinuousClock.Instant) {
        let expired = missedAt.filter { now - $0.value >= patience }.keys
        guard !expired.isEmpty else { return }
        for id in expired { missedAt[id] = nil }
        position.forget(expired)
    }
}
