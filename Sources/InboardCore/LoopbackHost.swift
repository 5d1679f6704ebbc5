/// The one rule for "this machine" (127.0.0.0/8, ::1, localhost), where plain HTTP or LDAP crosses no network:
/// an address, not a name that starts like one (`127.evil.example` is someone else's machine).
public enum LoopbackHost {
    public static func contains(_ host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower == "::1" || lower == "[::1]" { return true }
        let octets = lower.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127"
            && octets.allSatisfy {
                !$0.isEmpty && $0.count <= 3 && $0.allSatisfy { $0.isASCII && $0.isNumber } && UInt8($0) != nil
            }
    }
}
