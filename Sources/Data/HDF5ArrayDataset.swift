// Images and labels stored as arrays in an HDF5 file: dataset `images` (N, C, H, W) uint8
// (divided by 255) or float32 (used as stored) and dataset `labels` (N) of any integer type.
// Everything is read at open, so sampling never touches libhdf5 from the loader's threads.

import Foundation
import FileFormats

public final class HDF5ArrayDataset: ImageDataset {
    public let path: String
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let classNames: [String]
    public let labels: [Int]
    /// The most classes labels may imply (ImageNet-21k has 21,843).
    public static let maximumClassCount = 1_000_000
    /// Whether `images` is stored as uint8 (else float, kept as stored).
    public let isUInt8: Bool
    private let bytes: [UInt8]
    private let floats: [Float]

    /// ImageNet defaults for 3 channels, 0.5/0.5 otherwise.
    public var defaultNormalization: (mean: [Float], std: [Float]) {
        channels == 3 ? NormalizationDefaults.imageNet
            : ([Float](repeating: 0.5, count: channels), [Float](repeating: 0.5, count: channels))
    }

    /// Opens `path`. Class names come from a `class_names` string attribute on the file root or on
    /// `labels` (a JSON list, or names separated by newlines or commas), else `class_0` … `class_k`
    /// up to the largest label. `numClasses`, when given, sets the class count (labels must be below it).
    public init(path: String, numClasses: Int? = nil) throws {
        self.path = path
        let file: HDF5File
        do {
            file = try HDF5File.open(path)
        } catch let error as FileFormatError {
            throw DatasetError(file: error.file, message: error.message)
        }
        defer { file.close() }
        guard file.exists("images") else {
            throw DatasetError(file: path, message: "no dataset 'images'; expected images of shape (N, C, H, W), uint8 or float32")
        }
        guard file.exists("labels") else {
            throw DatasetError(file: path, message: "no dataset 'labels'; expected integer labels of shape (N)")
        }
        do {
            let shape = try file.shape(of: "images")
            guard shape.count == 4, shape.allSatisfy({ $0 > 0 }) else {
                throw DatasetError(file: path, message: "dataset 'images' has shape \(shape); expected (N, C, H, W) with every extent positive")
            }
            let type = try file.elementType(of: "images")
            switch type {
            case .uint8:
                isUInt8 = true
                bytes = try file.readUInt8("images").values
                floats = []
            case .float32, .float64:
                isUInt8 = false
                floats = try file.readFloats("images").values
                bytes = []
            default:
                throw DatasetError(file: path, message: "dataset 'images' holds \(type.rawValue); expected uint8 or float32")
            }
            let labelShape = try file.shape(of: "labels")
            let labelType = try file.elementType(of: "labels")
            guard [.int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64].contains(labelType) else {
                throw DatasetError(file: path, message: "dataset 'labels' holds \(labelType.rawValue); expected integer labels of shape (N)")
            }
            guard labelShape == [shape[0]] else {
                throw DatasetError(file: path, message: "dataset 'labels' has shape \(labelShape); expected (\(shape[0])) to match the \(shape[0]) images")
            }
            labels = try file.readInt64("labels").values.map { Int($0) }
            count = shape[0]
            channels = shape[1]
            height = shape[2]
            width = shape[3]
            // Without a class count the labels set one (largest + 1), so a wild value would ask
            // for that many class names; no real label set comes near the cap.
            let limit = numClasses ?? Self.maximumClassCount
            if let bad = labels.firstIndex(where: { label in label < 0 || label >= limit }) {
                let expected = numClasses.map { "0-\($0 - 1)" } ?? "a class index in 0..<\(Self.maximumClassCount)"
                throw DatasetError(file: path, message: "label \(bad) is \(labels[bad]); expected \(expected)")
            }
            let names = try Self.readClassNames(file)
            let classes = numClasses ?? max(names?.count ?? 0, (labels.max() ?? -1) + 1)
            if let names {
                guard names.count == classes, (labels.max() ?? -1) < names.count else {
                    throw DatasetError(file: path, message: "attribute 'class_names' lists \(names.count) classes but the labels need \(max(classes, (labels.max() ?? -1) + 1))")
                }
                classNames = names
            } else {
                classNames = (0..<classes).map { "class_\($0)" }
            }
        } catch let error as FileFormatError {
            throw DatasetError(file: error.file, message: error.message)
        }
    }

    static func readClassNames(_ file: HDF5File) throws -> [String]? {
        for owner in ["/", "labels"] where file.hasAttribute("class_names", on: owner) {
            let text = try file.stringAttribute("class_names", on: owner)
            if text.hasPrefix("["), let data = text.data(using: .utf8),
               let list = try? JSONDecoder().decode([String].self, from: data) {
                return list
            }
            let separator: Character = text.contains("\n") ? "\n" : ","
            return text.split(separator: separator).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return nil
    }

    public func sample(at index: Int) throws -> (pixels: [Float], label: Int) {
        precondition(index >= 0 && index < count, "HDF5 dataset index \(index) out of range 0..<\(count)")
        let n = channels * height * width
        let start = index * n
        if isUInt8 {
            let out = bytes.withUnsafeBufferPointer { src in
                [Float](unsafeUninitializedCapacity: n) { dst, initialised in
                    for i in 0..<n { dst[i] = Float(src[start + i]) / 255 }
                    initialised = n
                }
            }
            return (out, labels[index])
        }
        return (Array(floats[start..<start + n]), labels[index])
    }
}
