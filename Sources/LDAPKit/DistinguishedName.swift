/// A distinguished name (RFC 4514): parsed into relative names, printed with values escaped, compared
/// case-insensitively (the matching rule of nearly every naming attribute in OpenLDAP and AD).
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    public struct Attribute: Sendable, Hashable {
        public let type: String
        public let value: String
        public init(type: String, value: String) { self.type = type; self.value = value }
    }

    /// Most specific first: `uid=a,ou=people,dc=x` → [[uid=a], [ou=people], [dc=x]]. Multi-valued RDNs have several.
    public let rdns: [[Attribute]]

    public init(rdns: [[Attribute]]) { self.rdns = rdns }

    public init(_ text: String) throws(DistinguishedNameError) {
        var parser = DNParser(Array(text.utf8))
        self.rdns = try parser.parse()
    }

    /// The printable form, every value escaped per RFC 4514 §2.4.
    public var description: String {
        rdns.map { rdn in rdn.map { "\($0.type)=\(Self.escape($0.value))" }.joined(separator: "+") }.joined(
            separator: ",")
    }

    /// A form for equality and indexing: types and values lower-cased, spacing normalised.
    public var normalized: String {
        rdns.map { rdn in
            rdn.map { "\($0.type.lowercased())=\(Self.escape($0.value.lowercased()))" }.sorted().joined(separator: "+")
        }.joined(separator: ",")
    }

    public var parent: DistinguishedName? { rdns.count > 1 ? DistinguishedName(rdns: Array(rdns.dropFirst())) : nil }

    /// True when `self` is `other` or lies below it.
    public func isDescendant(of other: DistinguishedName) -> Bool {
        guard rdns.count >= other.rdns.count else { return false }
        return DistinguishedName(rdns: Array(rdns.suffix(other.rdns.count))).normalized == other.normalized
    }

    /// The value of the first RDN's first attribute: `cn=Sales,ou=groups` → "Sales".
    public var leafValue: String? { rdns.first?.first?.value }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.normalized == rhs.normalized }
    public func hash(into hasher: inout Hasher) { hasher.combine(normalized) }

    /// RFC 4514 §2.4: escape `"+,;<>\` and NUL anywhere, `#` or space at the start, space at the end.
    public static func escape(_ value: String) -> String {
        var out = ""
        let scalars = Array(value.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "\"", "+", ",", ";", "<", ">", "\\": out += "\\" + String(scalar)
            case "\0": out += "\\00"
            case "#" where index == 0: out += "\\#"
            case " " where index == 0 || index == scalars.count - 1: out += "\\ "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

public struct DistinguishedNameError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let offset: Int
    public var description: String { "invalid DN at character \(offset + 1): \(message)" }
}

private struct DNParser {
    let bytes: [UInt8]
    var i = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String) -> DistinguishedNameError { DistinguishedNameError(message: message, offset: i) }

    mutating func parse() throws(DistinguishedNameError) -> [[DistinguishedName.Attribute]] {
        var rdns: [[DistinguishedName.Attribute]] = []
        skipSpaces()
        if i == bytes.count { return [] }  // the root DSE's empty DN
        var rdn: [DistinguishedName.Attribute] = []
        while true {
            skipSpaces()
            let type = try parseType()
            skipSpaces()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw fail("expected '=' after '\(type)'") }
            i += 1
            skipSpaces()
            rdn.append(.init(type: type, value: try parseValue()))
            guard i < bytes.count else { rdns.append(rdn); return rdns }
            switch bytes[i] {
            case UInt8(ascii: "+"): i += 1
            case UInt8(ascii: ","), UInt8(ascii: ";"): i += 1; rdns.append(rdn); rdn = []
            default: throw fail("expected ',' or '+'")
            }
        }
    }

    mutating func skipSpaces() { while i < bytes.count, bytes[i] == 0x20 { i += 1 } }

    mutating func parseType() throws(DistinguishedNameError) -> String {
        let start = i
        while i < bytes.count, isTypeChar(bytes[i]) { i += 1 }
        guard i > start else { throw fail("expected an attribute type") }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    mutating func parseValue() throws(DistinguishedNameError) -> String {
        if i < bytes.count, bytes[i] == UInt8(ascii: "#") {  // BER-encoded value: kept as written
            let start = i
            i += 1
            while i < bytes.count, isHex(bytes[i]) { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
        var value: [UInt8] = []
        var trailingSpaces = 0  // unescaped spaces at the end are not part of the value
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: ",") || c == UInt8(ascii: "+") || c == UInt8(ascii: ";") { break }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { throw fail("'\\' at the end of the DN") }
                let next = bytes[i + 1]
                if isHex(next), i + 2 < bytes.count, isHex(bytes[i + 2]) {
                    value.append(UInt8(hex(next) << 4 | hex(bytes[i + 2])))
                    i += 3
                } else if "\"+,;<>\\ #=".utf8.contains(next) {
                    value.append(next)
                    i += 2
                } else {
                    throw fail("'\\' must escape a special character or two hex digits")
                }
                trailingSpaces = 0
                continue
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == 0 {
                throw fail("'\(Character(Unicode.Scalar(c)))' must be escaped")
            }
            trailingSpaces = c == 0x20 ? trailingSpaces + 1 : 0
            value.append(c)
            i += 1
        }
        value.removeLast(trailingSpaces)
        guard let text = String(validating: value, as: UTF8.self) else { throw fail("value is not valid UTF-8") }
        return text
    }

    func isTypeChar(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "-")
            || c == UInt8(ascii: ".")
    }
    func isHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) }
    func hex(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
}
