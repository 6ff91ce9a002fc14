// Regenerates Tests/Fixtures/FuzzCorpus with our own writers (run once, then commit):
//   VITTRAIN_FUZZ_WRITE_CORPUS=1 swift test -c release --filter FuzzTests.SeedCorpusTests
// Every seed is small (a few KB) and valid; the fuzzers start from them.
import Foundation
import Data
import FileFormats
import Models
import Training

enum CorpusWriter {
    static func writeAll(repository: URL) throws {
        let root = SeedCorpus.folder
        func folder(_ name: String) throws -> String {
            let path = root.appendingPathComponent(name).path
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }
        func put(_ bytes: [UInt8], _ path: String) throws { try Foundation.Data(bytes).write(to: URL(fileURLWithPath: path)) }
        func copy(_ from: String, _ to: String) throws { try FileManager.default.copyItem(atPath: from, toPath: to) }

        // config: the shipped configs, and every key with its default.
        let config = try folder("config")
        for name in ["quickstart.json", "cifar10-tiny.json", "fashion-mnist-tiny.json"] {
            try copy(repository.appendingPathComponent("Configs/\(name)").path, "\(config)/\(name)")
        }
        try put(Array(RunConfig().jsonString().utf8), "\(config)/all-defaults.json")

        // safetensors: the committed reference file, one of ours with metadata, one F16 + BF16 by hand.
        let safetensors = try folder("safetensors")
        try copy(repository.appendingPathComponent("Tests/Fixtures/FileFormats/reference.safetensors").path,
                 "\(safetensors)/reference.safetensors")
        let ours = try Safetensors.encode([("head.weight", [2, 3], [1, -2, 3.5, 0, 1e-3, -7]), ("head.bias", [2], [0.5, -0.5]),
                                           ("scalar", [], [42])], metadata: ["format": "pt"])
        try put([UInt8](ours), "\(safetensors)/ours.safetensors")
        let header = #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[4,8]}}"#
        var half = Array(header.utf8)
        while half.count % 8 != 0 { half.append(0x20) }
        var halfFile: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: half.count >> (8 * $0)) } + half
        halfFile += [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0xC0]
        try put(halfFile, "\(safetensors)/half.safetensors")

        // checkpoint: a tiny but complete one (config, model config, parameters, optimizer, rng, metrics).
        let checkpoint = try folder("checkpoint")
        var run = RunConfig()
        run.name = "fuzz-seed"
        let model = ViTConfig(imageSize: 8, patchSize: 4, inChannels: 1, numClasses: 2, embedDim: 4, depth: 1, numHeads: 1)
        let state = Checkpoint(config: run, modelConfig: model, epoch: 1, batchInEpoch: 2, step: 3,
                               parameters: [("cls_token", [1, 1, 4], [0.1, 0.2, 0.3, 0.4]), ("head.bias", [2], [1, -1])],
                               optimizerStep: 3,
                               modelRandomState: [1, 2, 3, 4], metricsHistory: [#"{"step":3,"loss":0.5}"#], bestAccuracy: 0.5)
        try state.write(to: "\(checkpoint)/checkpoint.h5")
        // AdamW moments as Checkpoint.write stores them (AdamWState cannot be built outside Training).
        let withMoments = try HDF5File.open("\(checkpoint)/checkpoint.h5", writable: true)
        try withMoments.write([Float(0.1), 0.2], shape: [2], to: "optimizer/exp_avg/head.bias")
        try withMoments.write([Float(0.01), 0.02], shape: [2], to: "optimizer/exp_avg_sq/head.bias")
        try withMoments.closeChecked()

        // hdf5-arrays: uint8 images with class names; float32 images gzip-compressed in chunks.
        let arrays = try folder("hdf5-arrays")
        let small = try HDF5File.create("\(arrays)/uint8.h5")
        try small.write((0..<32).map { UInt8($0 * 7 % 256) }, shape: [2, 1, 4, 4], to: "images")
        try small.write([Int64(0), 1], shape: [2], to: "labels")
        try small.setAttribute("class_names", #"["cat","dog"]"#)
        try small.closeChecked()
        let compressed = try HDF5File.create("\(arrays)/float32-gzip.h5")
        try compressed.write((0..<24).map { Float($0) / 24 }, shape: [2, 3, 2, 2], to: "images", compression: 4)
        try compressed.write([Int32(1), 0], shape: [2], to: "labels")
        try compressed.closeChecked()

        // png: a few of the committed colour types and bit depths.
        let png = try folder("png")
        for name in ["gray1", "gray8", "palette8_trns", "rgb16", "rgb8_interlaced", "rgba8"] {
            try copy(repository.appendingPathComponent("Tests/Fixtures/FileFormats/png/\(name).png").path, "\(png)/\(name).png")
        }

        // idx: 2 images of 4×4 and their labels, raw and gzip.
        let idx = try folder("idx")
        let images = IDXFile.encode(dims: [2, 4, 4], bytes: (0..<32).map { UInt8($0 * 5) })
        let labels = IDXFile.encode(dims: [2], bytes: [3, 9])
        try put(images, "\(idx)/images.idx")
        try put(labels, "\(idx)/labels.idx")
        try put(try Gzip.compress(images), "\(idx)/images.idx.gz")
        try put(try Gzip.compress(labels), "\(idx)/labels.idx.gz")

        // cifar: two records (label byte + 3072 pixel bytes each).
        let cifar = try folder("cifar")
        var records: [UInt8] = []
        for (r, label) in [UInt8(6), 9].enumerated() {
            records.append(label)
            records += (0..<3072).map { UInt8(truncatingIfNeeded: $0 * (r + 3)) }
        }
        try put(records, "\(cifar)/test_batch.bin")
    }
}
