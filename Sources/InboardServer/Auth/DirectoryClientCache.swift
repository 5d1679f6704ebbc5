import DirectorySync
import LDAPKit
import Logging

/// One LDAP client for logins, rebuilt when the directory settings (or the service password) change, so
/// logins reuse pooled connections instead of connecting for each attempt.
actor DirectoryClientCache {
    private var current: (key: String, settings: DirectorySettings, client: LDAPClient)?
    private var stored: (settings: DirectorySettings?, readAt: ContinuousClock.Instant)?
    let logger: Logger
    /// How long the stored settings are trusted before they are read (and their password opened) again.
    let settingsLifetime: Duration

    init(logger: Logger, settingsLifetime: Duration = .seconds(5)) {
        self.logger = logger
        self.settingsLifetime = settingsLifetime
    }

    /// The stored settings, read at most once per `settingsLifetime` (a login reads them every time).
    func settings(_ load: @Sendable () async throws -> DirectorySettings?) async throws -> DirectorySettings? {
        if let stored, ContinuousClock.now - stored.readAt < settingsLifetime { return stored.settings }
        let fresh = try await load()
        stored = (fresh, .now)
        return fresh
    }

    /// Settings were saved in this process: read them again at the next login.
    func forgetSettings() { stored = nil }

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
