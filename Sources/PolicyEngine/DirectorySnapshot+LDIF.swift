import Foundation

extension DirectorySnapshot {
    /// A snapshot from LDIF (an `ldapsearch` or `slapcat` dump): entries with objectClass person, user or
    /// inetOrgPerson are users (named by uid, sAMAccountName or cn), computer entries are computers; groups
    /// give their `member` / `uniqueMember` lists, flattened through nesting, and `memberOf` is read too.
    /// The domain is the longest dc= suffix the entries share.
    public static func parseLDIF(_ text: String, file: String) throws -> DirectorySnapshot {
        let entries = ldifEntries(text)
        guard !entries.isEmpty else { throw PolicyError(file: file, message: "no LDIF entries (dn: lines) found") }
        var members: [String: Set<String>] = [:]  // group → member DNs
        for entry in entries
        where entry.classes.contains("group") || entry.classes.contains("groupofnames")
            || entry.classes.contains("groupofuniquenames")
        {
            members[DN.normalised(entry.dn)] = Set(
                (entry.values["member"] ?? []) + (entry.values["uniquemember"] ?? []).map(DN.normalised)
            )
            .union((entry.values["member"] ?? []).map(DN.normalised))
        }
        var direct: [String: Set<String>] = [:]  // member → groups it is directly in
        for (group, list) in members { for member in list { direct[member, default: []].insert(group) } }
        for entry in entries {
            for group in entry.values["memberof"] ?? [] {
                direct[DN.normalised(entry.dn), default: []].insert(DN.normalised(group))
            }
        }
        func closure(_ dn: String) -> [String] {  // nested groups, stopping at cycles
            var seen = Set<String>(), queue = Array(direct[dn] ?? [])
            while let group = queue.popLast() { if seen.insert(group).inserted { queue += direct[group] ?? [] } }
            return seen.sorted()
        }
        var users: [Target] = [], computers: [Target] = []
        // Users with a login name (uid, sAMAccountName): a client looks its manifest up by it. Entries named by
        // their cn (contacts, which cannot sign in) may share a name.
        var loginNamed: [Target] = [], contacts: [Target] = []
        for entry in entries {
            let dn = DN.normalised(entry.dn)
            if entry.classes.contains("computer") {
                computers.append(
                    Target(name: entry.first("cn") ?? entry.dn, dn: entry.dn, groups: closure(dn), id: entry.stableID))
            } else if entry.classes.contains("person") || entry.classes.contains("inetorgperson")
                || entry.classes.contains("user")
            {
                let attributes = Dictionary(
                    entry.values.compactMap { key, values in values.first.map { (key, $0) } },
                    uniquingKeysWith: { first, _ in first })
                let login = entry.first("uid") ?? entry.first("samaccountname")
                users.append(
                    Target(
                        name: login ?? entry.first("cn") ?? entry.dn, dn: entry.dn, groups: closure(dn),
                        attributes: attributes, id: entry.stableID))
                if login != nil {
                    loginNamed.append(users[users.count - 1])
                } else {
                    contacts.append(users[users.count - 1])
                }
            }
        }
        var shared: [String]?
        for entry in entries {
            let suffix: [String] = Array(DN.components(entry.dn).reversed().prefix { $0.hasPrefix("dc=") })
            guard let common = shared else { shared = suffix; continue }
            shared = Array(zip(common, suffix).prefix { pair in pair.0 == pair.1 }.map { pair in pair.0 })
        }
        guard let shared, !shared.isEmpty else {
            throw PolicyError(file: file, message: "the entries share no dc= suffix, so the domain is unknown")
        }
        let containers = entries.filter {
            $0.classes.contains("organizationalunit") || $0.classes.contains("container")
        }.map(\.dn)
        // Contacts may share a name among themselves, never with a login.
        let logins = Set(loginNamed.map(\.name))
        let contactsNamedLikeALogin = contacts.filter { logins.contains($0.name) }
        try refuseDuplicateNames(file: file, users: loginNamed + contactsNamedLikeALogin, computers: computers)
        return DirectorySnapshot(
            domain: shared.reversed().joined(separator: ","), users: users, computers: computers, containers: containers
        )
    }

    struct LDIFEntry {
        var dn: String
        var values: [String: [String]] = [:]
        var classes: Set<String> { Set((values["objectclass"] ?? []).map { $0.lowercased() }) }
        func first(_ name: String) -> String? { values[name]?.first }
        /// The stable id as the sync stores it: entryUUID, or objectGUID in its 8-4-4-4-12 form.
        var stableID: String? { first("entryuuid")?.lowercased() ?? first("objectguid") }
    }

    /// AD's objectGUID (16 bytes, the first three fields little-endian) as text, as the sync writes it.
    static func guidText(_ bytes: Data) -> String? {
        guard bytes.count == 16 else { return nil }
        let b = Array(bytes)
        let ordered = [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]] + b[8..<16]
        let hex = ordered.map { String(format: "%02x", $0) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(
            separator: "-")
    }

    /// Entries from LDIF text: folded lines joined, comments skipped, `attr:: base64` decoded.
    static func ldifEntries(_ text: String) -> [LDIFEntry] {
        var lines: [String] = []
        for raw in text.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false)
        {
            if raw.hasPrefix(" "), !lines.isEmpty, !lines[lines.count - 1].isEmpty {
                lines[lines.count - 1] += raw.dropFirst()
            } else {
                lines.append(String(raw))
            }
        }
        var entries: [LDIFEntry] = [], current: LDIFEntry?
        for line in lines {
            if line.isEmpty { if let entry = current { entries.append(entry) }; current = nil; continue }
            if line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            var rest = line[line.index(after: colon)...]
            var value: String
            if rest.hasPrefix(":") {
                rest = rest.dropFirst()
                let bytes = Data(base64Encoded: rest.trimmingCharacters(in: .whitespaces))
                value =
                    (name == "objectguid" ? bytes.flatMap(guidText) : nil)
                    ?? bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
            } else {
                value = rest.trimmingCharacters(in: .whitespaces)
            }
            if name == "dn" {
                if let entry = current { entries.append(entry) }
                current = LDIFEntry(dn: value)
            } else {
                current?.values[name, default: []].append(value)
            }
        }
        if let entry = current { entries.append(entry) }
        return entries
    }
}
