/// What a person types to log in, checked before anything reaches a directory or a database: C strings end at
/// NUL, and libldap would send an empty password for "\u{0}secret" (an unauthenticated bind that Active
/// Directory may accept), so no control character passes.
public enum LoginInput {
    public static let maxUsernameLength = 256
    public static let maxPasswordLength = 1024

    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public let field: String
        public let message: String
        public var description: String { "\(field): \(message)" }
    }

    /// The username with surrounding white space removed; throws for control characters or an absurd length.
    public static func checked(username: String, password: String) throws(Refusal) -> String {
        let trimmed = username.trimmingSurroundingWhitespace()
        guard trimmed.unicodeScalars.count <= maxUsernameLength else {
            throw Refusal(field: "username", message: "is longer than \(maxUsernameLength) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: isControl) else {
            throw Refusal(field: "username", message: "holds a control character")
        }
        guard password.unicodeScalars.count <= maxPasswordLength else {
            throw Refusal(field: "password", message: "is longer than \(maxPasswordLength) characters")
        }
        guard !password.unicodeScalars.contains(where: isControl) else {
            throw Refusal(field: "password", message: "holds a control character")
        }
        return trimmed
    }

    /// C0 controls (NUL, tab, newline …) and DEL.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || scalar.value == 0x7F }
}

/// The spellings of one account a login may use (`alice`, `ALICE`, `EXAMPLE\alice`, `alice@example.org`, its DN),
/// reduced to the forms that find it, so that the login throttle counts them as one.
public struct LoginName: Sendable, Equatable {
    /// Lower-cased names to look up as usernames: as typed, then without a `DOMAIN\` prefix or `@domain` suffix.
    public let usernames: [String]
    /// The typed name as a DN (lower-cased, no spaces around separators) when it looks like one.
    public let distinguishedName: String?

    public init(_ typed: String) {
        let name = typed.trimmingSurroundingWhitespace().lowercased()
        var names = [name]
        if let slash = name.lastIndex(of: "\\") { names.append(String(name[name.index(after: slash)...])) }
        if let at = names.last!.lastIndex(of: "@") { names.append(String(names.last![..<at])) }
        usernames = names.filter { !$0.isEmpty }.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        distinguishedName = name.contains("=") ? Self.normalisedDN(name) : nil
    }

    /// The key for a name that matches no account: the shortest spelling, so variants still share it.
    public var canonical: String { usernames.last ?? "" }

    public static func normalisedDN(_ dn: String) -> String {
        var out = ""
        var pendingSpace = false
        for character in dn.lowercased() {
            if character == " " { pendingSpace = true; continue }
            if pendingSpace,
                !(out.last == "," || out.last == "=" || character == "," || character == "=" || out.isEmpty)
            {
                out.append(" ")
            }
            pendingSpace = false
            out.append(character)
        }
        return out
    }
}

extension String {
    func trimmingSurroundingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}
