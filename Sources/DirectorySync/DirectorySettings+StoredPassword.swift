/// The rule for a stored bind password: it goes only to the servers it was saved for, over the same protection.
/// A draft, a test or a save that names other servers (or another domain), or weakens the transport (no TLS,
/// another CA, certificates unchecked), and leaves the password blank must have it typed again; or an admin
/// session could send the directory's service password to a host of its choosing, or in clear.
extension DirectorySettings {
    public func talksToSameServers(as stored: DirectorySettings) -> Bool {
        Set(servers.map { $0.lowercased() }) == Set(stored.servers.map { $0.lowercased() })
            && domain?.lowercased() == stored.domain?.lowercased()
            && tls == stored.tls && caFile == stored.caFile && insecureSkipVerify == stored.insecureSkipVerify
    }

    /// These settings with the stored password filled in when theirs is blank and the servers are the same.
    public func withStoredPassword(from stored: DirectorySettings?) throws(DirectorySettingsError) -> DirectorySettings
    {
        guard bindPassword == nil, let stored, let password = stored.bindPassword else { return self }
        guard talksToSameServers(as: stored) else { throw Self.retypePassword }
        var filled = self
        filled.bindPassword = password
        return filled
    }

    static let retypePassword = DirectorySettingsError(
        setting: "bindPassword",
        message: "the servers or their TLS settings changed since the password was saved: type the bind password again")
}
