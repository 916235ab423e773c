import CCrypto

/// The one source of randomness for ids and secrets (the system CSPRNG).
public enum Random {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

/// Opaque, time-ordered ids: `<prefix>_` then 26 Crockford base32 characters holding 48 bits of
/// milliseconds and 80 random bits (ULID layout). New rows land at the end of their index, and
/// ids sort by creation, which keeps cursor pagination stable.
public enum Identifier {
    private static let alphabet: [UInt8] = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    public static func make(_ prefix: String, at time: Timestamp) -> String {
        var bits = [UInt8](repeating: 0, count: 16)
        let ms = UInt64(max(0, time.millisecondsSinceEpoch))
        for i in 0..<6 { bits[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - i))) }
        let random = Random.bytes(10)
        for i in 0..<10 { bits[6 + i] = random[i] }
        return prefix + "_" + base32(bits, characters: 26)
    }

    /// Lowercase Crockford base32 of `bytes`, most significant bit first, left-padded with zero
    /// bits to `characters * 5` bits.
    static func base32(_ bytes: [UInt8], characters: Int) -> String {
        let bitCount = bytes.count * 8
        let pad = characters * 5 - bitCount
        var out: [UInt8] = []
        out.reserveCapacity(characters)
        for i in 0..<characters {
            var value = 0
            for bit in 0..<5 {
                let position = i * 5 + bit - pad
                value <<= 1
                if position >= 0 && position < bitCount { value |= Int(bytes[position / 8] >> (7 - position % 8)) & 1 }
            }
            out.append(alphabet[value])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A secret token: `prefix` then 32 random bytes in base32 (256 bits).
    public static func secret(prefix: String) -> String {
        prefix + base32(Random.bytes(32), characters: 52)
    }
}

/// Hashing for stored secrets and request fingerprints (OpenSSL's libcrypto).
public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { out in _ = SHA256(input.baseAddress, input.count, out.baseAddress) }
        }
        return digest
    }

    public static func sha256Hex(_ text: String) -> String { hex(sha256(Array(text.utf8))) }
    public static func sha256Hex(_ bytes: [UInt8]) -> String { hex(sha256(bytes)) }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares without an early exit, so timing does not reveal how much matched.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }
}

/// A small deterministic generator (SplitMix64) for repeatable data: the demo borough and
/// property tests, where the same seed must give the same sequence. Never for ids or secrets.
public struct SeededRandom: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
