// A guard for libhdf5 1.10 bugs found by fuzzing: its global-heap decoder loops forever on a
// collection whose free-space object (index 0) has size 0, and copies out of bounds (segfault) when
// an object's size runs past its collection. Variable-length
// strings (our string attributes) live in those heaps, so before reading one we walk every
// collection in the file ("GCOL" signature) ourselves and refuse a damaged file instead.
import Foundation

enum HDF5GlobalHeapCheck {
    /// Nil when every global heap collection in the file can be walked, else what is wrong (one line).
    static func damage(in path: String) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { return nil }
        return data.withUnsafeBytes { raw -> String? in
            let bytes = raw.bindMemory(to: UInt8.self)
            let n = bytes.count
            guard let base = raw.baseAddress else { return nil }
            func little(_ at: Int, _ width: Int) -> UInt64 {
                (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << UInt64(8 * $1) }
            }
            // "Size of lengths" from the superblock (byte 14 in versions 0-1, byte 10 from version 2).
            var lengthSize = 8
            if n >= 16, bytes[0] == 0x89, bytes[1] == 0x48 {
                let declared = Int(bytes[8] < 2 ? bytes[14] : bytes[10])
                if [2, 4, 8].contains(declared) { lengthSize = declared }
            }
            let headerSize = 16  // both the collection and the object headers are aligned to 8 bytes
            var from = 0
            while from < n, let found = memchr(base + from, 0x47, n - from) {  // 'G'
                let start = UnsafeRawPointer(found) - base
                from = start + 1
                guard start + 4 <= n, bytes[start + 1] == 0x43, bytes[start + 2] == 0x4F, bytes[start + 3] == 0x4C else { continue }  // "COL"
                guard start + 8 + lengthSize <= n else { return "global heap at byte \(start) is cut off by the end of the file" }
                let size = little(start + 8, lengthSize)
                guard size >= UInt64(headerSize), size <= UInt64(n - start) else {
                    return "global heap at byte \(start) declares \(size) bytes but the file holds \(n - start) from there"
                }
                let end = start + Int(size)
                var p = start + headerSize
                while p + headerSize <= end {
                    let index = little(p, 2)
                    let objectSize = little(p + 8, lengthSize)
                    // An object reaching past its collection makes libhdf5 copy out of bounds (a crash).
                    if index > 0 && objectSize > UInt64(end - p - headerSize) {
                        return "global heap at byte \(start) is damaged (object \(index) of \(objectSize) bytes runs past the collection's end)"
                    }
                    let need = index > 0 ? UInt64(headerSize) &+ ((objectSize &+ 7) & ~7) : objectSize
                    if need == 0 { return "global heap at byte \(start) is damaged (an empty object at byte \(p))" }
                    if need >= UInt64(end - p) { break }
                    p += Int(need)
                }
            }
            return nil
        }
    }
}
