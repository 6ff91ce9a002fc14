// PNG images in class folders, `root/<class>/**/*.png`, as torchvision's ImageFolder: classes are
// the sub-folders sorted by name (code-point order, like Python's sorted), files sorted folder by
// folder. Images are decoded lazily in `sample(at:)` and resized bilinearly to the requested size.

import Foundation
import FileFormats

public final class ImageFolderDataset: ImageDataset {
    public let root: String
    public let classNames: [String]
    /// (path, label) of every image, in dataset order.
    public let files: [(path: String, label: Int)]
    public let channels = 3
    public let height: Int
    public let width: Int
    public var count: Int { files.count }
    public var defaultNormalization: (mean: [Float], std: [Float]) { NormalizationDefaults.imageNet }

    /// Image formats we recognise but cannot decode: better a clear error than silently skipping them.
    static let unsupportedImageExtensions: Set<String> = ["jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff", "ppm", "pgm"]

    /// Lists `root/<class>/…/*.png`; every image is resized to `imageSize` when read.
    public init(root: String, imageSize: (height: Int, width: Int)) throws {
        guard imageSize.height > 0, imageSize.width > 0 else {
            throw DatasetError(file: root, message: "image size \(imageSize.height)×\(imageSize.width); expected positive sizes")
        }
        guard FileBytes.isDirectory(root) else {
            throw DatasetError(file: root, message: "no such folder; expected root/<class>/*.png")
        }
        let fm = FileManager.default
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: root) } catch {
            throw DatasetError(file: root, message: "cannot list folder (\(error.localizedDescription))")
        }
        let classes = entries.filter { !$0.hasPrefix(".") && FileBytes.isDirectory(FileBytes.join(root, $0)) }
            .sorted(by: Self.codePointOrder)
        guard !classes.isEmpty else {
            throw DatasetError(file: root, message: "no class folders; expected root/<class>/*.png (one sub-folder per class)")
        }
        var files: [(String, Int)] = []
        for (label, name) in classes.enumerated() {
            let classDir = FileBytes.join(root, name)
            let images = try Self.listImages(classDir)
            guard !images.isEmpty else {
                throw DatasetError(file: classDir, message: "class folder holds no .png files; every class needs at least one image")
            }
            files += images.map { ($0, label) }
        }
        self.root = root
        self.classNames = classes
        self.files = files
        height = imageSize.height
        width = imageSize.width
    }

    /// Square images of `imageSize`×`imageSize`.
    public convenience init(root: String, imageSize: Int) throws {
        try self.init(root: root, imageSize: (imageSize, imageSize))
    }

    /// PNG paths under `folder`: files of a folder sorted by name, folders visited in sorted path
    /// order (what sorted(os.walk(...)) gives torchvision).
    static func listImages(_ folder: String) throws -> [String] {
        var folders = [folder]
        var queue = [folder]
        while let current = queue.popLast() {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: current)) ?? []
            for entry in entries where !entry.hasPrefix(".") {
                let path = FileBytes.join(current, entry)
                if FileBytes.isDirectory(path) {
                    folders.append(path)
                    queue.append(path)
                }
            }
        }
        var images: [String] = []
        for dir in folders.sorted(by: codePointOrder) {
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted(by: codePointOrder)
            for entry in entries where !entry.hasPrefix(".") {
                let path = FileBytes.join(dir, entry)
                guard FileBytes.isFile(path) else { continue }
                let ext = (entry as NSString).pathExtension.lowercased()
                if ext == "png" {
                    images.append(path)
                } else if unsupportedImageExtensions.contains(ext) {
                    throw DatasetError(file: path, message: "only PNG images are supported; convert it to .png (other files such as .txt are ignored)")
                }
            }
        }
        return images
    }

    static func codePointOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }

    /// Decodes image i, converts it to CHW in [0, 1] and resizes it.
    public func sample(at index: Int) throws -> (pixels: [Float], label: Int) {
        precondition(index >= 0 && index < count, "image folder index \(index) out of range 0..<\(count)")
        let (path, label) = files[index]
        let image: RGBImage
        do {
            image = try PNG.read(path)
        } catch let error as FileFormatError {
            throw DatasetError(file: path, message: error.message)
        } catch {
            throw DatasetError(file: path, message: "cannot read PNG (\(error.localizedDescription))")
        }
        guard image.width > 0, image.height > 0, image.pixels.count == image.width * image.height * 3 else {
            throw DatasetError(file: path, message: "decoded to \(image.width)×\(image.height) with \(image.pixels.count) bytes; expected a non-empty RGB image")
        }
        let plane = image.width * image.height
        let chw = image.pixels.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: 3 * plane) { dst, initialised in
                for p in 0..<plane {
                    for c in 0..<3 { dst[c * plane + p] = Float(src[3 * p + c]) / 255 }
                }
                initialised = 3 * plane
            }
        }
        let resized = Resize.bilinear(chw, channels: 3, inHeight: image.height, inWidth: image.width,
                                      outHeight: height, outWidth: width)
        return (resized, label)
    }

    /// Decodes every image (in parallel) and throws the error of the first one, in dataset order,
    /// that fails — so a corrupt file is found before training starts.
    public func validate() throws {
        let lock = NSLock()
        var first: (index: Int, error: Error)?
        Parallel.forEach(count) { i in
            do { _ = try self.sample(at: i) } catch {
                lock.lock()
                if first == nil || i < first!.index { first = (i, error) }
                lock.unlock()
            }
        }
        if let first { throw first.error }
    }
}
