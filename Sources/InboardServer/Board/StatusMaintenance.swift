import InboardStore
import Logging
import ServiceLifecycle

/// Expired statuses fall back to their type's fallback, every `interval`, in every server process (each
/// expiry is claimed by exactly one of them).
struct StatusMaintenance: Service {
    let statuses: StatusStore
    let logger: Logger
    var interval: Duration = .seconds(15)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                do {
                    let expired = try await statuses.expireDue()
                    if expired > 0 { logger.info("statuses expired", metadata: ["count": "\(expired)"]) }
                } catch {
                    if Task.isCancelled || error is CancellationError { return }   // shutting down
                    logger.warning("expiring statuses failed; retrying", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                }
            }
        }
    }
}
