// Labels from outside data checked against the head's class count before they reach
// `Tensor.crossEntropy`, whose range check is a precondition (a programmer error inside the op).

import Data

/// A label the model's head cannot score; the caller adds the data path.
public struct LabelRangeError: Error, CustomStringConvertible {
    public let label: Int
    /// The sample's index in its dataset.
    public let index: Int
    public let classes: Int

    public var description: String {
        "image \(index) has label \(label), but the model's head has \(classes) classes (labels 0-\(classes - 1)); evaluate or train on data with at most \(classes) classes"
    }

    /// Throws for the first label of `batch` outside 0..<classes.
    public static func check(_ batch: Batch, classes: Int) throws {
        for (position, label) in batch.labels.enumerated() where label < 0 || label >= classes {
            let index = position < batch.indices.count ? batch.indices[position] : position
            throw LabelRangeError(label: label, index: index, classes: classes)
        }
    }
}

/// An error of some data, named by its path (a file, folder or the config's dataset).
public struct DataPathError: Error, CustomStringConvertible {
    public let path: String
    public let underlying: Error
    public init(path: String, _ underlying: Error) {
        self.path = path
        self.underlying = underlying
    }
    public var description: String { "\(path): \(underlying)" }
}
