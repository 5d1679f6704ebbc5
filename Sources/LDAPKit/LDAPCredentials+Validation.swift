extension LDAPCredentials {
    /// Refuses, before any network call, credentials a server would read as something other than what was
    /// typed. An empty or blank password is an unauthenticated bind, which servers answer with "success"
    /// (RFC 4513 §5.1.2): `.emptyPassword`. A control character (U+0000–U+001F, DEL) has no place in a
    /// password or a bind name, and a NUL would cut a C string short ("\u{0}x" would be an empty password):
    /// `.invalidCredentials`, so that a login page answers as it does for a wrong password.
    public func validate() throws(LDAPError) {
        let operation = "bind as \(Self.printable(bindName))"
        guard !bindName.isEmpty, !password.allSatisfy(\.isWhitespace) else {
            throw LDAPError(kind: .emptyPassword, operation: operation)
        }
        for (value, name) in [(bindName, "bind name"), (password, "password")]
        where Self.containsControlCharacter(value) {
            throw LDAPError(
                kind: .invalidCredentials,
                diagnosticMessage:
                    "the \(name) contains a control character (U+0000–U+001F or U+007F); refused before any network call",
                operation: operation)
        }
    }

    static func containsControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    /// The bind name for messages and logs, control characters shown as escapes (a NUL would cut a log line).
    static func printable(_ text: String) -> String {
        guard containsControlCharacter(text) else { return text }
        return text.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0)
        }.joined()
    }
}
