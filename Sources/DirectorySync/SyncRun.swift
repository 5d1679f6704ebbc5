import Foundation

public enum SyncMode: String, Codable, Sendable {
    case full, incremental
}

/// What one sync did or would do: the record `inboard sync --json` prints and the admin pages show.
public struct SyncRun: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case running, succeeded, failed, held, discarded
    }

    public var id: Int64
    public var mode: SyncMode
    public var dryRun: Bool
    public var state: State
    public var trigger: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var phase: String
    public var processed: Int
    public var estimated: Int?
    public var counts: SyncCounts
    public var activeBefore: Int?
    public var warnings: [String]
    public var errors: [String]
    public var heldReason: String?
    public var approvedBy: String?
    public var approvesRun: Int64?

    public var durationMs: Int { Int(((finishedAt ?? Date()).timeIntervalSince(startedAt) * 1000).rounded()) }

    enum CodingKeys: String, CodingKey {
        case id, mode, dryRun, state, trigger, startedAt, finishedAt, phase, processed, estimated, activeBefore
        case warnings, errors, heldReason, approvedBy, approvesRun, durationMs
        case seen, created, updated, moved, disabled, reenabled, groups, memberships
    }

    public init(
        id: Int64, mode: SyncMode, dryRun: Bool, state: State, trigger: String, startedAt: Date,
        finishedAt: Date? = nil,
        phase: String = "starting", processed: Int = 0, estimated: Int? = nil, counts: SyncCounts = .init(),
        activeBefore: Int? = nil,
        warnings: [String] = [], errors: [String] = [], heldReason: String? = nil, approvedBy: String? = nil,
        approvesRun: Int64? = nil
    ) {
        self.id = id
        self.mode = mode
        self.dryRun = dryRun
        self.state = state
        self.trigger = trigger
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.phase = phase
        self.processed = processed
        self.estimated = estimated
        self.counts = counts
        self.activeBefore = activeBefore
        self.warnings = warnings
        self.errors = errors
        self.heldReason = heldReason
        self.approvedBy = approvedBy
        self.approvesRun = approvesRun
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(Int64.self, forKey: .id), mode: try c.decode(SyncMode.self, forKey: .mode),
            dryRun: try c.decode(Bool.self, forKey: .dryRun), state: try c.decode(State.self, forKey: .state),
            trigger: try c.decode(String.self, forKey: .trigger),
            startedAt: try c.decode(Date.self, forKey: .startedAt),
            finishedAt: try c.decodeIfPresent(Date.self, forKey: .finishedAt),
            phase: try c.decode(String.self, forKey: .phase),
            processed: try c.decode(Int.self, forKey: .processed),
            estimated: try c.decodeIfPresent(Int.self, forKey: .estimated),
            counts: SyncCounts(
                seen: try c.decode(Int.self, forKey: .seen), created: try c.decode(Int.self, forKey: .created),
                updated: try c.decode(Int.self, forKey: .updated), moved: try c.decode(Int.self, forKey: .moved),
                disabled: try c.decode(Int.self, forKey: .disabled),
                reenabled: try c.decode(Int.self, forKey: .reenabled),
                groups: try c.decode(Int.self, forKey: .groups),
                memberships: try c.decode(Int.self, forKey: .memberships)),
            activeBefore: try c.decodeIfPresent(Int.self, forKey: .activeBefore),
            warnings: try c.decode([String].self, forKey: .warnings),
            errors: try c.decode([String].self, forKey: .errors),
            heldReason: try c.decodeIfPresent(String.self, forKey: .heldReason),
            approvedBy: try c.decodeIfPresent(String.self, forKey: .approvedBy),
            approvesRun: try c.decodeIfPresent(Int64.self, forKey: .approvesRun))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(mode, forKey: .mode)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(state, forKey: .state)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encodeIfPresent(finishedAt, forKey: .finishedAt)
        try c.encode(phase, forKey: .phase)
        try c.encode(processed, forKey: .processed)
        try c.encodeIfPresent(estimated, forKey: .estimated)
        try c.encode(counts.seen, forKey: .seen)
        try c.encode(counts.created, forKey: .created)
        try c.encode(counts.updated, forKey: .updated)
        try c.encode(counts.moved, forKey: .moved)
        try c.encode(counts.disabled, forKey: .disabled)
        try c.encode(counts.reenabled, forKey: .reenabled)
        try c.encode(counts.groups, forKey: .groups)
        try c.encode(counts.memberships, forKey: .memberships)
        try c.encodeIfPresent(activeBefore, forKey: .activeBefore)
        try c.encode(durationMs, forKey: .durationMs)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(errors, forKey: .errors)
        try c.encodeIfPresent(heldReason, forKey: .heldReason)
        try c.encodeIfPresent(approvedBy, forKey: .approvedBy)
        try c.encodeIfPresent(approvesRun, forKey: .approvesRun)
    }

    /// One line per run, with the numbers an admin looks for first.
    public var summary: String {
        let head =
            "sync run \(id) (\(mode.rawValue)\(dryRun ? ", dry run" : "")): \(state.rawValue) in \(String(format: "%.1f", Double(durationMs) / 1000)) s"
        let c = counts
        var text =
            "\(head): \(c.seen) seen, \(c.created) created, \(c.updated) updated, \(c.moved) moved, \(c.disabled) disabled, \(c.reenabled) re-enabled, \(c.groups) groups, \(c.memberships) memberships"
        if let heldReason { text += "\nheld: \(heldReason)" }
        for warning in warnings.prefix(20) { text += "\nwarning: \(warning)" }
        if warnings.count > 20 { text += "\n… and \(warnings.count - 20) more warnings" }
        for error in errors { text += "\nerror: \(error)" }
        return text
    }
}

public struct SyncCounts: Codable, Sendable, Equatable {
    public var seen = 0
    public var created = 0
    public var updated = 0
    public var moved = 0
    public var disabled = 0
    public var reenabled = 0
    public var groups = 0
    public var memberships = 0

    public init(
        seen: Int = 0, created: Int = 0, updated: Int = 0, moved: Int = 0, disabled: Int = 0, reenabled: Int = 0,
        groups: Int = 0, memberships: Int = 0
    ) {
        self.seen = seen
        self.created = created
        self.updated = updated
        self.moved = moved
        self.disabled = disabled
        self.reenabled = reenabled
        self.groups = groups
        self.memberships = memberships
    }
}
