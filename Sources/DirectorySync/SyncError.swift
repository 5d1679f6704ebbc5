/// Why a sync did not run or did not finish, in words an admin can act on.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    case notConfigured
    case alreadyRunning(id: Int64?, since: String?)
    case notApprovable(id: Int64, state: SyncRun.State?, approvedBy: String?)
    case directory(setting: String, message: String)
    case internalFailure(String)
    /// The server is stopping: start the run again once it is back.
    case serverStopping

    public var description: String {
        switch self {
        case .notConfigured:
            return "no directory settings yet: save them first with 'inboard directory set --file FILE'"
        case let .alreadyRunning(id, since):
            return
                "another sync is running\(id.map { " (run \($0)" } ?? "")\(since.map { ", started \($0)" } ?? "")\(id == nil ? "" : ")"); only one runs at a time"
        case let .notApprovable(id, state, approvedBy):
            guard let state else { return "there is no sync run \(id)" }
            if let approvedBy { return "sync run \(id) was already approved by \(approvedBy)" }
            return "sync run \(id) is \(state.rawValue), not held: only a held run can be approved"
        case let .directory(setting, message):
            return "directory setting '\(setting)': \(message)"
        case let .internalFailure(message):
            return "sync failed: \(message)"
        case .serverStopping:
            return "the server is stopping; start the sync again once it is back"
        }
    }
}
