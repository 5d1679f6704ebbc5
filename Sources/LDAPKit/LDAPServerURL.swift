/// One directory server: `ldap://host[:389]` or `ldaps://host[:636]`.
public struct LDAPServerURL: Sendable, Hashable, CustomStringConvertible {
    public let secure: Bool
    public let host: String
    public let port: Int

    public init(host: String, port: Int, secure: Bool) {
        self.host = host
        self.port = port
        self.secure = secure
    }

    public init(_ text: String) throws(LDAPError) {
        let lower = text.lowercased()
        let secure: Bool
        let rest: Substring
        if lower.hasPrefix("ldaps://") {
            secure = true; rest = text.dropFirst(8)
        } else if lower.hasPrefix("ldap://") {
            secure = false; rest = text.dropFirst(7)
        } else {
            throw LDAPError(
                kind: .configuration, diagnosticMessage: "'\(text)' is not an ldap:// or ldaps:// URL",
                operation: "setup")
        }
        let hostPort = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var host = String(hostPort)
        var port = secure ? 636 : 389
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw LDAPError(
                    kind: .configuration, diagnosticMessage: "'\(text)' has an invalid port", operation: "setup")
            }
            port = p
            host = String(hostPort[..<colon])
        }
        guard !host.isEmpty else {
            throw LDAPError(kind: .configuration, diagnosticMessage: "'\(text)' names no host", operation: "setup")
        }
        self.init(host: host, port: port, secure: secure)
    }

    public var description: String { "\(secure ? "ldaps" : "ldap")://\(host):\(port)" }
}
