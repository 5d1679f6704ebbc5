import NIOConcurrencyHelpers

/// How many changes one person's status takes in a window: 30 in 10 minutes by default
/// (`INBOARD_STATUS_CHANGE_LIMIT`), as for notes, since each change mails everyone who watches them (and empties
/// every server's board cache). Counted per server process, by arrival, whoever asks (the person, a delegate,
/// their client's presence reports), once the change is applied; expiry does not count. A person changing their
/// status by hand never comes near it; a loop does.
final class StatusChangeLimiter: Sendable {
    static let defaultPerWindow = 30
    static let window: Duration = .seconds(600)

    /// Changes per window; 0: no limit.
    let perWindow: Int
    private struct Counts {
        var recent: [Int64: [ContinuousClock.Instant]] = [:]
        var lastSweep = ContinuousClock.now
    }
    private let counts = NIOLockedValueBox(Counts())
    /// How often people who changed nothing within the window are forgotten: a sweep reads every entry, so not
    /// at every change (a morning's presence reports from a whole organisation would each pay for it).
    static let sweepEvery: Duration = .seconds(60)

    init(perWindow: Int = defaultPerWindow) {
        self.perWindow = perWindow
    }

    /// Counts a change of `person`'s status and returns nil; or, counting nothing when the window is full, how
    /// long until it has room.
    func reserve(_ person: Int64, now: ContinuousClock.Instant = .now) -> Duration? {
        guard perWindow > 0 else { return nil }
        return counts.withLockedValue { counts in
            if now - counts.lastSweep >= Self.sweepEvery {
                counts.recent = counts.recent.filter { $0.value.last.map { now - $0 < Self.window } ?? false }
                counts.lastSweep = now
            }
            var times = counts.recent[person, default: []].filter { now - $0 < Self.window }
            defer { counts.recent[person] = times }
            guard times.count < perWindow else { return Self.window - (now - times[times.count - perWindow]) }
            times.append(now)
            return nil
        }
    }

    /// How many people the limiter holds changes for.
    var remembered: Int { counts.withLockedValue { $0.recent.count } }

    /// Takes back the last change `reserve` counted for `person` (it was not applied).
    func refund(_ person: Int64) {
        counts.withLockedValue { counts in
            if counts.recent[person]?.isEmpty == false { counts.recent[person]?.removeLast() }
        }
    }

    /// Runs `change` if `person`'s window has room (else a 429 saying when it will), counting it unless it throws.
    func counting<T>(_ person: Int64, _ change: () async throws -> T) async throws -> T {
        if let wait = reserve(person) {
            let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
            throw APIError(
                .tooManyRequests, code: "too_many_changes",
                message:
                    "This status took \(perWindow) changes in the last 10 minutes (each tells everyone watching); the next can be made in \(seconds) s.",
                headers: [.retryAfter: "\(seconds)"])
        }
        do { return try await change() } catch {
            refund(person)
            throw error
        }
    }
}
