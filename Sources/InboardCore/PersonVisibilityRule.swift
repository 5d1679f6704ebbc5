/// What of a person others may see, beyond hidden notes (`HiddenNoteRule`): one definition for every output.
public enum PersonVisibilityRule {
    /// A disabled person's card and contact details are for admins only (the person has left, or is locked out).
    public static func showsDisabledPerson(toAdmin viewerIsAdmin: Bool) -> Bool { viewerIsAdmin }

    /// Where a status was set from (an address) is for the person and admins only.
    public static func revealsStatusSource(of subject: Int64, toViewer viewer: Int64, viewerIsAdmin: Bool) -> Bool {
        viewer == subject || viewerIsAdmin
    }

    /// Local accounts with the admin role are break-glass sign-ins, not people: no board lists them.
    /// (The board's SQL applies the same condition; `StatusStore.boardListingSQL` is its one spelling.)
    public static func listsOnBoard(isLocalAccount: Bool, role: String) -> Bool { !(isLocalAccount && role == "admin") }

    /// How an account no board lists is named where it acted: who set a status (`setBy`), left a note, watches.
    public static let unlistedAccountName = "an administrator"
}
