import CompressNIO
import NIOCore

/// Which board answers are sent gzipped, and how. Only an answer with hidden notes removed: it holds nothing that
/// any signed-in person cannot read, so its compressed length tells nobody anything. An answer with hidden notes
/// also holds text any colleague controls (their own note), and over TLS the length of compressed text that mixes
/// a secret with an attacker's guesses gives the secret away a byte at a time (BREACH), so it stays as it is.
enum BoardCompressionRule {
    static func mayCompress(hidingNotes: Bool) -> Bool { hidingNotes }

    /// `page` gzipped, with its own validator (a strong ETag names one encoding of the bytes, RFC 9110 §8.8.3);
    /// nil if zlib fails, and the page is then sent as it is.
    static func gzipped(_ page: BoardCache.Page) -> BoardCache.Page? {
        var source = page.body
        guard let body = try? source.compress(with: .gzip()) else { return nil }
        return BoardCache.Page(
            body: body, tag: String(page.tag.dropLast()) + "-gzip\"", next: page.next, contentEncoding: "gzip")
    }
}
