import HummingbirdBcrypt
import InboardStore

/// `inboard admin create` and `inboard setup` alike: the local admin account with this password. Run again with
/// the same password it changes nothing; with another, the password is set and every session the account had
/// ends (`PeopleStore.upsertLocalAdmin`).
enum LocalAdminAccount {
    static func set(username: String, password: String, people: PeopleStore) async throws -> String {
        if let existing = try await people.localAccount(username: username), existing.person.active,
            existing.person.role == .admin, Bcrypt.verify(password, hash: existing.passwordHash)
        {
            return "'\(username)' already exists with this password: unchanged"
        }
        let created = try await people.upsertLocalAdmin(
            username: username, passwordHash: Bcrypt.hash(password, cost: 12))
        return created
            ? "'\(username)' created"
            : "'\(username)' existed; its password was set, it is an active admin, and its sessions were ended"
    }
}
