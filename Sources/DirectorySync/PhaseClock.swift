import Logging
import Synchronization

/// Logs how long each step of a run took (at debug level), for admins chasing a slow sync.
final class PhaseClock: Sendable {
    private let last: Mutex<ContinuousClock.Instant>
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        last = Mutex(.now)
    }

    func lap(_ step: String) {
        let now = ContinuousClock.now
        let elapsed = last.withLock { previous in
            defer { previous = now }
            return now - previous
        }
        logger.debug(
            "sync step: \(step)",
            metadata: ["seconds": "\(elapsed.formatted(.units(allowed: [.seconds, .milliseconds])))"])
    }
}
