import DirectorySync
import LDAPKit
import Logging

/// One LDAP client for logins, rebuilt when the directory settings (or the service password) change, so
/// logins reuse pooled connections instead of connecting for each attempt.
actor DirectoryClientCache {
    private var current: (key: String, authenticator: DirectoryAuthenticator)?
    private var building: Build?
    private var builds = 0
    private struct Build {
        let id: Int
        let key: String
        let task: Task<DirectoryAuthenticator, any Error>
    }
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
        if let building, building.key == key { return try await finished(building) }
        let (old, logger, operationTimeout) = (current?.authenticator.client, logger, operationTimeout)
        current = nil
        builds += 1
        let build = Build(
            id: builds, key: key,
            task: Task {
                if let old { await old.shutdown() }
                return DirectoryAuthenticator(
                    settings: settings,
                    client: try await settings.makeClient(logger: logger, operationTimeout: operationTimeout),
                    logger: logger)
            })
        building = build
        return try await finished(build)
    }

    /// The authenticator `build` made, once it is the current one. Newer settings may have started a build of
    /// their own meanwhile: then this one is shut down (none of its waiters uses it) and they wait for the newer.
    private func finished(_ build: Build) async throws -> DirectoryAuthenticator {
        let made: DirectoryAuthenticator
        do { made = try await build.task.value } catch {
            if building?.id == build.id { building = nil }
            throw error
        }
        if building?.id == build.id {
            building = nil
            current = (build.key, made)
        }
        if let current, current.authenticator.client === made.client { return made }
        await made.client.shutdown()
        if let current, current.key == build.key { return current.authenticator }
        if let building { return try await finished(building) }
        if let current { return current.authenticator }
        throw CancellationError()  // shut down meanwhile
    }

    func shutdown() async {
        await current?.authenticator.client.shutdown()
        if let built = try? await building?.task.value { await built.client.shutdown() }
        building = nil
        current = nil
        stored = nil
    }
}
