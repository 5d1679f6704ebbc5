/// Why a connection or a message failed, in words an admin can act on, with the server's own reply.
public struct SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// Could not connect, or the server closed the connection.
        case connection
        /// No reply within the stage's time limit.
        case timeout
        /// STARTTLS missing or refused, handshake failed, certificate not trusted.
        case tls
        /// AUTH refused (535 and the like) or not offered.
        case authentication
        /// The server refused this message (MAIL FROM, RCPT TO or DATA).
        case rejected
        /// The server said something SMTP does not allow.
        case protocolViolation
        /// The message itself is unusable (an address without @, a header with a line break).
        case invalidMessage
    }

    public let kind: Kind
    public let stage: String
    public let reply: SMTPReply?
    public let message: String

    public init(_ kind: Kind, stage: String, reply: SMTPReply? = nil, message: String = "") {
        self.kind = kind
        self.stage = stage
        self.reply = reply
        self.message = message
    }

    /// Retrying cannot help: a 5xx refusal of the message, or a message that cannot be sent at all.
    public var isPermanent: Bool {
        switch kind {
        case .rejected: reply?.isPermanent ?? false
        case .invalidMessage: true
        default: false
        }
    }

    /// Only this message failed; the connection can carry the next one.
    public var isPerMessage: Bool { kind == .rejected || kind == .invalidMessage }

    public var description: String {
        let said = reply.map { " (server said: \($0))" } ?? ""
        let what = message.isEmpty ? "" : ": \(message)"
        switch kind {
        case .connection: return "SMTP connection failed at \(stage)\(what)\(said)"
        case .timeout: return "the SMTP server did not answer \(stage) in time\(what)"
        case .tls: return "SMTP TLS failed at \(stage)\(what)\(said)"
        case .authentication:
            return "SMTP login refused\(what)\(said): check the username and password in the notification settings"
        case .rejected: return "the SMTP server refused the message at \(stage)\(what)\(said)"
        case .protocolViolation: return "the SMTP server broke the protocol at \(stage)\(what)\(said)"
        case .invalidMessage: return "the message cannot be sent\(what)"
        }
    }
}
