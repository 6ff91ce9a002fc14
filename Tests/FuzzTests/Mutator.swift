// Byte-level mutations for the fuzzers: bit flips, byte inserts and deletes, truncation, splicing
// with another seed, boundary integers (at random offsets and at a format's header fields) and,
// for text such as JSON, boundary numbers and stray tokens.

/// A header field worth hitting with boundary values (a length, a dimension, an offset).
struct HotSpot {
    let offset: Int
    let width: Int  // 1, 2, 4 or 8 bytes
    let bigEndian: Bool
}

enum Mutator {
    /// Inputs never grow past this, so a run spends its time parsing, not copying.
    static let maximumSize = 1 << 17

    static let boundaryIntegers: [UInt64] = [
        0, 1, 2, 3, 4, 7, 8, 15, 16, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF,
        0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_FFFF_FFFF,
    ]

    static let boundaryNumbers = [
        "0", "-1", "1", "-0", "0.5", "1e308", "1e999", "-1e999", "2147483648", "4294967296",
        "9223372036854775807", "9223372036854775808", "18446744073709551615",
        "99999999999999999999999999", "1e15", "NaN", "0x10", "1.0", "3072",
    ]

    static let tokens = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "\"x\":1,", "\"\\n\"", "\"\\u0000\"",
        "\"__metadata__\":{},", String(repeating: "[", count: 700), String(repeating: "{\"a\":", count: 300),
        "\"dtype\":\"F64\"", "\"shape\":[-1]", "\"data_offsets\":[0,99999999]", "\u{FEFF}", "\u{00}",
    ]

    /// One to four stacked mutations of `input`; `others` are splice partners, `hotSpots` header fields.
    static func mutate(_ input: [UInt8], others: [[UInt8]], hotSpots: [HotSpot], rng: inout FuzzRandom) -> [UInt8] {
        var bytes = input
        for _ in 0...rng.below(4) {
            mutateOnce(&bytes, others: others, hotSpots: hotSpots, rng: &rng)
            if bytes.count > maximumSize { bytes.removeLast(bytes.count - maximumSize) }
        }
        return bytes
    }

    private static func mutateOnce(_ bytes: inout [UInt8], others: [[UInt8]], hotSpots: [HotSpot], rng: inout FuzzRandom) {
        switch rng.below(12) {
        case 0 where !bytes.isEmpty:  // flip one bit
            let i = rng.below(bytes.count)
            bytes[i] ^= 1 << UInt8(rng.below(8))
        case 1 where !bytes.isEmpty:  // an interesting byte
            bytes[rng.below(bytes.count)] = rng.pick([0, 1, 0x7F, 0x80, 0xFF, UInt8(truncatingIfNeeded: rng.next())])
        case 2:  // insert random or repeated bytes
            let at = rng.below(bytes.count + 1)
            let n = 1 + rng.below(rng.chance(1, in: 8) ? 4096 : 16)
            let fill = UInt8(truncatingIfNeeded: rng.next())
            let random = rng.chance(1, in: 2)
            var inserted = [UInt8](repeating: fill, count: n)
            if random { for k in 0..<n { inserted[k] = UInt8(truncatingIfNeeded: rng.next()) } }
            bytes.insert(contentsOf: inserted, at: at)
        case 3 where !bytes.isEmpty:  // delete a range
            let at = rng.below(bytes.count)
            let n = 1 + rng.below(min(bytes.count - at, rng.chance(1, in: 4) ? bytes.count : 16))
            bytes.removeSubrange(at..<at + n)
        case 4:  // truncate
            bytes.removeLast(bytes.count - rng.below(bytes.count + 1))
        case 5 where !others.isEmpty:  // splice: a prefix of this input, a suffix of another
            let other = rng.pick(others)
            let cut = rng.below(bytes.count + 1)
            let from = rng.below(other.count + 1)
            bytes = Array(bytes[..<cut]) + other[from...]
        case 6 where bytes.count >= 8:  // boundary integer at a random offset
            let width = rng.pick([1, 2, 4, 8])
            write(rng.pick(boundaryIntegers), at: rng.below(bytes.count - width + 1), width: width,
                  bigEndian: rng.chance(1, in: 2), into: &bytes, rng: &rng)
        case 7 where !hotSpots.isEmpty:  // boundary integer in a header field
            let spot = rng.pick(hotSpots)
            if spot.offset + spot.width <= bytes.count {
                write(rng.pick(boundaryIntegers), at: spot.offset, width: spot.width, bigEndian: spot.bigEndian,
                      into: &bytes, rng: &rng)
            }
        case 8 where bytes.count >= 2:  // copy a chunk over another place
            let n = 1 + rng.below(min(64, bytes.count / 2))
            let from = rng.below(bytes.count - n + 1)
            let to = rng.below(bytes.count - n + 1)
            let chunk = Array(bytes[from..<from + n])
            bytes.replaceSubrange(to..<to + n, with: chunk)
        case 9:  // replace a decimal number (JSON values, offsets, shapes) with a boundary number
            let runs = digitRuns(bytes)
            if let run = runs.isEmpty ? nil : rng.pick(runs) {
                bytes.replaceSubrange(run, with: Array(rng.pick(boundaryNumbers).utf8))
            }
        case 10:  // a stray token
            let at = rng.below(bytes.count + 1)
            bytes.insert(contentsOf: Array(rng.pick(tokens).utf8), at: at)
        default:  // replace a quoted string's contents (JSON keys and values)
            let strings = quotedRuns(bytes)
            if let run = strings.isEmpty ? nil : rng.pick(strings) {
                let replacement = rng.pick(["", "x", "a\\nb", "F16", "BF16", "I64", "images", "labels", "model",
                                            "\\ud800", "é", String(repeating: "z", count: 300), "cifar10", "folder"])
                bytes.replaceSubrange(run, with: Array(replacement.utf8))
            }
        }
    }

    /// Writes the low `width` bytes of `value` (sometimes negated or off by one) at `offset`.
    private static func write(_ value: UInt64, at offset: Int, width: Int, bigEndian: Bool,
                              into bytes: inout [UInt8], rng: inout FuzzRandom) {
        var v = value
        switch rng.below(4) {
        case 0: v = v &+ 1
        case 1: v = v &- 1
        default: break
        }
        for k in 0..<width {
            let shift = UInt64(8 * (bigEndian ? width - 1 - k : k))
            bytes[offset + k] = UInt8(truncatingIfNeeded: v >> shift)
        }
    }

    /// Ranges of ASCII digits.
    static func digitRuns(_ bytes: [UInt8]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start: Int? = nil
        for (i, b) in bytes.enumerated() {
            let digit = b >= 0x30 && b <= 0x39
            if digit, start == nil { start = i }
            if !digit, let s = start { runs.append(s..<i); start = nil }
            if runs.count >= 256 { return runs }
        }
        if let s = start { runs.append(s..<bytes.count) }
        return runs
    }

    /// Ranges between pairs of double quotes (a rough view of JSON strings).
    static func quotedRuns(_ bytes: [UInt8]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var open: Int? = nil
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\"") {
            if let o = open { runs.append(o + 1..<i); open = nil } else { open = i }
            if runs.count >= 256 { break }
        }
        return runs
    }
}
