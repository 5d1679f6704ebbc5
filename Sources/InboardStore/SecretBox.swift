import Crypto
import Foundation

/// Seals secrets (bind and SMTP passwords) with AES-256-GCM before they reach PostgreSQL.
/// The key is 32 random bytes in `INBOARD_SECRET_KEY_FILE`; a sealed value is nonce ‖ ciphertext ‖ tag.
public struct SecretBox: Sendable {
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(keyBytes: some ContiguousBytes) throws(SecretKeyError) {
        let count = keyBytes.withUnsafeBytes { $0.count }
        guard count == 32 else { throw .wrongSize(path: nil, bytes: count) }
        self.keyBytes = keyBytes.withUnsafeBytes { Array($0) }
    }

    /// A key for another purpose (signing CSRF tokens, say), derived from the secret key with HKDF so that
    /// it differs from the sealing key and is the same in every server process.
    public func derivedKey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("inboard \(purpose)".utf8), outputByteCount: 32)
    }

    /// 32 bytes from the system's secure generator (getrandom on Linux): a new key file's content.
    public static func newKeyBytes() -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Reads the key file, explaining how to create one when it is missing or wrong.
    public static func load(keyFile path: String) throws(SecretKeyError) -> SecretBox {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        do { return try SecretBox(keyBytes: data) } catch { throw .wrongSize(path: path, bytes: data.count) }
    }

    public func seal(_ plaintext: String) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(plaintext.utf8), using: key).combined else {
            throw SecretKeyError.cannotOpen
        }
        return combined
    }

    public func open(_ sealed: Data) throws(SecretKeyError) -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let plain = try AES.GCM.open(box, using: key)
            guard let text = String(data: plain, encoding: .utf8) else { throw SecretKeyError.cannotOpen }
            return text
        } catch {
            throw .cannotOpen
        }
    }
}

public enum SecretKeyError: Error, CustomStringConvertible, Equatable {
    case missing(path: String)
    case unreadable(path: String)
    case wrongSize(path: String?, bytes: Int)
    case cannotOpen

    static let howToCreate =
        "create one with: (umask 077 && head -c 32 /dev/urandom > FILE), readable by the account the server runs as"

    public var description: String {
        switch self {
        case let .missing(path):
            return "secret key file \(path) does not exist (INBOARD_SECRET_KEY_FILE): \(Self.howToCreate)"
        case let .unreadable(path):
            return "secret key file \(path) cannot be read: check its owner and permissions"
        case let .wrongSize(path, bytes):
            return "secret key \(path.map { "file \($0) " } ?? "")holds \(bytes) bytes, not 32: \(Self.howToCreate)"
        case .cannotOpen:
            return
                "a stored secret cannot be decrypted with this secret key: was INBOARD_SECRET_KEY_FILE replaced? Enter the secret again"
        }
    }
}
