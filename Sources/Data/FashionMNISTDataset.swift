// Fashion-MNIST from IDX files (raw or .gz): 28×28 grayscale, 10 classes. Looks in the given root,
// then Datasets/fashion-mnist, then the Debian package's folder. Optionally replicates the gray
// channel to three so RGB models (and ImageNet-pretrained patch embeddings) can take it.

import Foundation

public final class FashionMNISTDataset: ImageDataset {
    public static let debianDirectory = "/usr/share/datasets/fashion-mnist"
    public static let localDirectory = "Datasets/fashion-mnist"
    public static let standardClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    public let split: Split
    public let imagesPath: String
    public let labelsPath: String
    public let replicateToRGB: Bool
    public let classNames = FashionMNISTDataset.standardClassNames
    public var count: Int { labels.count }
    public var channels: Int { replicateToRGB ? 3 : 1 }
    public let height: Int
    public let width: Int
    public var defaultNormalization: (mean: [Float], std: [Float]) {
        let stats = NormalizationDefaults.fashionMNIST
        return replicateToRGB ? ([Float](repeating: stats.mean[0], count: 3), [Float](repeating: stats.std[0], count: 3)) : stats
    }

    public private(set) var labels: [UInt8]
    private let pixels: [UInt8]

    /// Opens the split, searching `root` (if given), then `Datasets/fashion-mnist`, then the Debian folder.
    public init(root: String?, split: Split, replicateToRGB: Bool = false) throws {
        self.split = split
        self.replicateToRGB = replicateToRGB
        let prefix = split == .train ? "train" : "t10k"
        let candidates = (root.map { [$0, FileBytes.join($0, "fashion-mnist")] } ?? []) + [Self.localDirectory, Self.debianDirectory]
        func locate(_ base: String) throws -> String {
            for dir in candidates {
                for name in [base + ".gz", base] where FileBytes.isFile(FileBytes.join(dir, name)) {
                    return FileBytes.join(dir, name)
                }
            }
            throw DatasetError(file: FileBytes.join(candidates[0], base + ".gz"),
                               message: "file not found (also looked in \(candidates.dropFirst().joined(separator: ", "))); install the Debian package dataset-fashion-mnist or put the four IDX files (raw or .gz) in \(root ?? Self.localDirectory)")
        }
        imagesPath = try locate("\(prefix)-images-idx3-ubyte")
        labelsPath = try locate("\(prefix)-labels-idx1-ubyte")
        let images = try IDXFile.read(imagesPath, expectedMagic: IDXFile.imagesMagic, what: "IDX images")
        let labelFile = try IDXFile.read(labelsPath, expectedMagic: IDXFile.labelsMagic, what: "IDX labels")
        guard images.dims.count == 3, images.dims[1] > 0, images.dims[2] > 0 else {
            throw DatasetError(file: imagesPath, message: "image dimensions \(images.dims); expected (count, height, width)")
        }
        guard labelFile.dims[0] == images.dims[0] else {
            throw DatasetError(file: labelsPath, message: "\(labelFile.dims[0]) labels but \(imagesPath) has \(images.dims[0]) images; the counts must agree")
        }
        if let bad = labelFile.bytes.firstIndex(where: { $0 >= 10 }) {
            throw DatasetError(file: labelsPath, message: "label \(bad) is \(labelFile.bytes[bad]); expected 0-9")
        }
        height = images.dims[1]
        width = images.dims[2]
        labels = labelFile.bytes
        pixels = images.bytes
    }

    public func sample(at index: Int) throws -> (pixels: [Float], label: Int) {
        precondition(index >= 0 && index < count, "Fashion-MNIST index \(index) out of range 0..<\(count)")
        let plane = height * width
        let start = index * plane
        let copies = channels
        let out = pixels.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: plane * copies) { dst, initialised in
                for i in 0..<plane {
                    let v = Float(src[start + i]) / 255
                    for c in 0..<copies { dst[c * plane + i] = v }
                }
                initialised = plane * copies
            }
        }
        return (out, Int(labels[index]))
    }
}
