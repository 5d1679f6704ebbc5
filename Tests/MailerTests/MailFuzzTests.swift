import Foundation
import InboardTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import Mailer

/// Properties of the mail encoder and the SMTP reply decoder over random and hostile text: a message is 7-bit,
/// CRLF-only, no header can be injected, and subject and body decode back to what was given; replies split at
/// any byte decode the same, and no bytes crash the decoder.
@Suite struct MailFuzzTests {
    @Test func everyMessageIsSevenBitCRLFAndDecodesBack() throws {
        var fuzz = Fuzz()
        for _ in 0..<Fuzz.iterations {
            let subject = fuzz.text(maxLength: 120) + "\r\nBcc: victim@example.org"
            let text = fuzz.text(maxLength: 300)
            let names = Fuzz.hostile.filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" }
            #expect(throws: SMTPError.self, "a display name with a line break") {
                try MailAddress("ann@acme.test", name: fuzz.text(maxLength: 5) + "\r\nBcc: x@example.org")
            }
            let message = MailMessage(
                from: try MailAddress("inboard@acme.test", name: fuzz.text(maxLength: 20, from: names)),
                to: [try MailAddress("ann@acme.test", name: fuzz.text(maxLength: 20, from: names))], subject: subject,
                text: text,
                html: Bool.random(using: &fuzz) ? fuzz.text(maxLength: 100) : nil, messageID: "<fuzz@acme.test>")
            let bytes = message.rendered()
            let context = "seed \(fuzz.seed)"
            #expect(bytes.allSatisfy { $0 < 0x80 }, "\(context): 8-bit byte")
            for (index, byte) in bytes.enumerated() where byte == 0x0A || byte == 0x0D {
                let pairOK =
                    byte == 0x0D
                    ? index + 1 < bytes.count && bytes[index + 1] == 0x0A : index > 0 && bytes[index - 1] == 0x0D
                #expect(pairOK, "\(context): a bare CR or LF at \(index)")
            }
            let rendered = String(decoding: bytes, as: UTF8.self)
            let (head, body) = try #require(
                rendered.range(of: "\r\n\r\n").map { (rendered[..<$0.lowerBound], rendered[$0.upperBound...]) })
            #expect(head.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 }, "\(context)")
            let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ")
            let headers = unfolded.components(separatedBy: "\r\n")
            #expect(!headers.contains { $0.lowercased().hasPrefix("bcc:") }, "\(context): a header was injected")
            let subjectValue = try #require(headers.first { $0.hasPrefix("Subject: ") }).dropFirst("Subject: ".count)
            #expect(
                Self.decodedHeader(String(subjectValue))
                    == subject.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " "),
                "\(context)")
            if message.html == nil {
                let expected = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(
                    of: "\r", with: "\n"
                )
                .replacingOccurrences(of: "\n", with: "\r\n")
                let decoded = Self.quotedPrintableDecoded(String(decoding: body.utf8.dropLast(2), as: UTF8.self))
                #expect(decoded == expected, "\(context): the body did not decode back")
            }
        }
    }

    /// RFC 2047 B-words (what Inboard writes) or the text as it is.
    static func decodedHeader(_ value: String) -> String {
        guard value.hasPrefix("=?UTF-8?B?") else { return value }
        var bytes: [UInt8] = []
        for word in value.split(separator: " ") {
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            bytes += Data(base64Encoded: String(payload)).map(Array.init) ?? []
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func quotedPrintableDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count,
                let value = UInt8(String(decoding: input[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func repliesSplitAnywhereDecodeTheSame() throws {
        var fuzz = Fuzz()
        for _ in 0..<Fuzz.iterations {
            let replies = (0..<Int.random(in: 1...4, using: &fuzz)).map { _ in
                SMTPReply(
                    code: Int.random(in: 200...599, using: &fuzz),
                    lines: (0..<Int.random(in: 1...4, using: &fuzz)).map { _ in
                        fuzz.text(maxLength: 30, from: Array("abcXYZ 0123.-_=é中"))
                    })
            }
            var wire: [UInt8] = []
            for reply in replies {
                for (index, line) in reply.lines.enumerated() {
                    let separator = index == reply.lines.count - 1 ? " " : "-"
                    wire += Array("\(reply.code)\(separator)\(line)\r\n".utf8)
                }
            }
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
            var start = 0
            while start < wire.count {
                let end = min(wire.count, start + Int.random(in: 1...9, using: &fuzz))
                try channel.writeInbound(ByteBuffer(bytes: wire[start..<end]))
                start = end
            }
            var decoded: [SMTPReply] = []
            while let reply = try channel.readInbound(as: SMTPReply.self) { decoded.append(reply) }
            #expect(decoded == replies, "seed \(fuzz.seed)")
            _ = try? channel.finish()
        }
    }

    @Test func noBytesCrashTheReplyDecoder() {
        var fuzz = Fuzz()
        for _ in 0..<Fuzz.iterations * 3 {
            let garbage = fuzz.mutated("250-mail.acme.test\r\n250 SIZE 1000\r\n354 go\r\n", edits: 8)
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPReplyDecoder()))
            // A reply or a protocol error: either is fine, a crash is not.
            _ = try? channel.writeInbound(ByteBuffer(string: garbage))
            while (try? channel.readInbound(as: SMTPReply.self)) != nil {}
            _ = try? channel.finish()
        }
    }
}
