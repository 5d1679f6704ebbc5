import NIOConcurrencyHelpers

/// How many changes one person's status takes in a window: 30 in 10 minutes by default
/// (`INBOARD_STATUS_CHANGE_LIMIT`), as for notes, since each change mails everyone who watches them (and empties
/// every server's board cache). Counted per server process, by arrival, whoever asks (the person, a delegate,
/// their client's presence reports); expiry does not count. A person changing their status by hand never comes
/// near it; a loop does.
final class StatusChangeLimiter: Sendable {
    static let defaultPerWindow = 30
    static let window: Duration = .seconds(600)

    /// Changes per window; 0: no limit.
    let perWindow: Int
    private let recent = NIOLockedValueBox<[Int64: [ContinuousClock.Instant]]>([:])

    init(perWindow: Int = defaultPerWindow) {
        self.perWindow = perWindow
    }

    /// Counts a change of `person`'s status; false, counting nothing, when the window is full.
    func admit(_ person: Int64, now: ContinuousClock.Instant = .now) -> Bool {
        guard perWindow > 0 else { return true }
        return recent.withLockedValue { recent in
            if recent.count > 10_000 {  // people who changed nothing lately are forgotten
                recent = recent.filter { $0.value.last.map { now - $0 < Self.window } ?? false }
            }
            var times = recent[person, default: []].filter { now - $0 < Self.window }
            let admitted = times.count < perWindow
            if admitted { times.append(now) }
            recent[person] = times
            return admitted
        }
    }

    /// `admit`, or the 429 that says why not.
    func require(_ person: Int64) throws {
        guard admit(person) else {
            throw APIError(
                .tooManyRequests, code: "too_many_changes",
                message:
                    "This status changed \(perWindow) times in the last 10 minutes already (each change tells everyone watching); try again in a few minutes.",
                headers: [.retryAfter: "60"])
        }
    }
}
