/// An LDAP search filter (RFC 4515) built from typed parts; every assertion value is escaped when rendered,
/// so no user-supplied text can change a filter's structure.
public indirect enum LDAPFilter: Sendable, Hashable, CustomStringConvertible {
    case and([LDAPFilter])
    case or([LDAPFilter])
    case not(LDAPFilter)
    case equal(String, String)
    case greaterOrEqual(String, String)
    case lessOrEqual(String, String)
    case approx(String, String)
    case present(String)
    /// `attr=initial*any1*any2*final`; nil or empty parts are omitted.
    case substring(String, initial: String?, any: [String], final: String?)
    /// `attr:rule:=value`, e.g. AD's in-chain rule.
    case extensible(attribute: String, rule: String, value: String)
    /// A filter an administrator typed, validated by `LDAPFilter(parsing:)`, kept as written.
    case raw(String)

    /// AD's LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of nesting.
    public static let inChainRule = "1.2.840.113556.1.4.1941"

    public static func memberOfInChain(_ groupDN: String) -> LDAPFilter {
        .extensible(attribute: "memberOf", rule: inChainRule, value: groupDN)
    }

    public var description: String {
        switch self {
        case let .and(parts): return "(&" + parts.map(\.description).joined() + ")"
        case let .or(parts): return "(|" + parts.map(\.description).joined() + ")"
        case let .not(part): return "(!" + part.description + ")"
        case let .equal(a, v): return "(\(a)=\(Self.escape(v)))"
        case let .greaterOrEqual(a, v): return "(\(a)>=\(Self.escape(v)))"
        case let .lessOrEqual(a, v): return "(\(a)<=\(Self.escape(v)))"
        case let .approx(a, v): return "(\(a)~=\(Self.escape(v)))"
        case let .present(a): return "(\(a)=*)"
        case let .substring(a, initial, any, final):
            let middle = any.filter { !$0.isEmpty }.map(Self.escape)
            return "(\(a)=" + Self.escape(initial ?? "") + "*" + middle.map { $0 + "*" }.joined()
                + Self.escape(final ?? "") + ")"
        case let .extensible(a, rule, v): return "(\(a):\(rule):=\(Self.escape(v)))"
        case let .raw(text): return text
        }
    }

    /// RFC 4515 §3: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`. Other bytes,
    /// UTF-8 included, stay as they are (the filter is UTF-8).
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "*": out += "\\2a"
            case "(": out += "\\28"
            case ")": out += "\\29"
            case "\\": out += "\\5c"
            case "\0": out += "\\00"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Escapes raw bytes (an objectGUID, an objectSid) as `\xx` for every byte.
    public static func escape(bytes: [UInt8]) -> String {
        bytes.map { "\\" + String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
