import Crypto
import Foundation
import InboardCore

/// A mailbox: an address and an optional display name. Line breaks anywhere are refused, so no value can
/// add a header (header injection).
public struct MailAddress: Sendable, Equatable {
    public let address: String
    public let name: String?

    public init(_ address: String, name: String? = nil) throws(SMTPError) {
        let trimmed = address.trimmingCharacters(in: .whitespaces)
        guard Self.isValidAddress(trimmed) else {
            throw SMTPError(
                .invalidMessage, stage: "address",
                message: "'\(address)' is not an email address such as someone@example.com")
        }
        if let name, name.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw SMTPError(
                .invalidMessage, stage: "address", message: "the display name for <\(trimmed)> contains a line break")
        }
        self.address = trimmed
        self.name = name.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
    }

    /// One @, something on each side, a dot in the domain, and no spaces, angle brackets or control characters.
    static func isValidAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix(".")
        else { return false }
        return !text.unicodeScalars.contains {
            $0.value < 0x21 || $0 == "<" || $0 == ">" || $0 == "," || $0 == ";" || $0 == "\"" || $0.value == 0x7F
        }
    }

    /// The header form: `"Name" <address>`, the name as an encoded word when it is not ASCII.
    var header: String {
        guard let name else { return "<\(address)>" }
        return MIME.phrase(name) + " <\(address)>"
    }
}

/// An email as Inboard sends it: text, and HTML as an alternative when there is some (RFC 5322, RFC 2045–2047).
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var subject: String
    public var text: String
    public var html: String?
    /// Fixed per outbox row, so a retry after an unknown outcome carries the same id (`<…@domain>`).
    public var messageID: String
    public var date: Date

    public init(
        from: MailAddress, to: [MailAddress], subject: String, text: String, html: String? = nil, messageID: String,
        date: Date = Date()
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }

    public var envelope: SMTPEnvelope {
        SMTPEnvelope(from: from.address, recipients: to.map(\.address), data: rendered())
    }

    /// The message's bytes: CRLF line ends, no line over 78 characters, 7-bit only.
    public func rendered() -> [UInt8] {
        var head = [
            "Date: " + MIME.date(date),
            "From: " + from.header,
            "To: " + to.map(\.header).joined(separator: ", "),
            "Subject: "
                + MIME.unstructured(
                    subject.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")),
            "Message-ID: " + messageID,
            "MIME-Version: 1.0",
        ]
        var body: [String] = []
        let textPart = [
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
            MIME.quotedPrintable(text),
        ]
        if let html {
            let boundary =
                "=_inboard_"
                + SHA256.hash(data: Data(messageID.utf8)).prefix(12).lowercaseHex
            head.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            body =
                ["This is a message in text and HTML.", "", "--" + boundary] + textPart
                + [
                    "--" + boundary, "Content-Type: text/html; charset=utf-8",
                    "Content-Transfer-Encoding: quoted-printable", "", MIME.quotedPrintable(html),
                    "--" + boundary + "--",
                ]
        } else {
            head += textPart.prefix(2)
            body = [MIME.quotedPrintable(text)]
        }
        return Array(
            (head.map(MIME.folded).joined(separator: "\r\n") + "\r\n\r\n" + body.joined(separator: "\r\n") + "\r\n")
                .utf8)
    }
}

/// The encodings a message needs.
enum MIME {
    /// RFC 5322 date: `Wed, 25 Nov 2026 14:00:00 +0000`.
    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// A header value: as it is when printable ASCII, else RFC 2047 encoded words of at most 75 characters.
    static func unstructured(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) { return text }
        return encodedWords(text)
    }

    /// A display name: a quoted string when ASCII (quotes and backslashes escaped), else encoded words.
    static func phrase(_ text: String) -> String {
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else { return encodedWords(text) }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }

    /// `=?UTF-8?B?…?=` words, split between characters so that no word cuts a UTF-8 sequence.
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if (chunk.count + bytes.count + 2) / 3 * 4 > 52 {  // words of at most 64 characters: room for a header name
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: " ")
    }

    /// Folds a header line at spaces so no line exceeds 78 characters (RFC 5322 §2.2.3).
    static func folded(_ line: String) -> String {
        guard line.count > 78 else { return line }
        var lines: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty, current.count + 1 + word.count > 78 {
                lines.append(current)
                current = " " + word
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// Quoted-printable (RFC 2045 §6.7): line breaks become CRLF, lines at most 76 characters with soft breaks,
    /// `=`, non-ASCII bytes and whitespace before a line end encoded.
    static func quotedPrintable(_ text: String) -> String {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [String] = []
        for line in normalised.split(separator: "\n", omittingEmptySubsequences: false) {
            var encoded = ""
            var length = 0
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                let piece: String
                if (byte == 0x20 || byte == 0x09) && last {
                    piece = String(format: "=%02X", byte)
                } else if byte == UInt8(ascii: "=") || byte < 0x20 && byte != 0x09 || byte > 0x7E {
                    piece = String(format: "=%02X", byte)
                } else {
                    piece = String(UnicodeScalar(byte))
                }
                if length + piece.count > 75 {
                    encoded += "=\r\n"
                    length = 0
                }
                encoded += piece
                length += piece.count
            }
            out.append(encoded)
        }
        return out.joined(separator: "\r\n")
    }
}
