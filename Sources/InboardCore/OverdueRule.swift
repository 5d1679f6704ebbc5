import Foundation

/// When a status is overdue: out, with a return time that has passed (a new status replaces it). The one
/// definition for the board, its CSV, live events and pages. SQL computes it only to count a board
/// (`StatusStore.overdueSQL`), and a test holds that spelling to this one.
public enum OverdueRule {
    public static func isOverdue(presence: StatusType.Presence, returnAt: Date?, now: Date) -> Bool {
        guard presence == .out, let returnAt else { return false }
        return returnAt < now
    }
}
