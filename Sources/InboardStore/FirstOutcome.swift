import NIOConcurrencyHelpers

/// The first of several racing results (a body's own, a closed connection's, a timer's), handed to the one caller
/// waiting for it, which may start waiting after it arrived; later results are dropped.
final class FirstOutcome<Value: Sendable>: Sendable {
    private enum State {
        case running
        case waiting(CheckedContinuation<Value, any Error>)
        case ended(Result<Value, any Error>)
        case taken
    }

    private let state = NIOLockedValueBox(State.running)

    /// Settles the outcome; only the first call counts.
    func finish(_ result: Result<Value, any Error>) {
        let waiting = state.withLockedValue { state -> CheckedContinuation<Value, any Error>? in
            switch state {
            case .running:
                state = .ended(result)
                return nil
            case let .waiting(continuation):
                state = .taken
                return continuation
            case .ended, .taken:
                return nil
            }
        }
        waiting?.resume(with: result)
    }

    func value() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { state -> Result<Value, any Error>? in
                if case let .ended(result) = state {
                    state = .taken
                    return result
                }
                state = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// What `withTimeout` throws when its body had not ended in time.
public struct TimeLimitExceeded: Error {}

/// Runs `body`, giving up after `limit` (`TimeLimitExceeded`). The body runs in a task of its own that is
/// cancelled, not awaited, when time runs out: a query stuck on a dead connection must not hold the health check.
public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws
    -> T
{
    let outcome = FirstOutcome<T>()
    let work = Task { outcome.finish(await Result(catching: body)) }
    let timer = Task {
        try? await Task.sleep(for: limit)
        outcome.finish(.failure(TimeLimitExceeded()))
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await outcome.value()
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
