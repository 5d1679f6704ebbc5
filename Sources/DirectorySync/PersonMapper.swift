import Foundation
import LDAPKit

/// Turns a directory entry into the row a sync stages: identity, DN, the mapped fields and, when the
/// directory says so, why the account is disabled.
struct PersonMapper: Sendable {
    /// The staged columns, in COPY order.
    static let stagedColumns =
        ["directory_id", "dn", "username"] + PersonField.allCases.filter { $0 != .username }.map(\.column) + [
            "disabled_reason"
        ]

    let settings: DirectorySettings
    let mappings: [(field: PersonField, mapping: AttributeMapping)]
    /// Worked out once, not per entry: a sync maps 100,000 of them.
    let usernameMapping: AttributeMapping?
    let now: Date

    init(settings: DirectorySettings, now: Date = Date()) {
        self.settings = settings
        let effective = settings.effectiveAttributes
        mappings = PersonField.allCases.filter { $0 != .username }.map { ($0, effective[$0] ?? .constant("")) }
        usernameMapping = effective[.username]
        self.now = now
    }

    /// The entry's identity and username, or why it cannot become a person. Values PostgreSQL cannot store
    /// are read as missing (and `values` warns of them).
    func keys(of values: inout StorableValues) -> Result<(identity: String, username: String), SkippedEntry> {
        let entry = values.entry
        guard StorableValues.isStorable(entry.dn) else {
            return .failure(SkippedEntry("an entry whose DN holds a NUL byte: skipped"))
        }
        guard let identity = identity(of: entry), StorableValues.isStorable(identity) else {
            return .failure(
                SkippedEntry("\(entry.dn) has no \(settings.identityAttribute) that can be stored: skipped"))
        }
        guard let username = usernameMapping?.text(reading: { values.string($0) }),
            !username.isEmpty
        else {
            return .failure(SkippedEntry("\(entry.dn) has no \(settings.loginAttribute): skipped", identity: identity))
        }
        return .success((identity, username))
    }

    /// Writes the entry's row into `encoder`; a value PostgreSQL cannot store is left out (`values` warns).
    func encode(_ values: inout StorableValues, identity: String, username: String, into encoder: inout CopyRowEncoder)
    {
        let entry = values.entry
        encoder.text(identity)
        encoder.text(entry.dn)
        encoder.text(username)
        for (field, mapping) in mappings {
            switch field {
            case .photo:
                if case let .attribute(name) = mapping { encoder.bytea(entry.bytes(name)) } else { encoder.bytea(nil) }
            case .displayName:
                encoder.text(mapping.text(reading: { values.string($0) }) ?? fallbackDisplayName(&values) ?? username)
            default:
                encoder.text(mapping.text(reading: { values.string($0) }))
            }
        }
        encoder.text(disabledReason(of: entry))
        encoder.endRow()
    }

    func identity(of entry: LDAPEntry) -> String? { settings.identity(of: entry) }

    private func fallbackDisplayName(_ values: inout StorableValues) -> String? {
        let parts = [values.string("givenName"), values.string("sn")].compactMap { $0 }
        return parts.isEmpty ? values.string("cn") : parts.joined(separator: " ")
    }

    /// Why the directory keeps this account from logging in for good; temporary lockouts are not disablement.
    func disabledReason(of entry: LDAPEntry) -> String? {
        switch settings.flavour {
        case .activeDirectory:
            if let control = entry.string("userAccountControl").flatMap(Int.init), control & 0x2 != 0 {
                return "disabled in the directory"
            }
            if let expires = entry.string("accountExpires").flatMap(Int64.init), expires != 0, expires != Int64.max {
                // FILETIME: 100 ns ticks since 1601-01-01.
                let expiry = Date(timeIntervalSince1970: Double(expires) / 10_000_000 - 11_644_473_600)
                if expiry < now { return "account expired in the directory" }
            }
            return nil
        case .openLDAP:
            // ppolicy's "locked until an administrator unlocks it" value; other lock times are failure lockouts.
            return entry.string("pwdAccountLockedTime") == "000001010000Z" ? "disabled in the directory" : nil
        }
    }
}

struct SkippedEntry: Error {
    let reason: String
    /// The entry's identity when it has one: the person is still in the directory, only not applied.
    let identity: String?
    init(_ reason: String, identity: String? = nil) {
        self.reason = reason
        self.identity = identity
    }
}

/// A person whose entry is in the directory but has no username to apply. Not a leaver, and claims no name (a
/// new hire may take theirs); the directory disabling or re-enabling them still applies.
struct SkippedPerson {
    let identity: String
    let disabledReason: String?
}
