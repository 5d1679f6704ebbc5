/// Who may read a status note its author chose to hide: the author, and delegates and admins (who keep the
/// front desk and set statuses for others). The one definition every output calls: API, board, SSE, CSV,
/// history, mail (and later webhooks).
public enum HiddenNoteRule {
    public static func reveals(noteOf subject: Int64, toViewer viewer: Int64, viewerIsDelegateOrAdmin: Bool) -> Bool {
        viewer == subject || viewerIsDelegateOrAdmin
    }
}
