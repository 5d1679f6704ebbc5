import DirectorySync
import LDAPKit
import Logging

/// One LDAP client for logins, rebuilt when the directory settings (or the service password) change, so
/// logins reuse pooled connections instead of connecting for each attempt.
actor DirectoryClientCache {
    private var current: (key: String, settings: DirectorySettings, client: LDAPClient)?
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func authenticator(for settings: DirectorySettings) async throws -> DirectoryAuthenticator {
        let key = settings.json() + "\u{0}" + (settings.bindPassword ?? "")
        if let current, current.key == key { return DirectoryAuthenticator(settings: current.settings, client: current.client) }
        if let old = current?.client { await old.shutdown() }
        let client = try await settings.makeClient(logger: logger)
        current = (key, settings, client)
        return DirectoryAuthenticator(settings: settings, client: client)
    }

    func shutdown() async {
        await current?.client.shutdown()
        current = nil
    }
}
