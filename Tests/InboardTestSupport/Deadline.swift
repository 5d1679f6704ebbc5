import NIOConcurrencyHelpers

/// What `body` ended with, or nil when it had not ended after `limit`. `body` runs in a task of its own, so a
/// test of something that may wait for ever (a lost answer) fails instead of hanging the whole run.
public func outcome<T: Sendable>(
    within limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error>? {
    let resumed = NIOLockedValueBox(false)
    return await withCheckedContinuation { continuation in
        @Sendable func finish(_ result: Result<T, any Error>?) {
            guard
                !resumed.withLockedValue({ done in
                    defer { done = true }; return done
                })
            else { return }
            continuation.resume(returning: result)
        }
        let work = Task {
            do { finish(.success(try await body())) } catch { finish(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: limit)
            finish(nil)
            work.cancel()
        }
    }
}
