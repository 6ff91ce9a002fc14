// CIFAR-10, binary version: data_batch_1..5.bin (train) or test_batch.bin (test). A record is
// 1 label byte then 3072 pixel bytes: the R plane, then G, then B, each 32×32 row-major, so a
// record's pixels are already CHW. All records are read and checked at open; bytes stay UInt8.

import Foundation

public final class CIFAR10Dataset: ImageDataset {
    /// Bytes per record: label + 3·32·32 pixels.
    public static let recordSize = 3073
    public static let imageBytes = 3072
    public static let standardClassNames = ["airplane", "automobile", "bird", "cat", "deer",
                                            "dog", "frog", "horse", "ship", "truck"]
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFiles = ["test_batch.bin"]
    /// Name of the folder inside the official archive.
    public static let folderName = "cifar-10-batches-bin"

    public let split: Split
    /// The folder the batch files were read from.
    public let directory: String
    public let classNames: [String]
    public var count: Int { labels.count }
    public let channels = 3
    public let height = 32
    public let width = 32
    public var defaultNormalization: (mean: [Float], std: [Float]) { NormalizationDefaults.cifar10 }

    /// Labels, one per image.
    public private(set) var labels: [UInt8] = []
    /// Pixels, 3072 bytes per image, CHW.
    private var pixels: [UInt8] = []

    /// Opens the split. `root` is the folder holding the batch files, or its parent holding
    /// `cifar-10-batches-bin/`.
    public init(root: String, split: Split) throws {
        self.split = split
        let nested = FileBytes.join(root, Self.folderName)
        let files = split == .train ? Self.trainFiles : Self.testFiles
        if !FileBytes.isFile(FileBytes.join(root, files[0])) && FileBytes.isFile(FileBytes.join(nested, files[0])) {
            directory = nested
        } else {
            directory = root
        }
        classNames = Self.readClassNames(directory: directory)
        for name in files {
            try load(FileBytes.join(directory, name))
        }
    }

    private func load(_ path: String) throws {
        guard FileBytes.isFile(path) else {
            throw DatasetError(file: path, message: "file not found; put the CIFAR-10 binary batches (\(Self.folderName): data_batch_1..5.bin, test_batch.bin) there or run `vittrain data fetch cifar10`")
        }
        let bytes = try FileBytes.read(path)
        guard !bytes.isEmpty, bytes.count % Self.recordSize == 0 else {
            throw DatasetError(file: path, message: "truncated: \(bytes.count) bytes is not a multiple of the \(Self.recordSize)-byte record (1 label byte + 3072 pixel bytes)")
        }
        let records = bytes.count / Self.recordSize
        let firstImage = labels.count
        labels.reserveCapacity(labels.count + records)
        pixels.reserveCapacity(pixels.count + records * Self.imageBytes)
        try bytes.withUnsafeBufferPointer { src in
            for r in 0..<records {
                let label = src[r * Self.recordSize]
                guard label < 10 else {
                    throw DatasetError(file: path, message: "record \(r) (byte offset \(r * Self.recordSize)) has label \(label); expected 0-9")
                }
                labels.append(label)
                let start = r * Self.recordSize + 1
                pixels.append(contentsOf: UnsafeBufferPointer(rebasing: src[start..<start + Self.imageBytes]))
            }
        }
        assert(labels.count == firstImage + records)
    }

    /// Class names from batches.meta.txt (one per line, trimmed) when it holds ten, else the standard ten.
    static func readClassNames(directory: String) -> [String] {
        let path = FileBytes.join(directory, "batches.meta.txt")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return standardClassNames }
        let names = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return names.count == 10 ? names : standardClassNames
    }

    public func sample(at index: Int) throws -> (pixels: [Float], label: Int) {
        precondition(index >= 0 && index < count, "CIFAR-10 index \(index) out of range 0..<\(count)")
        let start = index * Self.imageBytes
        let out = pixels.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: Self.imageBytes) { dst, initialised in
                for i in 0..<Self.imageBytes { dst[i] = Float(src[start + i]) / 255 }
                initialised = Self.imageBytes
            }
        }
        return (out, Int(labels[index]))
    }

    /// The raw CHW bytes of image i (3072 values).
    public func bytes(at index: Int) -> ArraySlice<UInt8> {
        pixels[index * Self.imageBytes..<(index + 1) * Self.imageBytes]
    }
}
