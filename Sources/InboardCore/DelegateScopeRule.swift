/// Whose status someone may set besides their own. Admins: anyone's. Delegates (the front desk): any active
/// person who is not an admin. Nobody else: only their own.
public enum DelegateScopeRule {
    public static func maySetStatus(
        ofActive targetIsActive: Bool, targetIsAdmin: Bool, actorIsAdmin: Bool, actorIsDelegate: Bool
    ) -> Bool {
        if actorIsAdmin { return true }
        return actorIsDelegate && targetIsActive && !targetIsAdmin
    }
}
