import Foundation

/// What one transaction carries: the envelope (RFC 5321) and the message bytes (RFC 5322, CRLF lines, not
/// yet dot-stuffed).
public struct SMTPEnvelope: Sendable, Equatable {
    public var from: String
    public var recipients: [String]
    public var data: [UInt8]

    public init(from: String, recipients: [String], data: [UInt8]) {
        self.from = from
        self.recipients = recipients
        self.data = data
    }
}

/// The SMTP client's protocol logic without any I/O, as postgres-nio does it: events go in (a reply, TLS
/// established, a message to send, quit), actions come out (write this, start TLS, report that). The NIO
/// handler only carries them out, so every path is unit-testable.
struct SMTPStateMachine {
    enum Security: Equatable { case none, startTLS, implicitTLS }

    struct Configuration {
        var heloName: String
        var security: Security
        var username: String?
        var password: String?
    }

    struct Capabilities: Equatable {
        var startTLS = false
        var authMechanisms: Set<String> = []
        var sizeLimit: Int?
        var eightBitMIME = false

        init() {}

        init(ehlo reply: SMTPReply) {
            for line in reply.lines.dropFirst() {
                let words = line.uppercased().split(separator: " ").map(String.init)
                switch words.first {
                case "STARTTLS": startTLS = true
                case "AUTH": authMechanisms.formUnion(words.dropFirst())
                case "SIZE": sizeLimit = words.count > 1 ? Int(words[1]).flatMap { $0 > 0 ? $0 : nil } : nil
                case "8BITMIME": eightBitMIME = true
                default: break
                }
            }
        }
    }

    enum State: Equatable {
        case greeting, ehlo, helo, startTLS, handshake, ehloAfterTLS
        case authPlain, authLoginUser, authLoginPassword, authLoginDone
        case ready
        case mailFrom(SMTPEnvelope)
        case recipient(SMTPEnvelope, index: Int)
        case resetting(SMTPError)
        case dataCommand(SMTPEnvelope)
        case dataBody
        case quitting, closed
    }

    enum Action: Equatable {
        /// Write one command line (CRLF is added by the handler).
        case send(String)
        /// Write the message body, dot-stuffed and ending in CRLF.CRLF.
        case sendData([UInt8])
        case startTLS
        /// The session is ready for messages (greeting, EHLO, TLS and AUTH done).
        case ready
        case delivered(SMTPReply)
        /// This message failed; the session is ready for the next one.
        case deliveryFailed(SMTPError)
        /// The session failed; close the connection.
        case failed(SMTPError)
        case close
        case none
    }

    private(set) var state: State = .greeting
    private(set) var capabilities = Capabilities()
    private(set) var tlsActive: Bool
    let configuration: Configuration

    init(configuration: Configuration) {
        self.configuration = configuration
        self.tlsActive = configuration.security == .implicitTLS
    }

    /// A stage name for errors and timeouts.
    var stage: String {
        switch state {
        case .greeting: "the greeting"
        case .ehlo, .ehloAfterTLS: "EHLO"
        case .helo: "HELO"
        case .startTLS, .handshake: "STARTTLS"
        case .authPlain, .authLoginUser, .authLoginPassword, .authLoginDone: "AUTH"
        case .ready: "idle"
        case .mailFrom: "MAIL FROM"
        case .recipient: "RCPT TO"
        case .resetting: "RSET"
        case .dataCommand: "DATA"
        case .dataBody: "the end of DATA"
        case .quitting: "QUIT"
        case .closed: "closed"
        }
    }

    mutating func received(_ reply: SMTPReply) -> Action {
        if reply.code == 421 {  // the server is closing the connection, whatever we were doing
            return fail(
                SMTPError(.connection, stage: stage, reply: reply, message: "the server is shutting the connection"))
        }
        switch state {
        case .greeting:
            guard reply.code == 220 else {
                return fail(
                    SMTPError(.connection, stage: stage, reply: reply, message: "the server refused the connection"))
            }
            state = .ehlo
            return .send("EHLO \(configuration.heloName)")
        case .ehlo:
            if reply.code == 250 {
                capabilities = Capabilities(ehlo: reply)
                return afterHello()
            }
            guard reply.isPermanent else { return fail(SMTPError(.protocolViolation, stage: stage, reply: reply)) }
            state = .helo  // an old server without ESMTP
            return .send("HELO \(configuration.heloName)")
        case .helo:
            guard reply.code == 250 else { return fail(SMTPError(.protocolViolation, stage: stage, reply: reply)) }
            capabilities = Capabilities()
            return afterHello()
        case .startTLS:
            guard reply.code == 220 else {
                return fail(SMTPError(.tls, stage: stage, reply: reply, message: "the server refused STARTTLS"))
            }
            state = .handshake
            return .startTLS
        case .handshake:
            return fail(
                SMTPError(.protocolViolation, stage: stage, reply: reply, message: "a reply during the TLS handshake"))
        case .ehloAfterTLS:
            guard reply.code == 250 else { return fail(SMTPError(.protocolViolation, stage: stage, reply: reply)) }
            capabilities = Capabilities(ehlo: reply)
            return authenticate()
        case .authPlain, .authLoginDone:
            guard reply.code == 235 else { return fail(SMTPError(.authentication, stage: stage, reply: reply)) }
            state = .ready
            return .ready
        case .authLoginUser:
            guard reply.code == 334, let user = configuration.username else {
                return fail(SMTPError(.authentication, stage: stage, reply: reply))
            }
            state = .authLoginPassword
            return .send(Data(user.utf8).base64EncodedString())
        case .authLoginPassword:
            guard reply.code == 334, let password = configuration.password else {
                return fail(SMTPError(.authentication, stage: stage, reply: reply))
            }
            state = .authLoginDone
            return .send(Data(password.utf8).base64EncodedString())
        case .ready:
            return fail(SMTPError(.protocolViolation, stage: stage, reply: reply, message: "an unexpected reply"))
        case let .mailFrom(envelope):
            guard reply.code == 250 else {
                return reset(
                    SMTPError(.rejected, stage: "MAIL FROM", reply: reply, message: "sender <\(envelope.from)>"))
            }
            state = .recipient(envelope, index: 0)
            return .send("RCPT TO:<\(envelope.recipients[0])>")
        case let .recipient(envelope, index):
            guard reply.code == 250 || reply.code == 251 else {
                return reset(
                    SMTPError(
                        .rejected, stage: "RCPT TO", reply: reply, message: "recipient <\(envelope.recipients[index])>")
                )
            }
            if index + 1 < envelope.recipients.count {
                state = .recipient(envelope, index: index + 1)
                return .send("RCPT TO:<\(envelope.recipients[index + 1])>")
            }
            state = .dataCommand(envelope)
            return .send("DATA")
        case let .resetting(error):
            guard reply.code == 250 else { return fail(SMTPError(.protocolViolation, stage: stage, reply: reply)) }
            state = .ready
            return .deliveryFailed(error)
        case let .dataCommand(envelope):
            guard reply.code == 354 else { return reset(SMTPError(.rejected, stage: "DATA", reply: reply)) }
            state = .dataBody
            return .sendData(Self.dotStuffed(envelope.data))
        case .dataBody:
            state = .ready
            return reply.code == 250
                ? .delivered(reply) : .deliveryFailed(SMTPError(.rejected, stage: "the end of DATA", reply: reply))
        case .quitting:
            state = .closed
            return .close
        case .closed:
            return .none
        }
    }

    mutating func tlsEstablished() -> Action {
        guard state == .handshake else {
            return fail(SMTPError(.protocolViolation, stage: stage, message: "TLS established at an unexpected time"))
        }
        tlsActive = true
        state = .ehloAfterTLS
        return .send("EHLO \(configuration.heloName)")
    }

    /// Starts a transaction; only when `.ready`.
    mutating func send(_ envelope: SMTPEnvelope) -> Action {
        guard state == .ready else {
            return .deliveryFailed(
                SMTPError(.protocolViolation, stage: stage, message: "the session is not ready for a message"))
        }
        guard !envelope.recipients.isEmpty else {
            return .deliveryFailed(SMTPError(.invalidMessage, stage: "RCPT TO", message: "no recipients"))
        }
        for address in [envelope.from] + envelope.recipients where !MailAddress.isValidAddress(address) {
            return .deliveryFailed(
                SMTPError(.invalidMessage, stage: "MAIL FROM", message: "'\(address)' is not an email address"))
        }
        if let limit = capabilities.sizeLimit, envelope.data.count > limit {
            return .deliveryFailed(
                SMTPError(
                    .invalidMessage, stage: "MAIL FROM",
                    message: "\(envelope.data.count) bytes is more than the server's SIZE limit of \(limit)"))
        }
        var command = "MAIL FROM:<\(envelope.from)>"
        if capabilities.sizeLimit != nil { command += " SIZE=\(envelope.data.count)" }
        if capabilities.eightBitMIME, envelope.data.contains(where: { $0 >= 0x80 }) { command += " BODY=8BITMIME" }
        state = .mailFrom(envelope)
        return .send(command)
    }

    mutating func quit() -> Action {
        switch state {
        case .closed, .quitting: return .none
        default:
            state = .quitting
            return .send("QUIT")
        }
    }

    /// The connection went away: what was in flight failed.
    mutating func closed() -> Action {
        switch state {
        case .closed, .quitting:
            state = .closed
            return .none
        default:
            return fail(SMTPError(.connection, stage: stage, message: "the server closed the connection"))
        }
    }

    private mutating func afterHello() -> Action {
        if configuration.security == .startTLS, !tlsActive {
            guard capabilities.startTLS else {
                return fail(
                    SMTPError(
                        .tls, stage: "EHLO",
                        message: "the server does not offer STARTTLS; choose another security setting"))
            }
            state = .startTLS
            return .send("STARTTLS")
        }
        return authenticate()
    }

    private mutating func authenticate() -> Action {
        guard let username = configuration.username, let password = configuration.password else {
            state = .ready
            return .ready
        }
        guard tlsActive else {
            return fail(
                SMTPError(
                    .authentication, stage: "AUTH",
                    message: "the password would cross the network in clear text; use STARTTLS or TLS"))
        }
        if capabilities.authMechanisms.contains("PLAIN") {
            state = .authPlain
            return .send(
                "AUTH PLAIN " + Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString())
        }
        if capabilities.authMechanisms.contains("LOGIN") {
            state = .authLoginUser
            return .send("AUTH LOGIN")
        }
        return fail(
            SMTPError(.authentication, stage: "AUTH", message: "the server offers neither AUTH PLAIN nor AUTH LOGIN"))
    }

    private mutating func reset(_ error: SMTPError) -> Action {
        state = .resetting(error)
        return .send("RSET")
    }

    private mutating func fail(_ error: SMTPError) -> Action {
        state = .closed
        return .failed(error)
    }

    /// RFC 5321 §4.5.2: a line starting with "." gets another; the data ends with CRLF.CRLF.
    static func dotStuffed(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 64)
        var atLineStart = true
        for byte in data {
            if atLineStart, byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = byte == UInt8(ascii: "\n")
        }
        if !(out.count >= 2 && out[out.count - 2] == 13 && out[out.count - 1] == 10) { out += [13, 10] }
        return out + Array(".\r\n".utf8)
    }
}
