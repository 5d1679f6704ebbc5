import Crypto
import Foundation

/// PostgreSQL's stored form of a password (`SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey`, RFC 5802/7677),
/// computed here so that `CREATE ROLE … PASSWORD` carries the verifier, never the password: a statement log or
/// `pg_stat_activity` then shows nothing a login could use, as psql's `\password` does.
public enum ScramVerifier {
    public static let iterations = 4096

    /// Why `password` cannot be a database password, or nil. PostgreSQL hashes a password's SASLprep form (or,
    /// when SASLprep refuses it, the bytes as typed), while PostgresNIO always hashes the bytes as typed: only a
    /// password that SASLprep leaves unchanged signs in the same way everywhere.
    public static func problem(with password: String) -> String? {
        // Bytes, not String equality: Swift calls "e" + U+0301 and "é" equal, PostgreSQL hashes different bytes.
        prepared(password).utf8.elementsEqual(password.utf8)
            ? nil
            : "holds characters that PostgreSQL normalises (such as accents typed as separate marks, full-width "
                + "letters, soft hyphens or emoji variants); use letters, digits and punctuation, or leave the "
                + "password out and let setup generate one"
    }

    public static func make(password: String, salt: [UInt8]? = nil, iterations: Int = Self.iterations) -> String {
        let salt = salt ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        let salted = saltedPassword(Array(prepared(password).utf8), salt: salt, iterations: iterations)
        let key = SymmetricKey(data: salted)
        let clientKey = Data(HMAC<SHA256>.authenticationCode(for: Data("Client Key".utf8), using: key))
        let storedKey = Data(SHA256.hash(data: clientKey))
        let serverKey = Data(HMAC<SHA256>.authenticationCode(for: Data("Server Key".utf8), using: key))
        return "SCRAM-SHA-256$\(iterations):\(Data(salt).base64EncodedString())"
            + "$\(storedKey.base64EncodedString()):\(serverKey.base64EncodedString())"
    }

    /// PBKDF2-HMAC-SHA-256 for one 32-byte block: Hi() of RFC 5802.
    static func saltedPassword(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<iterations {
            block = Array(HMAC<SHA256>.authenticationCode(for: block, using: key))
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }

    /// SASLprep as PostgreSQL applies it (pg_saslprep): ASCII is used as it is; otherwise non-ASCII spaces become
    /// spaces, characters "mapped to nothing" go, and the rest is NFKC-normalised.
    static func prepared(_ password: String) -> String {
        guard !password.unicodeScalars.allSatisfy(\.isASCII) else { return password }
        // NFKC composes as well as maps, so "e" + U+0301 becomes "é": different bytes, as in PostgreSQL.
        let mappedToNothing: Set<UInt32> = [
            0x00AD, 0x034F, 0x1806, 0x180B, 0x180C, 0x180D, 0x200B, 0x200C, 0x200D, 0x2060, 0xFE00, 0xFE01, 0xFE02,
            0xFE03, 0xFE04, 0xFE05, 0xFE06, 0xFE07, 0xFE08, 0xFE09, 0xFE0A, 0xFE0B, 0xFE0C, 0xFE0D, 0xFE0E, 0xFE0F,
            0xFEFF,
        ]
        let nonASCIISpaces: Set<UInt32> = [
            0x00A0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
            0x202F, 0x205F, 0x3000,
        ]
        var mapped = String.UnicodeScalarView()
        for scalar in password.unicodeScalars where !mappedToNothing.contains(scalar.value) {
            mapped.append(nonASCIISpaces.contains(scalar.value) ? " " : scalar)
        }
        return String(mapped).precomposedStringWithCompatibilityMapping
    }
}
