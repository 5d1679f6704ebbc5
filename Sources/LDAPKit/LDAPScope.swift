import CLDAP

public enum LDAPScope: Sendable {
    case base, oneLevel, subtree

    var cValue: Int32 {
        switch self {
        case .base: return cldap_scope_base()
        case .oneLevel: return cldap_scope_one()
        case .subtree: return cldap_scope_subtree()
        }
    }
}
