import InboardStore

/// What `body` ended with, or nil when it had not ended after `limit`. `body` runs in a task of its own, so a
/// test of something that may wait for ever (a lost answer) fails instead of hanging the whole run.
public func outcome<T: Sendable>(
    within limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error>? {
    do {
        return .success(try await withTimeout(limit, body))
    } catch is TimeLimitExceeded {
        return nil
    } catch {
        return .failure(error)
    }
}
