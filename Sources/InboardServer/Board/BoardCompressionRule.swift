import CompressNIO
import NIOCore

/// Which board answers are sent gzipped, and how. Only an answer with hidden notes removed: it holds nothing that
/// any signed-in person cannot read, so its compressed length tells nobody anything. An answer with hidden notes
/// also holds text any colleague controls (their own note), and over TLS the length of compressed text that mixes
/// a secret with an attacker's guesses gives the secret away a byte at a time (BREACH), so it stays as it is.
enum BoardCompressionRule {
    static func mayCompress(hidingNotes: Bool) -> Bool { hidingNotes }

    /// `page` gzipped, with the validator of those bytes (a strong ETag names one encoding, RFC 9110 §8.8.3; and
    /// servers whose zlib compresses differently give different tags); nil if zlib fails, and the page is then
    /// sent as it is.
    static func gzipped(_ page: BoardCache.Page) -> BoardCache.Page? {
        var source = page.body
        guard let compressed = try? source.compress(with: .gzip()) else { return nil }
        // The compressor's buffer is sized for the JSON; the cache keeps only the bytes.
        var body = ByteBufferAllocator().buffer(capacity: compressed.readableBytes)
        body.writeImmutableBuffer(compressed)
        return BoardCache.Page(body: body, tag: BoardCache.tag(body), next: page.next, contentEncoding: "gzip")
    }
}
