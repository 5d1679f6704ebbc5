import Foundation
import Testing
@testable import Mailer

/// RFC 5322 and MIME details: encoded words, quoting, folding, quoted-printable, header injection.
@Suite struct MailMessageTests {
    @Test func headersAreSevenBitFoldedAndUnicodeIsEncoded() throws {
        let message = MailMessage(
            from: try MailAddress("inboard@acme.test", name: "Inboard \"Board\""),
            to: [try MailAddress("zoe@acme.test", name: "Zoë Ångström")],
            subject: "Zoë left you a note about the café on the fourth floor, next to the long corridor",
            text: "Line one\nLine two with = sign\n.leading dot", html: "<p>Café</p>",
            messageID: "<inboard.1.2@acme.test>",
            date: Date(timeIntervalSince1970: 1_795_600_000))
        let text = String(decoding: message.rendered(), as: UTF8.self)
        #expect(text.utf8.allSatisfy { $0 < 0x80 }, "7-bit only")
        for line in text.components(separatedBy: "\r\n") { #expect(line.count <= 78, "\(line)") }
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "bare LF")
        #expect(text.contains("From: \"Inboard \\\"Board\\\"\" <inboard@acme.test>"))
        #expect(text.contains("To: =?UTF-8?B?"))
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(text.contains("Message-ID: <inboard.1.2@acme.test>"))
        #expect(text.contains("Date: Wed, 25 Nov 2026 09:46:40 +0000"))
        #expect(
            text.replacingOccurrences(of: "\r\n ", with: " ").contains(
                "Content-Type: multipart/alternative; boundary="), "folded headers unfold")
        #expect(text.contains("with =3D sign"))
        #expect(text.contains("Caf=C3=A9"))
        let words = text.components(separatedBy: "=?UTF-8?B?").dropFirst().map {
            String($0.prefix(while: { $0 != "?" }))
        }
        let decoded = words.compactMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        #expect(decoded.joined().contains("Zoë Ångström"), "\(decoded)")
    }

    @Test func quotedPrintableKeepsLinesShortAndTrailingSpaceVisible() {
        let long = String(repeating: "é", count: 60) + " end "
        let encoded = MIME.quotedPrintable(long)
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.count <= 76) }
        #expect(encoded.hasSuffix("end=20"))
        let decoded = encoded.replacingOccurrences(of: "=\r\n", with: "")
        #expect(decoded.hasPrefix("=C3=A9"))
    }

    @Test func lineBreaksInNamesOrAddressesAreRefused() {
        #expect(throws: SMTPError.self) { try MailAddress("a@acme.test", name: "Eve\r\nBcc: victim@acme.test") }
        #expect(throws: SMTPError.self) { try MailAddress("no-at-sign") }
        #expect(throws: SMTPError.self) { try MailAddress("a@acme.test>\r\nRCPT TO:<b@evil.test") }
        let subject = MailMessage(
            from: try! MailAddress("a@acme.test"), to: [try! MailAddress("b@acme.test")],
            subject: "Hi\r\nBcc: victim@acme.test",
            text: "x", messageID: "<m@acme.test>")
        let text = String(decoding: subject.rendered(), as: UTF8.self)
        #expect(!text.contains("\r\nBcc:"), "a subject line break must not start a header")
    }

    @Test func templatesEscapeHTMLButNotText() throws {
        let rendered = try MailTemplates().render(
            "note", values: ["from": "Ann <script>", "body": "1 < 2 & 3", "recipientName": "Bob"])
        #expect(rendered.subject == "Ann <script> left you a note")
        #expect(rendered.text.contains("1 < 2 & 3"))
        #expect(rendered.html.contains("1 &lt; 2 &amp; 3") && !rendered.html.contains("<script>"))
        #expect(throws: MailTemplateError.self) {
            try MailTemplates(overrides: ["note": MailTemplate(subject: "{{#open}}", text: "", html: "")]).render(
                "note", values: [:])
        }
    }
}
