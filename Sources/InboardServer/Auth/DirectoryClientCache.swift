import DirectorySync
import LDAPKit
import Logging

/// One LDAP client for logins, rebuilt when the directory settings (or the service password) change, so
/// logins reuse pooled connections instead of connecting for each attempt.
actor DirectoryClientCache {
    private var current: (key: String, authenticator: DirectoryAuthenticator)?
    private var stored: (authenticator: DirectoryAuthenticator?, readAt: ContinuousClock.Instant)?
    let logger: Logger
    /// How long the stored settings are trusted before they are read (and their password opened) again.
    let settingsLifetime: Duration
    /// How long each LDAP step of a login may take before the next server is tried, or the login fails.
    let operationTimeout: Duration

    init(
        logger: Logger, settingsLifetime: Duration = .seconds(5),
        operationTimeout: Duration = DirectorySettings.loginOperationTimeout
    ) {
        self.logger = logger
        self.settingsLifetime = settingsLifetime
        self.operationTimeout = operationTimeout
    }

    /// The authenticator for the stored settings (nil when no directory is configured). The settings are
    /// read at most once per `settingsLifetime`, and only compared with the last ones when read.
    func authenticator(_ load: @Sendable () async throws -> DirectorySettings?) async throws -> DirectoryAuthenticator?
    {
        if let stored, ContinuousClock.now - stored.readAt < settingsLifetime { return stored.authenticator }
        var fresh: DirectoryAuthenticator?
        if let settings = try await load() { fresh = try await authenticator(for: settings) }
        stored = (fresh, .now)
        return fresh
    }

    /// Settings were saved in this process: read them again at the next login.
    func forgetSettings() { stored = nil }

    private func authenticator(for settings: DirectorySettings) async throws -> DirectoryAuthenticator {
        let key = settings.json() + "\u{0}" + (settings.bindPassword ?? "")
        if let current, current.key == key { return current.authenticator }
        if let old = current?.authenticator.client { await old.shutdown() }
        let authenticator = DirectoryAuthenticator(
            settings: settings,
            client: try await settings.makeClient(logger: logger, operationTimeout: operationTimeout), logger: logger)
        current = (key, authenticator)
        return authenticator
    }

    func shutdown() async {
        await current?.authenticator.client.shutdown()
        current = nil
        stored = nil
    }
}
