// A fuzz target: a parser of outside bytes, its seed corpus, the header fields worth hitting, how
// to hand it one input, and the rule its errors must follow (one line, naming the file or key).
import Foundation
import Data
import FileFormats
import Training

struct FuzzTarget {
    let name: String
    /// Valid inputs (Tests/Fixtures/FuzzCorpus/<name>/), sorted by file name.
    let seeds: [[UInt8]]
    let hotSpots: [HotSpot]
    /// Feeds one input; `directory` is an empty folder for this iteration's files.
    let feed: (_ input: [UInt8], _ directory: String, _ iteration: Int) throws -> Void

    /// Input `iteration` of run `seed`: every third input walks through the truncations of the
    /// seeds (every length of small seeds, a stride through large ones), the rest are mutants.
    func input(_ iteration: Int, seed: UInt64) -> [UInt8] {
        if iteration % 3 == 0 {
            var k = iteration / 3
            for s in seeds {
                let stride = max(1, s.count / 2048)
                let lengths = (s.count + stride - 1) / stride
                if k < lengths { return Array(s.prefix(k * stride)) }
                k -= lengths
            }
        }
        var rng = FuzzRandom(seed: seed, target: name, iteration: iteration)
        return Mutator.mutate(rng.pick(seeds), others: seeds, hotSpots: hotSpots, rng: &rng)
    }

    /// Why a thrown error breaks the rules, or nil if it is fine: the project's typed errors only,
    /// one non-empty line, naming the file (its folder) or a config key.
    func judge(_ error: Error, _ message: String, _ directory: String) -> String? {
        let typed = error is FileFormatError || error is DatasetError || error is ConfigError || error is ConfigErrors
        if !typed { return "untyped error \(type(of: error))" }
        if message.isEmpty { return "empty message" }
        if message.contains(where: \.isNewline) { return "message spans several lines" }
        if !message.contains(directory) && !message.hasPrefix("config key '") && !message.contains("problems in the config: ") {
            return "message names neither the file nor a config key"
        }
        return nil
    }
}

/// The checked-in corpus: Tests/Fixtures/FuzzCorpus/<target>/*.
enum SeedCorpus {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/FuzzCorpus")

    static func seeds(_ target: String) -> [[UInt8]] {
        let dir = folder.appendingPathComponent(target)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return names.compactMap { try? [UInt8](Foundation.Data(contentsOf: dir.appendingPathComponent($0))) }
    }
}
