// The parsers of outside bytes, each wrapped as a fuzz target: JSON config, safetensors, HDF5
// checkpoints (and HDF5 files walked generically), HDF5 array datasets, PNG (alone and in a class
// folder), IDX (raw and gzip) and CIFAR-10 batches.
import Foundation
import Data
import FileFormats
import Training

enum FuzzTargets {
    static var all: [FuzzTarget] { [config, safetensors, checkpoint, hdf5Arrays, png, idx, cifar] }

    private static func write(_ bytes: [UInt8], _ path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Foundation.Data(bytes))
    }

    /// `--set` overrides tried alongside the mutated file (they are outside input too).
    static let overrides: [[String]] = [
        [], [], [], ["train.epochs=2"], ["optim.lr=fast"], ["model=3"], ["model.embed_dim=1e400"],
        ["a..b=1"], ["=x"], ["data.dataset=folder"], ["optim.betas=[0.9]"], ["name=\"a\\nb\""], ["train"],
    ]

    static let config = FuzzTarget(name: "config", seeds: SeedCorpus.seeds("config"), hotSpots: []) { input, dir, i in
        let file = "\(dir)/config.json"
        let extra = overrides[i % overrides.count]
        if i % 2 == 0 {
            var object = try ConfigReader.parse(Foundation.Data(input), file: file)
            try RunConfig.applyOverrides(extra, to: &object)
            _ = try RunConfig.read(object)
        } else {
            write(input, file)
            _ = try RunConfig.load(path: file, overrides: extra)
        }
    }

    // The 8-byte header length, read whole and by halves.
    static let safetensors = FuzzTarget(
        name: "safetensors", seeds: SeedCorpus.seeds("safetensors"),
        hotSpots: [HotSpot(offset: 0, width: 8, bigEndian: false), HotSpot(offset: 0, width: 4, bigEndian: false),
                   HotSpot(offset: 4, width: 4, bigEndian: false)]
    ) { input, dir, i in
        let file = "\(dir)/weights.safetensors"
        switch i % 3 {
        case 0: _ = try Safetensors.decode(Foundation.Data(input), name: file)
        case 1: _ = try Safetensors.decode(Foundation.Data(input), name: file, skippingUnsupportedDTypes: true)
        default:
            write(input, file)
            _ = try Safetensors.inspect(file)
            _ = try Safetensors.read(file)
        }
    }

    /// Superblock (version 0, as libhdf5 1.10 writes by default) fields: versions, offset and length
    /// sizes, B-tree K values, base / free-space / end-of-file / driver addresses, root symbol entry.
    static let hdf5SuperblockFields: [HotSpot] =
        [(8, 1), (9, 1), (10, 1), (13, 1), (14, 1), (16, 2), (18, 2), (20, 4), (24, 8), (32, 8), (40, 8), (48, 8),
         (56, 8), (64, 8), (72, 4), (80, 8), (88, 8)].map { HotSpot(offset: $0.0, width: $0.1, bigEndian: false) }

    static let checkpoint = FuzzTarget(name: "checkpoint", seeds: SeedCorpus.seeds("checkpoint"),
                                       hotSpots: hdf5SuperblockFields) { input, dir, i in
        let file = "\(dir)/checkpoint.h5"
        write(input, file)
        if i % 2 == 0 {
            _ = try Checkpoint.read(file)
        } else {
            try walkHDF5(file)
        }
    }

    /// Opens any HDF5 file and reads every dataset and the checkpoint's attributes by name, the
    /// calls the CLI makes. (Not `attributeNames`: libhdf5 1.10 segfaults listing a damaged
    /// attribute message, see README "Bad input"; nothing in vittrain lists attributes.)
    static func walkHDF5(_ file: String) throws {
        let h5 = try HDF5File.open(file)
        defer { h5.close() }
        for name in ["format", "config", "model_config", "metrics_history"] where h5.hasAttribute(name) {
            _ = try h5.stringAttribute(name)
        }
        for name in ["version", "epoch", "batch_in_epoch", "step"] where h5.hasAttribute(name) { _ = try h5.intAttribute(name) }
        if h5.hasAttribute("best_accuracy") { _ = try h5.doubleAttribute("best_accuracy") }
        for path in try h5.datasetPaths() {
            _ = try h5.elementType(of: path)
            let shape = try h5.shape(of: path)
            _ = try h5.readFloats(path)
            if let rows = shape.first, rows > 0 { _ = try h5.readFloatRows(path, range: 0..<1) }
        }
    }

    static let hdf5Arrays = FuzzTarget(name: "hdf5-arrays", seeds: SeedCorpus.seeds("hdf5-arrays"),
                                       hotSpots: hdf5SuperblockFields) { input, dir, i in
        let file = "\(dir)/arrays.h5"
        write(input, file)
        let dataset = try HDF5ArrayDataset(path: file, numClasses: i % 2 == 0 ? nil : 2)
        if dataset.count > 0 { _ = try dataset.sample(at: dataset.count - 1) }
    }

    /// PNG: signature, IHDR length, width and height (big-endian), bit depth, colour type, interlace.
    static let png = FuzzTarget(
        name: "png", seeds: SeedCorpus.seeds("png"),
        hotSpots: [(8, 4), (16, 4), (20, 4), (24, 1), (25, 1), (26, 1), (27, 1), (28, 1), (29, 4), (33, 4)]
            .map { HotSpot(offset: $0.0, width: $0.1, bigEndian: true) }
    ) { input, dir, i in
        if i % 4 != 3 {
            _ = try PNG.decode(Foundation.Data(input), name: "\(dir)/image.png")
            return
        }
        // A class folder holding the image, read as the folder dataset does.
        try FileManager.default.createDirectory(atPath: "\(dir)/root/cat", withIntermediateDirectories: true)
        write(input, "\(dir)/root/cat/image.png")
        let dataset = try ImageFolderDataset(root: "\(dir)/root", imageSize: (height: 8, width: 8))
        try dataset.validate()
        _ = try dataset.sample(at: 0)
    }

    /// IDX: type and rank bytes, then the first three big-endian dimensions.
    static let idx = FuzzTarget(
        name: "idx", seeds: SeedCorpus.seeds("idx"),
        hotSpots: [(2, 1), (3, 1), (4, 4), (8, 4), (12, 4)].map { HotSpot(offset: $0.0, width: $0.1, bigEndian: true) }
    ) { input, dir, i in
        let file = "\(dir)/data.idx"
        write(input, file)
        // The magic the content claims (read through gzip), so mutants get past it; every fifth
        // input expects the other kind of file instead.
        let plain = Gzip.isGzip(input) ? ((try? Gzip.decompress(input, name: file)) ?? []) : input
        let claimsLabels = plain.count > 3 && plain[3] == 1
        let labels = i % 5 == 4 ? !claimsLabels : claimsLabels
        _ = try IDXFile.read(file, expectedMagic: labels ? IDXFile.labelsMagic : IDXFile.imagesMagic,
                             what: labels ? "IDX labels" : "IDX images")
    }

    /// CIFAR-10: the label bytes of the first two records.
    static let cifar = FuzzTarget(
        name: "cifar", seeds: SeedCorpus.seeds("cifar"),
        hotSpots: [HotSpot(offset: 0, width: 1, bigEndian: false), HotSpot(offset: 3073, width: 1, bigEndian: false)]
    ) { input, dir, _ in
        write(input, "\(dir)/test_batch.bin")
        let dataset = try CIFAR10Dataset(root: dir, split: .test)
        if dataset.count > 0 { _ = try dataset.sample(at: dataset.count - 1) }
    }
}
