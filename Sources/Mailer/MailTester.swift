import Foundation
import InboardStore
import Logging

/// "Send test email": one message straight to the server with the given settings (not through the outbox),
/// so the admin sees the server's own answer at once.
public enum MailTester {
    public static func send(with settings: SMTPSettings, to address: String, sentBy: String, logger: Logger) async
        -> Result<SMTPReply, SMTPError>
    {
        do {
            let from = try MailAddress(settings.fromAddress, name: settings.fromName)
            let to = try MailAddress(address)
            let rendered = try MailTemplates().render("test", values: ["sentBy": sentBy])
            let domain = from.address.split(separator: "@").last.map(String.init) ?? "inboard.invalid"
            let message = MailMessage(
                from: from, to: [to], subject: rendered.subject, text: rendered.text, html: rendered.html,
                messageID: "<inboard.test.\(UUID().uuidString.lowercased())@\(domain)>")
            let connection = try await SMTPConnection.connect(
                to: settings.server(timeout: .seconds(20)), logger: logger)
            defer { Task { await connection.quit() } }
            return .success(try await connection.send(message.envelope))
        } catch let error as SMTPError {
            return .failure(error)
        } catch {
            return .failure(SMTPError(.invalidMessage, stage: "compose", message: "\(error)"))
        }
    }
}
