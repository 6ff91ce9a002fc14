// The dataset abstraction shared by every loader: indexed samples as CHW Float32 pixels plus a label,
// and the split selector. Shape legend: C = channels, H = height, W = width.

/// Which part of a dataset to read. Datasets without an official split (synthetic) use a different
/// seed per split; `test` doubles as the validation split.
public enum Split: String, CaseIterable, Codable, Sendable {
    case train
    case test

    /// Parses "train", "test", "val" or "validation" (the last two mean `test`).
    public init?(name: String) {
        switch name.lowercased() {
        case "train", "training": self = .train
        case "test", "val", "valid", "validation", "eval": self = .test
        default: return nil
        }
    }
}

/// An indexed image-classification dataset.
public protocol ImageDataset: AnyObject {
    /// Number of samples.
    var count: Int { get }
    var channels: Int { get }
    var height: Int { get }
    var width: Int { get }
    /// Class names, index = label.
    var classNames: [String] { get }
    /// Pixels of sample i as CHW Float32 in [0, 1] (uint8/255; float datasets as stored), and its label.
    func sample(at index: Int) throws -> (pixels: [Float], label: Int)
    /// Optional object mask (H×W, 1 inside the object): the synthetic dataset has one.
    func mask(at index: Int) -> [Float]?
    /// Per-channel mean/std defaults for normalisation.
    var defaultNormalization: (mean: [Float], std: [Float]) { get }
}

extension ImageDataset {
    public func mask(at index: Int) -> [Float]? { nil }
    public var numClasses: Int { classNames.count }
    /// Elements in one sample (C·H·W).
    public var sampleSize: Int { channels * height * width }
}

/// Normalisation constants in common use.
public enum NormalizationDefaults {
    /// ImageNet mean/std (timm IMAGENET_DEFAULT_MEAN / STD).
    public static let imageNet: (mean: [Float], std: [Float]) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    /// CIFAR-10 training-set statistics as commonly quoted.
    public static let cifar10: (mean: [Float], std: [Float]) = ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])
    /// Fashion-MNIST training-set statistics.
    public static let fashionMNIST: (mean: [Float], std: [Float]) = ([0.2860], [0.3530])
    /// Maps [0, 1] to [-1, 1] (timm's "inception" constants).
    public static let half: (mean: [Float], std: [Float]) = ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
}
