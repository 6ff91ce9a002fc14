// Opening a dataset by name ("synthetic", "cifar10", "fashion-mnist", "folder", "hdf5") for the
// trainer's config and `vittrain eval --data PATH`, and guessing the kind from what is at a path.

import Foundation

public enum DatasetKind: String, CaseIterable, Sendable {
    case synthetic
    case cifar10
    case fashionMNIST = "fashion-mnist"
    case folder
    case hdf5

    /// Canonical names and common spellings ("cifar-10", "fmnist", "h5", ...).
    public init?(name: String) {
        let key = name.lowercased().filter { $0.isLetter || $0.isNumber }
        switch key {
        case "synthetic", "shapes", "syntheticshapes": self = .synthetic
        case "cifar10", "cifar": self = .cifar10
        case "fashionmnist", "fmnist": self = .fashionMNIST
        case "folder", "imagefolder", "png", "pngfolder": self = .folder
        case "hdf5", "h5": self = .hdf5
        default: return nil
        }
    }

    /// Names accepted by `openDataset`, for error messages and help.
    public static var names: [String] { allCases.map(\.rawValue) }

    /// Default sample counts of the synthetic dataset.
    public static let syntheticTrainCount = 6000
    public static let syntheticTestCount = 1200

    /// Opens a dataset by kind name.
    /// - Parameters:
    ///   - root: where the files are (nil: `Datasets/` for CIFAR-10, the usual places for
    ///     Fashion-MNIST). For hdf5, a file, or a folder holding `<split>.h5`.
    ///   - imageSize: synthetic image size (default 32) and the size PNG folders are resized to
    ///     (default 224); the other kinds keep their stored size (the loader resizes).
    ///   - channels: 3 makes Fashion-MNIST replicate its gray channel.
    ///   - count: synthetic sample count (default 6000 train / 1200 test).
    ///   - seed: synthetic dataset seed (the split picks a separate stream).
    public static func openDataset(kind: String, root: String?, split: Split, imageSize: Int? = nil,
                                   channels: Int? = nil, count: Int? = nil, seed: UInt64 = 0) throws -> ImageDataset {
        guard let parsed = DatasetKind(name: kind) else {
            throw DatasetError(file: root ?? "data.dataset", message: "unknown dataset kind '\(kind)'; expected one of \(names.joined(separator: ", "))")
        }
        switch parsed {
        case .synthetic:
            let n = count ?? (split == .train ? syntheticTrainCount : syntheticTestCount)
            let size = imageSize ?? 32
            guard n > 0, size >= 8 else {
                throw DatasetError(file: "synthetic", message: "count \(n) and image size \(size); expected count > 0 and size ≥ 8")
            }
            return SyntheticShapesDataset(count: n, imageSize: size, seed: seed, split: split)
        case .cifar10:
            return try CIFAR10Dataset(root: root ?? "Datasets", split: split)
        case .fashionMNIST:
            return try FashionMNISTDataset(root: root, split: split, replicateToRGB: channels == 3)
        case .folder:
            guard let root else {
                throw DatasetError(file: "data.root", message: "no path given; the folder dataset needs root/<class>/*.png (or root/train/<class>/*.png)")
            }
            return try ImageFolderDataset(root: folderRoot(root: root, split: split), imageSize: imageSize ?? 224)
        case .hdf5:
            guard let root else {
                throw DatasetError(file: "data.root", message: "no path given; the hdf5 dataset needs a .h5 file or a folder with train.h5 / test.h5")
            }
            return try HDF5ArrayDataset(path: hdf5File(root: root, split: split))
        }
    }

    /// The HDF5 file for a split: `root` itself, or `root/<split>.h5` (also .hdf5, and val.h5 for test).
    static func hdf5File(root: String, split: Split) throws -> String {
        guard FileBytes.isDirectory(root) else { return root }
        let stems = split == .train ? ["train"] : ["test", "val", "validation"]
        for stem in stems {
            for ext in ["h5", "hdf5"] where FileBytes.isFile(FileBytes.join(root, "\(stem).\(ext)")) {
                return FileBytes.join(root, "\(stem).\(ext)")
            }
        }
        throw DatasetError(file: root, message: "no \(stems[0]).h5 in this folder; expected an HDF5 file or a folder holding \(stems.map { $0 + ".h5" }.joined(separator: " / "))")
    }

    /// The folder of class folders for a split: `root/train` or `root/test` (also `val`,
    /// `validation`) when present, else `root` itself.
    static func folderRoot(root: String, split: Split) -> String {
        let stems = split == .train ? ["train"] : ["test", "val", "validation"]
        for stem in stems where FileBytes.isDirectory(FileBytes.join(root, stem)) && ImageFolderLayout.isImageFolder(FileBytes.join(root, stem)) {
            return FileBytes.join(root, stem)
        }
        return root
    }

    /// Guesses the dataset kind from what is at `path`: a folder with data_batch_1.bin → cifar10;
    /// IDX files → fashion-mnist; a .h5/.hdf5 file (or a folder of them) → hdf5; a folder of
    /// class folders holding PNGs (directly or under train/) → folder. Nil when nothing fits.
    public static func detect(path: String) -> String? {
        let fm = FileManager.default
        if FileBytes.isFile(path) {
            let ext = (path as NSString).pathExtension.lowercased()
            return ["h5", "hdf5", "hdf"].contains(ext) ? DatasetKind.hdf5.rawValue : nil
        }
        guard FileBytes.isDirectory(path), let entries = try? fm.contentsOfDirectory(atPath: path) else { return nil }
        let names = Set(entries)
        if !names.isDisjoint(with: CIFAR10Dataset.trainFiles + CIFAR10Dataset.testFiles)
            || FileBytes.isFile(FileBytes.join(FileBytes.join(path, CIFAR10Dataset.folderName), "data_batch_1.bin"))
            || FileBytes.isFile(FileBytes.join(FileBytes.join(path, CIFAR10Dataset.folderName), "test_batch.bin")) {
            return DatasetKind.cifar10.rawValue
        }
        if entries.contains(where: { $0.contains("-idx3-ubyte") }) {
            return DatasetKind.fashionMNIST.rawValue
        }
        if entries.contains(where: { ["h5", "hdf5"].contains(($0 as NSString).pathExtension.lowercased()) }) {
            return DatasetKind.hdf5.rawValue
        }
        if ImageFolderLayout.isImageFolder(path) || ImageFolderLayout.isImageFolder(FileBytes.join(path, "train")) {
            return DatasetKind.folder.rawValue
        }
        return nil
    }
}

/// Recognising `root/<class>/*.png` layouts.
enum ImageFolderLayout {
    /// Whether `path` holds at least one sub-folder with a .png file.
    static func isImageFolder(_ path: String) -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return false }
        for entry in entries where !entry.hasPrefix(".") {
            let sub = FileBytes.join(path, entry)
            guard FileBytes.isDirectory(sub), let files = try? FileManager.default.contentsOfDirectory(atPath: sub) else { continue }
            if files.contains(where: { $0.lowercased().hasSuffix(".png") }) { return true }
        }
        return false
    }
}
