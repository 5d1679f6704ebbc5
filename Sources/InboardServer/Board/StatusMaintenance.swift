import InboardStore
import Logging
import ServiceLifecycle

/// Expired statuses fall back to their type's fallback, every `interval`, in every server process (each
/// expiry is claimed by exactly one of them); every `pruneEvery` rounds, old throttle rows, sessions and events go.
struct StatusMaintenance: Service {
    let statuses: any StatusStoring
    let housekeeping: Housekeeping
    let logger: Logger
    var interval: Duration = .seconds(15)
    var pruneEvery = 40

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var round = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                round += 1
                do {
                    let expired = try await statuses.expireDue()
                    if expired > 0 { logger.info("statuses expired", metadata: ["count": "\(expired)"]) }
                    if round % pruneEvery == 1 {
                        let pruned = try await housekeeping.prune()
                        if pruned.total > 0 {
                            logger.info(
                                "pruned old rows",
                                metadata: [
                                    "throttle": "\(pruned.throttleRows)", "sessions": "\(pruned.sessions)",
                                    "events": "\(pruned.events)",
                                ])
                        }
                    }
                } catch {
                    if Task.isCancelled || error is CancellationError { return }  // shutting down
                    logger.warning(
                        "expiring statuses failed; retrying",
                        metadata: ["error": "\(String(reflecting: type(of: error)))"])
                }
            }
        }
    }
}
