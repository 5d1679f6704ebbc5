/// One search result: its DN and attribute values as bytes (binary attributes stay binary).
/// Attribute names are matched case-insensitively, as LDAP defines them.
public struct LDAPEntry: Sendable {
    public let dn: String
    /// Keyed by the lower-cased attribute description, e.g. `member;range=0-1499`.
    public let attributes: [String: [[UInt8]]]

    /// For attributes whose names are already lower-cased (the connection reads them so).
    init(dn: String, lowercasedAttributes: [String: [[UInt8]]]) {
        self.dn = dn
        self.attributes = lowercasedAttributes
    }

    public init(dn: String, attributes: [String: [[UInt8]]]) {
        self.dn = dn
        var lowered: [String: [[UInt8]]] = [:]
        lowered.reserveCapacity(attributes.count)
        for (name, values) in attributes { lowered[name.lowercased(), default: []] += values }
        self.attributes = lowered
    }

    public func values(_ attribute: String) -> [[UInt8]] { attributes[attribute.lowercased()] ?? [] }

    public func strings(_ attribute: String) -> [String] { values(attribute).map { String(decoding: $0, as: UTF8.self) } }

    public func string(_ attribute: String) -> String? { values(attribute).first.map { String(decoding: $0, as: UTF8.self) } }

    public func bytes(_ attribute: String) -> [UInt8]? { values(attribute).first }

    /// A ranged attribute in this entry (`member;range=0-1499`): its values and the next start, nil when complete.
    public func rangedValues(_ attribute: String) -> (values: [[UInt8]], nextStart: Int?)? {
        let prefix = attribute.lowercased() + ";range="
        guard let (name, values) = attributes.first(where: { $0.key.hasPrefix(prefix) }) else { return nil }
        guard let range = AttributeRange(description: String(name.dropFirst(prefix.count))) else { return (values, nil) }
        return (values, range.end.map { $0 + 1 })
    }
}

/// `0-1499` or `1500-*` from an AD ranged attribute description.
struct AttributeRange: Equatable {
    let start: Int
    let end: Int?   // nil for `*`: the last chunk

    init?(description: String) {
        let parts = description.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let start = Int(parts[0]) else { return nil }
        self.start = start
        if parts[1] == "*" { end = nil } else if let end = Int(parts[1]) { self.end = end } else { return nil }
    }
}
