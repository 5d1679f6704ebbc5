import InboardStore

extension SMTPSettings {
    /// The server to connect to for these settings.
    public func server(timeout: Duration = .seconds(60)) -> SMTPServer {
        SMTPServer(
            host: host, port: port, security: SMTPServer.Security(rawValue: security.rawValue) ?? .starttls,
            username: username, password: password, caFile: caFile, insecureSkipVerify: insecureSkipVerify,
            heloName: String(fromAddress.split(separator: "@").last ?? "inboard.localdomain"),
            commandTimeout: .seconds(timeout.components.seconds), dataTimeout: .seconds(2 * timeout.components.seconds))
    }
}
