import NIOConcurrencyHelpers

/// What `body` ended with, or nil when it had not ended after `limit`. `body` runs in a task of its own, so a
/// test of something that may wait for ever (a lost answer) fails instead of hanging the whole run.
public func outcome<T: Sendable>(
    within limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error>? {
    let resumed = NIOLockedValueBox(false)
    let timer = NIOLockedValueBox<Task<Void, Never>?>(nil)
    return await withCheckedContinuation { continuation in
        @Sendable func finish(_ result: Result<T, any Error>?) {
            let first = resumed.withLockedValue { done in
                defer { done = true }
                return !done
            }
            guard first else { return }
            timer.withLockedValue { $0 }?.cancel()
            continuation.resume(returning: result)
        }
        let work = Task {
            do { finish(.success(try await body())) } catch { finish(.failure(error)) }
        }
        let sleeper = Task {
            guard (try? await Task.sleep(for: limit)) != nil else { return }  // cancelled: the body ended
            finish(nil)
            work.cancel()
        }
        timer.withLockedValue { $0 = sleeper }
        if resumed.withLockedValue({ $0 }) { sleeper.cancel() }  // the body ended before the timer was kept
    }
}
