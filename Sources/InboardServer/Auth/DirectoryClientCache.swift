import DirectorySync
import LDAPKit
import Logging

/// One LDAP client for logins, rebuilt when the directory settings (or the service password) change, so
/// logins reuse pooled connections instead of connecting for each attempt.
actor DirectoryClientCache {
    private var current: (key: String, authenticator: DirectoryAuthenticator)?
    private var building: (key: String, task: Task<DirectoryAuthenticator, any Error>)?
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

    /// One authenticator per settings, built once: logins that arrive together while it is being built (the first
    /// after a start or a change of settings) wait for the same one. Each used to build its own, and with it a
    /// lockout guard of its own (`DirectoryLockoutGuard` counts this process's binds in flight), so parallel
    /// guesses all passed one reading of the entry's failures and could lock the account in the directory; the
    /// extra clients were never shut down.
    private func authenticator(for settings: DirectorySettings) async throws -> DirectoryAuthenticator {
        let key = settings.json() + "\u{0}" + (settings.bindPassword ?? "")
        if let current, current.key == key { return current.authenticator }
        if let building, building.key == key { return try await building.task.value }
        let (old, logger, operationTimeout) = (current?.authenticator.client, logger, operationTimeout)
        current = nil
        let task = Task {
            if let old { await old.shutdown() }
            return DirectoryAuthenticator(
                settings: settings,
                client: try await settings.makeClient(logger: logger, operationTimeout: operationTimeout),
                logger: logger)
        }
        building = (key, task)
        do {
            let authenticator = try await task.value
            if building?.key == key {  // else newer settings are being built, and they take its place
                building = nil
                current = (key, authenticator)
            }
            return authenticator
        } catch {
            if building?.key == key { building = nil }
            throw error
        }
    }

    func shutdown() async {
        await current?.authenticator.client.shutdown()
        if let built = try? await building?.task.value { await built.client.shutdown() }
        building = nil
        current = nil
        stored = nil
    }
}
