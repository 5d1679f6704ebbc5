import Synchronization

/// Where a running sync is: read by the terminal progress bar and written to the run record.
public struct SyncProgress: Sendable, Equatable {
    public enum Phase: String, Sendable {
        case connecting, readingUsers = "reading users", readingGroups = "reading groups", merging, finished
    }

    public var phase: Phase = .connecting
    public var processed = 0
    public var estimated: Int?

    public init(phase: Phase = .connecting, processed: Int = 0, estimated: Int? = nil) {
        self.phase = phase
        self.processed = processed
        self.estimated = estimated
    }
}

/// Shared between the staging loop (writer) and the reporter task (reader).
final class SyncProgressBox: Sendable {
    private let state: Mutex<SyncProgress>
    init(estimated: Int?) { state = Mutex(SyncProgress(estimated: estimated)) }

    var current: SyncProgress { state.withLock { $0 } }
    func set(phase: SyncProgress.Phase) { state.withLock { $0.phase = phase } }
    func advance(by count: Int = 1) { state.withLock { $0.processed += count } }
}
