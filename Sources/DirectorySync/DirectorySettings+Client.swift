import LDAPKit
import Logging

extension DirectorySettings {
    /// The LDAP servers to use: the explicit list, or those DNS SRV records name for `domain`.
    public func resolveServers(discovery: LDAPDiscovery = LDAPDiscovery()) async throws -> [LDAPServerURL] {
        if !servers.isEmpty {
            return try servers.map { text in
                do { return try LDAPServerURL(text) } catch {
                    throw DirectorySettingsError(setting: "servers", message: "\(error)")
                }
            }
        }
        guard let domain, !domain.isEmpty else {
            throw DirectorySettingsError(setting: "servers", message: "no server and no domain given")
        }
        do {
            let found = try await discovery.servers(forDomain: domain, secure: tls == .ldaps)
            guard !found.isEmpty else {
                throw DirectorySettingsError(setting: "domain", message: "DNS lists no LDAP server for \(domain)")
            }
            return found
        } catch let error as DirectorySettingsError {
            throw error
        } catch {
            throw DirectorySettingsError(setting: "domain", message: "DNS SRV discovery for \(domain) failed: \(error)")
        }
    }

    /// Each LDAP step of a sync or a test may take this long (a large paged search is slow to answer).
    public static let syncOperationTimeout: Duration = .seconds(60)
    /// Each step of a login may take this long: someone is waiting, and a silent server must give way to the next.
    public static let loginOperationTimeout: Duration = .seconds(5)

    /// A client bound as the service account; the caller shuts it down.
    public func makeClient(
        logger: Logger, discovery: LDAPDiscovery = LDAPDiscovery(),
        operationTimeout: Duration = syncOperationTimeout
    ) async throws -> LDAPClient {
        guard let bindPassword, !bindPassword.isEmpty else {
            throw DirectorySettingsError(
                setting: "bindPassword", message: "is not set: give bindPassword or bindPasswordFile")
        }
        let configuration = LDAPConfiguration(
            servers: try await resolveServers(discovery: discovery), tls: tls, caFile: caFile,
            insecureSkipVerify: insecureSkipVerify,
            connectTimeout: .seconds(5), operationTimeout: operationTimeout, maxConnections: 4)
        do {
            return try LDAPClient(
                configuration: configuration, serviceAccount: LDAPCredentials(bindName: bindDN, password: bindPassword),
                logger: logger)
        } catch {
            throw DirectorySettingsError(setting: "servers", message: "\(error)")
        }
    }

    /// Runs `body` with a client bound as the service account and shuts the client down afterwards, also when
    /// `body` throws, and at once when the task is cancelled (a run given up while it waits on a statement that
    /// will never be answered does not keep its directory connections).
    public func withClient<T>(logger: Logger, _ body: (LDAPClient) async throws -> T) async throws -> T {
        let client = try await makeClient(logger: logger)
        do {
            let value = try await withTaskCancellationHandler {
                try await body(client)
            } onCancel: {
                Task { await client.shutdown() }
            }
            await client.shutdown()
            return value
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
