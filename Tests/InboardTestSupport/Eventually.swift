/// Polls `condition` every `interval` until it holds or `limit` has passed, and says whether it held. Tests wait
/// for what they expect this way instead of sleeping a fixed time, which a loaded machine overruns.
@discardableResult
public func eventually(
    within limit: Duration, every interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: interval)
    }
    return true
}
