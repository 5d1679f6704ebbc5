import InboardCore
import LDAPKit

extension DirectorySettings {
    /// A plain warning when logins would cross the network in clear: no TLS to a server that is not on this
    /// machine means every user's password travels readable. Nil when TLS is on or every server is loopback.
    public func cleartextWarning(for servers: [LDAPServerURL]) -> String? {
        guard tls == .none else { return nil }
        let exposed = servers.filter { !$0.secure && !LoopbackHost.contains($0.host) }
        guard !exposed.isEmpty else { return nil }
        return
            "WARNING: no TLS to \(exposed.map(\.host).joined(separator: ", ")): every login sends its password over the network "
            + "in clear. Set tls to starttls or ldaps (with caFile)."
    }
}
