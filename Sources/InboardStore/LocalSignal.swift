import Foundation
import NIOConcurrencyHelpers

/// Observers called synchronously, in the signalling task, before `signal()` returns: a cache told this way
/// has forgotten before the change's HTTP answer leaves the process.
public final class LocalSignal: Sendable {
    private let observers = NIOLockedValueBox([UUID: @Sendable () -> Void]())

    public init() {}

    public func observe(_ observer: @escaping @Sendable () -> Void) -> UUID {
        let id = UUID()
        observers.withLockedValue { $0[id] = observer }
        return id
    }

    public func stopObserving(_ id: UUID) {
        _ = observers.withLockedValue { $0.removeValue(forKey: id) }
    }

    public func signal() {
        for observer in observers.withLockedValue({ Array($0.values) }) { observer() }
    }
}
