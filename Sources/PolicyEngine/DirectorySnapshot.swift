import Foundation

/// The users, computers and their groups that policies are evaluated against: from the database (synced
/// people) or from a snapshot file (`--directory FILE`, JSON).
public struct DirectorySnapshot: Codable, Sendable {
    public struct Target: Codable, Sendable {
        public var name: String
        public var dn: String
        /// Group DNs, nested memberships included.
        public var groups: [String]
        /// By lower-cased name: LDAP attribute names are case-insensitive (an LDIF dump's are lower-cased, a
        /// policy's camelCase).
        public var attributes: [String: String]?
        /// The AD site (computers).
        public var site: String?
        /// The directory's stable id (entryUUID, objectGUID): what a ring's percentage is worked out from, so a
        /// move to another OU or a rename keeps the target in its ring. The DN when the directory gave none.
        public var id: String?

        public init(
            name: String, dn: String, groups: [String], attributes: [String: String]? = nil, site: String? = nil,
            id: String? = nil
        ) {
            self.name = name
            self.dn = dn
            self.groups = groups
            let hasUpperCase = attributes?.keys.contains { $0.utf8.contains { (65...90).contains($0) } } ?? false
            self.attributes =
                hasUpperCase
                ? attributes.map { Dictionary($0.map { ($0.key.lowercased(), $0.value) }) { first, _ in first } }
                : attributes
            self.site = site
            self.id = id
        }
    }

    /// The domain's DN, e.g. `dc=acme,dc=test`.
    public var domain: String
    public var users: [Target]
    public var computers: [Target]?
    /// OUs that exist (links to any other DN are refused); by default every parent of a target.
    public var containers: [String]?

    public init(domain: String, users: [Target], computers: [Target] = [], containers: [String]? = nil) {
        self.domain = domain
        self.users = users
        self.computers = computers
        self.containers = containers
    }

    /// A snapshot file's text: JSON (domain, users, computers) or LDIF; `file` names it in errors.
    public static func parse(_ data: Data, file path: String) throws -> DirectorySnapshot {
        let first = data.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
        if first != UInt8(ascii: "{") { return try parseLDIF(String(decoding: data, as: UTF8.self), file: path) }
        let snapshot = try decodeJSON(data, file: path)
        try refuseDuplicateNames(file: path, users: snapshot.users, computers: snapshot.computers ?? [])
        return snapshot
    }

    /// A name is what a manifest is looked up by: two users (or two computers) of one name would leave which
    /// manifest a client gets to the order of an index file.
    static func refuseDuplicateNames(file path: String, users: [Target], computers: [Target]) throws {
        for (kind, targets) in [("users", users), ("computers", computers)] {
            var seen = Set<String>(minimumCapacity: targets.count)
            for target in targets where !seen.insert(target.name).inserted {
                let other = targets.first { $0.name == target.name }?.dn ?? ""
                throw PolicyError(
                    file: path,
                    message: "two \(kind) are named '\(target.name)' (\(other) and \(target.dn)); names are unique")
            }
        }
    }

    /// Every container that exists: the listed ones, the domain, and every OU above a target.
    var knownContainers: Set<String> {
        var known = Set((containers ?? []).map(DN.normalised))
        let domainDN = DN.normalised(domain)
        known.insert(domainDN)
        var seenParents = Set<String>()
        for target in users + (computers ?? []) {
            var parent = DN.parent(DN.normalised(target.dn))
            // each OU walked once
            while let dn = parent, dn.utf8.count >= domainDN.utf8.count, seenParents.insert(dn).inserted {
                known.insert(dn)
                parent = DN.parent(dn)
            }
        }
        return known
    }
}

/// DN handling enough for containment and comparison, as RFC 4514 reads a DN: lower-cased; spaces around `,`,
/// `+` and each attribute's `=` dropped (an `=` inside a value is data); hex escapes decoded (`\2C` is `\,`,
/// `\41` is `a`, `\3D` is `=`); escaped only what must be (`,+"\<>;`, a leading `#` or space, a trailing space).
/// Works on UTF-8 bytes: a build normalises hundreds of thousands of DNs.
enum DN {
    private static let alwaysEscaped: Set<UInt8> = Set(#",+"\<>;"#.utf8)

    static func normalised(_ dn: String) -> String {
        let bytes = Array(dn.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var nonASCII = false
        var kept = 0  // bytes before this are data (escaped): never trimmed
        var inValue = false  // past this attribute's `=`
        var valueStart = 0  // where the current value begins in `out`
        var index = 0
        func trimTrailingSpaces() { while out.count > kept, out.last == UInt8(ascii: " ") { out.removeLast() } }
        while index < bytes.count {
            var byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\\"), index < bytes.count {
                byte = bytes[index]
                index += 1
                if let high = hexValue(byte), index < bytes.count, let low = hexValue(bytes[index]) {
                    byte = high << 4 | low
                    index += 1
                }
                let atStart = out.count == valueStart
                let escape =
                    alwaysEscaped.contains(byte) || (byte == UInt8(ascii: "#") && atStart)
                    || (byte == UInt8(ascii: " ") && (atStart || endsValue(bytes, from: index)))
                if escape { out.append(UInt8(ascii: "\\")) }
                if byte >= 0x80 { nonASCII = true }
                out.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
                kept = out.count
                continue
            }
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "+"):
                trimTrailingSpaces()
                out.append(byte)
                kept = out.count
                inValue = false
                valueStart = out.count
            case UInt8(ascii: "=") where !inValue:
                trimTrailingSpaces()
                out.append(byte)
                kept = out.count
                inValue = true
                valueStart = out.count
            case UInt8(ascii: " ") where out.count == valueStart: break  // leading: not part of the value
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): out.append(byte + 32)
            default:
                if byte >= 0x80 { nonASCII = true }
                out.append(byte)
            }
        }
        trimTrailingSpaces()
        let text = String(decoding: out, as: UTF8.self)
        return nonASCII ? text.lowercased() : text
    }

    /// Whether only unescaped spaces follow `index` before the value ends (an escaped space there is trailing).
    private static func endsValue(_ bytes: [UInt8], from index: Int) -> Bool {
        var index = index
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        return index == bytes.count || bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: "+")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func components(_ dn: String) -> [String] {
        var parts: [String] = [], rest = Substring(normalised(dn))
        while let comma = firstComma(rest) {
            parts.append(String(rest[..<comma]))
            rest = rest[rest.index(after: comma)...]
        }
        if !rest.isEmpty { parts.append(String(rest)) }
        return parts
    }

    /// The parent of a normalised DN (everything after its first unescaped comma).
    static func parent(_ normalised: String) -> String? {
        guard let comma = firstComma(Substring(normalised)) else { return nil }
        return String(normalised[normalised.index(after: comma)...])
    }

    private static func firstComma(_ text: Substring) -> Substring.Index? {
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text.utf8[index]
            if escaped {
                escaped = false
            } else if character == UInt8(ascii: "\\") {
                escaped = true
            } else if character == UInt8(ascii: ",") {
                return index
            }
            index = text.utf8.index(after: index)
        }
        return nil
    }

    /// The containers from the domain down to the target's parent, top first.
    static func chain(of target: String, domain: String) -> [String] {
        let domainDN = normalised(domain)
        var chain: [String] = []
        var parent = DN.parent(normalised(target))
        while let dn = parent, dn.hasSuffix(domainDN) {
            chain.append(dn)
            if dn == domainDN { break }
            parent = DN.parent(dn)
        }
        return chain.reversed()
    }

    static func isWithin(_ dn: String, _ container: String) -> Bool {
        let target = normalised(dn), base = normalised(container)
        guard target != base else { return true }
        guard target.hasSuffix("," + base) else { return false }
        // That comma must separate RDNs: `cn=a\,ou=x` is not within `ou=x`.
        var backslashes = 0
        var index = target.utf8.index(target.utf8.endIndex, offsetBy: -(base.utf8.count + 1))
        while index > target.utf8.startIndex {
            index = target.utf8.index(before: index)
            guard target.utf8[index] == UInt8(ascii: "\\") else { break }
            backslashes += 1
        }
        return backslashes % 2 == 0
    }
}

/// A policy problem with where it is: file, line and column, and the rule broken.
public struct PolicyError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        return "\(place): \(message)"
    }
}
