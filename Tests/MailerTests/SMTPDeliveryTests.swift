import Foundation
import InboardTestSupport
import Logging
import Testing
@testable import Mailer

/// The SMTP client against a real server (aiosmtpd) on loopback: plain, STARTTLS, implicit TLS, AUTH,
/// refusals, and a server that hangs up mid-message.
@Suite struct SMTPDeliveryTests {
    let logger: Logger = {
        var l = Logger(label: "smtp-test"); l.logLevel = .error; return l
    }()

    func message(_ to: String, _ subject: String = "Hello") throws -> MailMessage {
        MailMessage(
            from: try MailAddress("inboard@acme.test", name: "Inboard"), to: [try MailAddress(to)], subject: subject,
            text: "Body\n.with a leading dot", html: "<p>Body</p>", messageID: "<test.\(UUID().uuidString)@acme.test>")
    }

    func server(
        _ sink: SMTPSink, _ security: SMTPServer.Security, user: String? = nil, password: String? = nil,
        ca: String? = nil
    ) throws -> SMTPServer {
        let caFile = try ca ?? TestEnvironment.require("INBOARD_TEST_CA_FILE")
        return SMTPServer(
            host: "127.0.0.1", port: sink.port, security: security, username: user, password: password,
            caFile: security == .none ? nil : caFile, commandTimeout: .seconds(60))
    }

    @Test func plainSessionCarriesSeveralMessagesOnOneConnection() async throws {
        let sink = try await SMTPSink.running()
        let connection = try await SMTPConnection.connect(to: try server(sink, .none), logger: logger)
        let first = try message("bob@acme.test", "First"),
            second = try message("cat@acme.test", "Zweite Nachricht für Cat")
        #expect(try await connection.send(first.envelope).code == 250)
        #expect(try await connection.send(second.envelope).code == 250)
        await connection.quit()
        #expect(sink.received.map(\.messageId) == [first.messageID, second.messageID])
        #expect(sink.received.map(\.subject) == ["First", "Zweite Nachricht für Cat"])
    }

    @Test func startTLSAndImplicitTLSWithAuthentication() async throws {
        let starttls = try await SMTPSink.running(SMTPSink.tlsArguments + ["--starttls", "--auth", "mailer:s3cret"])
        let connection = try await SMTPConnection.connect(
            to: try server(starttls, .starttls, user: "mailer", password: "s3cret"), logger: logger)
        #expect(try await connection.send(try message("bob@acme.test").envelope).code == 250)
        await connection.quit()
        #expect(starttls.received.count == 1)

        let implicit = try await SMTPSink.running(
            SMTPSink.tlsArguments + ["--implicit-tls", "--auth", "mailer:s3cret"])
        let tls = try await SMTPConnection.connect(
            to: try server(implicit, .tls, user: "mailer", password: "s3cret"), logger: logger)
        #expect(try await tls.send(try message("bob@acme.test").envelope).code == 250)
        await tls.quit()
        #expect(implicit.received.count == 1)
    }

    @Test func aWrongPasswordIsAClearAuthenticationError() async throws {
        let sink = try await SMTPSink.running(SMTPSink.tlsArguments + ["--starttls", "--auth", "mailer:s3cret"])
        let error = await #expect(throws: SMTPError.self) {
            _ = try await SMTPConnection.connect(
                to: try server(sink, .starttls, user: "mailer", password: "wrong"), logger: logger)
        }
        #expect(error?.kind == .authentication)
        #expect(error?.description.contains("535") == true, "\(String(describing: error))")
    }

    @Test func anUntrustedCertificateIsATLSError() async throws {
        let sink = try await SMTPSink.running(SMTPSink.tlsArguments + ["--implicit-tls"])
        let other = SMTPSink.tlsFolder.appendingPathComponent("other-ca.pem").path
        let error = await #expect(throws: SMTPError.self) {
            _ = try await SMTPConnection.connect(to: try server(sink, .tls, ca: other), logger: logger)
        }
        #expect(error?.kind == .tls, "\(String(describing: error))")
    }

    @Test func relayDeniedFailsThatMessageOnlyAndAHangUpFailsTheSession() async throws {
        let sink = try await SMTPSink.running(["--reject-domain", "elsewhere.test", "--drop-during-data", "2"])
        let connection = try await SMTPConnection.connect(to: try server(sink, .none), logger: logger)
        let refused = await #expect(throws: SMTPError.self) {
            _ = try await connection.send(try message("eve@elsewhere.test").envelope)
        }
        #expect(refused?.kind == .rejected && refused?.isPermanent == true && refused?.reply?.code == 550)
        #expect(
            try await connection.send(try message("bob@acme.test").envelope).code == 250, "the connection still works")
        let dropped = await #expect(throws: SMTPError.self) {
            _ = try await connection.send(try message("cat@acme.test").envelope)
        }
        #expect(dropped?.isPerMessage == false, "\(String(describing: dropped))")
        await connection.quit()
        #expect(sink.received.count == 1)
    }

    @Test func nobodyListeningIsAConnectionError() async throws {
        let port = try freeTCPPort()
        let error = await #expect(throws: SMTPError.self) {
            _ = try await SMTPConnection.connect(
                to: SMTPServer(host: "127.0.0.1", port: port, security: .none), logger: logger)
        }
        #expect(error?.kind == .connection && error?.description.contains("\(port)") == true)
    }
}
