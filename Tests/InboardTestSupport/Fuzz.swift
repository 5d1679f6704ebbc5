import Foundation

/// Reproducible random inputs for property tests. Each run prints its seed when a property fails (in the
/// failing expectation's message); `INBOARD_FUZZ_SEED` replays that run and `INBOARD_FUZZ_ITERATIONS` sets how
/// many cases each property tries (`scripts/test` a few hundred, `scripts/drills fuzz` many more).
public struct Fuzz: RandomNumberGenerator {
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64? = nil) {
        let chosen =
            seed ?? ProcessInfo.processInfo.environment["INBOARD_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 1...UInt64.max)
        self.seed = chosen
        state = chosen
    }

    public static var iterations: Int {
        ProcessInfo.processInfo.environment["INBOARD_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 300
    }

    /// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Characters that break naive escaping anywhere: LDAP and DN specials, quotes, control characters, line
    /// breaks, encoded-word markers, and letters outside ASCII (two, three and four UTF-8 bytes).
    public static let hostile: [Character] = [
        "*", "(", ")", "\\", "\0", ",", "+", "=", "\"", "<", ">", ";", "#", " ", "\r", "\n", "\t", "\u{1}", "\u{7F}",
        "?", "_", ":", "-", ".", "é", "ø", "ß", "中", "😀", "a", "b", "z", "A", "Z", "0", "9",
    ]

    /// A string of up to `maxLength` characters drawn from `alphabet`.
    public mutating func text(maxLength: Int, from alphabet: [Character] = Fuzz.hostile) -> String {
        String((0..<Int.random(in: 0...maxLength, using: &self)).map { _ in alphabet.randomElement(using: &self)! })
    }

    /// `text` with random edits: characters deleted, inserted (from `alphabet`) or duplicated.
    public mutating func mutated(_ text: String, edits: Int, from alphabet: [Character] = Fuzz.hostile) -> String {
        var characters = Array(text)
        for _ in 0..<edits {
            let index = characters.isEmpty ? 0 : Int.random(in: 0..<characters.count, using: &self)
            switch Int.random(in: 0..<3, using: &self) {
            case 0 where !characters.isEmpty: characters.remove(at: index)
            case 1: characters.insert(alphabet.randomElement(using: &self)!, at: index)
            default:
                if !characters.isEmpty { characters.insert(characters[index], at: index) }
            }
        }
        return String(characters)
    }
}
