import Foundation
import Testing
@testable import Mailer

/// The protocol logic on its own: replies in, actions out.
@Suite struct SMTPStateMachineTests {
    func machine(
        _ security: SMTPStateMachine.Security = .startTLS, user: String? = "mailer", password: String? = "secret"
    ) -> SMTPStateMachine {
        SMTPStateMachine(
            configuration: .init(heloName: "inboard.test", security: security, username: user, password: password))
    }
    func reply(_ code: Int, _ lines: String...) -> SMTPReply {
        SMTPReply(code: code, lines: lines.isEmpty ? ["ok"] : lines)
    }
    let envelope = SMTPEnvelope(
        from: "inboard@acme.test", recipients: ["a@acme.test", "b@acme.test"],
        data: Array("Subject: x\r\n\r\n.hidden dot\r\nbody".utf8))

    @Test func startTLSThenAuthPlainThenOneMessage() {
        var m = machine()
        #expect(m.received(reply(220, "mx ESMTP")) == .send("EHLO inboard.test"))
        #expect(m.received(reply(250, "mx", "STARTTLS", "SIZE 1000000", "8BITMIME")) == .send("STARTTLS"))
        #expect(m.received(reply(220, "go ahead")) == .startTLS)
        #expect(m.tlsEstablished() == .send("EHLO inboard.test"))
        #expect(
            m.received(reply(250, "mx", "AUTH LOGIN PLAIN", "SIZE 1000000")) == .send("AUTH PLAIN AG1haWxlcgBzZWNyZXQ=")
        )
        #expect(m.received(reply(235)) == .ready)
        #expect(m.send(envelope) == .send("MAIL FROM:<inboard@acme.test> SIZE=\(envelope.data.count)"))
        #expect(m.received(reply(250)) == .send("RCPT TO:<a@acme.test>"))
        #expect(m.received(reply(250)) == .send("RCPT TO:<b@acme.test>"))
        #expect(m.received(reply(250)) == .send("DATA"))
        #expect(m.received(reply(354)) == .sendData(Array("Subject: x\r\n\r\n..hidden dot\r\nbody\r\n.\r\n".utf8)))
        #expect(m.received(reply(250, "queued")) == .delivered(reply(250, "queued")))
        #expect(m.state == .ready)
        #expect(m.quit() == .send("QUIT"))
        #expect(m.received(reply(221)) == .close)
    }

    @Test func authLoginWhenPlainIsNotOffered() {
        var m = machine(.implicitTLS)
        _ = m.received(reply(220))
        #expect(m.received(reply(250, "mx", "AUTH LOGIN")) == .send("AUTH LOGIN"))
        #expect(m.received(reply(334, "VXNlcm5hbWU6")) == .send("bWFpbGVy"))
        #expect(m.received(reply(334, "UGFzc3dvcmQ6")) == .send("c2VjcmV0"))
        #expect(m.received(reply(235)) == .ready)
    }

    @Test func wrongPasswordFailsTheSessionWithTheServersWords() {
        var m = machine(.implicitTLS)
        _ = m.received(reply(220))
        _ = m.received(reply(250, "mx", "AUTH PLAIN"))
        guard case let .failed(error) = m.received(reply(535, "5.7.8 Authentication credentials invalid")) else {
            Issue.record("no failure"); return
        }
        #expect(error.kind == .authentication && error.reply?.code == 535)
        #expect(error.description.contains("535 5.7.8 Authentication credentials invalid"))
    }

    @Test func noPasswordInClearTextAndNoSilentDowngrade() {
        var plain = machine(.none)
        _ = plain.received(reply(220))
        guard case let .failed(clear) = plain.received(reply(250, "mx", "AUTH PLAIN")) else {
            Issue.record("AUTH over plain text"); return
        }
        #expect(clear.kind == .authentication)
        var noTLS = machine(.startTLS)
        _ = noTLS.received(reply(220))
        guard case let .failed(missing) = noTLS.received(reply(250, "mx", "AUTH PLAIN")) else {
            Issue.record("STARTTLS skipped"); return
        }
        #expect(missing.kind == .tls)
    }

    @Test func heloFallbackForAnOldServer() {
        var m = machine(.none, user: nil, password: nil)
        _ = m.received(reply(220))
        #expect(m.received(reply(502, "command not implemented")) == .send("HELO inboard.test"))
        #expect(m.received(reply(250)) == .ready)
        #expect(m.send(envelope) == .send("MAIL FROM:<inboard@acme.test>"), "no SIZE without EHLO")
    }

    @Test func aRefusedRecipientResetsAndFailsOnlyThatMessage() {
        var m = machine(.none, user: nil, password: nil)
        _ = m.received(reply(220)); _ = m.received(reply(250, "mx"))
        _ = m.send(envelope); _ = m.received(reply(250))
        #expect(m.received(reply(550, "5.7.1 Relaying denied")) == .send("RSET"))
        guard case let .deliveryFailed(error) = m.received(reply(250)) else { Issue.record("no failure"); return }
        #expect(error.kind == .rejected && error.isPermanent && error.isPerMessage && error.stage == "RCPT TO")
        #expect(m.state == .ready, "the connection carries the next message")
        _ = m.send(envelope)
        guard
            case let .deliveryFailed(temporary) = {
                _ = m.received(reply(451, "try later")); return m.received(reply(250))
            }()
        else { Issue.record("no failure"); return }
        #expect(!temporary.isPermanent)
    }

    @Test func fourTwentyOneEndsTheSessionAnywhere() {
        var m = machine(.none, user: nil, password: nil)
        _ = m.received(reply(220)); _ = m.received(reply(250, "mx"))
        _ = m.send(envelope)
        guard case let .failed(error) = m.received(reply(421, "shutting down")) else {
            Issue.record("no failure"); return
        }
        #expect(error.kind == .connection && !error.isPerMessage)
    }

    @Test func badAddressesAndOversizedMessagesNeverReachTheServer() {
        var m = machine(.none, user: nil, password: nil)
        _ = m.received(reply(220)); _ = m.received(reply(250, "mx", "SIZE 10"))
        for bad in ["no-at-sign", "two@@acme.test", "a@acme.test\r\nRCPT TO:<x@evil.test>", "a b@acme.test"] {
            guard
                case let .deliveryFailed(error) = m.send(
                    SMTPEnvelope(from: "inboard@acme.test", recipients: [bad], data: [65]))
            else { Issue.record("\(bad) accepted"); continue }
            #expect(error.kind == .invalidMessage)
        }
        guard case let .deliveryFailed(size) = m.send(envelope) else { Issue.record("oversized accepted"); return }
        #expect(size.description.contains("SIZE limit of 10"))
    }

    @Test func dotStuffingAndTheFinalDot() {
        #expect(SMTPStateMachine.dotStuffed(Array(".\r\n..x\r\ny.z".utf8)) == Array("..\r\n...x\r\ny.z\r\n.\r\n".utf8))
        #expect(SMTPStateMachine.dotStuffed(Array("ends\r\n".utf8)) == Array("ends\r\n.\r\n".utf8))
    }
}
