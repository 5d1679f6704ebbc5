import Foundation
import NIOConcurrencyHelpers

/// Observers called synchronously, in the signalling task, before `signal()` returns: a cache told this way
/// has forgotten before the change's HTTP answer leaves the process.
public final class LocalSignal: Sendable {
    /// Each observer gets the person concerned, or nil for "anyone".
    private let observers = NIOLockedValueBox([UUID: @Sendable (Int64?) -> Void]())

    public init() {}

    public func observe(_ observer: @escaping @Sendable (Int64?) -> Void) -> UUID {
        let id = UUID()
        observers.withLockedValue { $0[id] = observer }
        return id
    }

    public func stopObserving(_ id: UUID) {
        _ = observers.withLockedValue { $0.removeValue(forKey: id) }
    }

    /// Something changed for `person` (nil: for anyone, or for people not named).
    public func signal(person: Int64? = nil) {
        for observer in observers.withLockedValue({ Array($0.values) }) { observer(person) }
    }
}
