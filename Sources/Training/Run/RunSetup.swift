// Everything a run is built from, checked before the first step: the datasets, the model
// (preset + overrides, sized to the data), initial weights, freezing and the loaders. Problems
// are gathered and reported together, so a typo does not surface hours into a run.

import Data
import FileFormats
import Foundation
import Models

/// Every problem found while preparing a run, one per line of the message.
public struct SetupError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        problems.count == 1 ? problems[0]
            : "\(problems.count) problems prevent the run from starting:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

public final class RunSetup {
    public let config: RunConfig
    public let runDirectory: String
    public let model: VisionTransformer
    public let trainSet: ImageDataset
    public let valSet: ImageDataset
    public let trainLoader: DataLoader
    public let valLoader: DataLoader
    /// What the setup did that a user should know (head re-initialised, pos_embed resampled, frozen count).
    public private(set) var notes: [String] = []

    /// Builds the run. With `loadInitialWeights` false the init checkpoint is not loaded (a
    /// resumed run restores its own weights).
    public init(config: RunConfig, loadInitialWeights: Bool = true) throws {
        self.config = config
        var problems: [String] = []
        runDirectory = config.checkpoint.dir ?? "Checkpoints/\(config.name)"

        // Data first: the model's channels and classes default to the dataset's.
        var train: ImageDataset?, val: ImageDataset?
        do {
            train = try RunSetup.openDataset(config.data, split: .train, modelImageSize: config.model.imgSize)
            val = try RunSetup.openDataset(config.data, split: .test, modelImageSize: config.model.imgSize)
        } catch {
            problems.append("\(error)")
        }

        var modelConfig: ViTConfig?
        do {
            modelConfig = try RunSetup.modelConfig(config.model, dataset: train)
        } catch {
            problems.append("\(error)")
        }
        if let train, let modelConfig {
            if train.classNames.count > modelConfig.numClasses {
                problems.append("data: the dataset has \(train.classNames.count) classes but model.num_classes is \(modelConfig.numClasses)")
            }
            // The loader converts gray to RGB and RGB to gray; nothing else.
            let convertible = train.channels == modelConfig.inChannels
                || Set([train.channels, modelConfig.inChannels]) == Set([1, 3])
            if !convertible {
                problems.append("data: \(train.channels)-channel images cannot feed a model with model.in_chans \(modelConfig.inChannels)")
            }
        }
        if let problem = RunSetup.checkWritable(runDirectory) { problems.append(problem) }
        if let path = config.`init`.checkpoint, !FileManager.default.fileExists(atPath: path) {
            problems.append("init.checkpoint: \(path) does not exist")
        }
        guard problems.isEmpty, let train, let val, let modelConfig else {
            throw SetupError(problems: problems)
        }

        trainSet = train
        valSet = val
        do {
            model = try VisionTransformer.make(config: modelConfig, seed: UInt64(config.train.seed))
        } catch {
            throw SetupError(problems: ["model: \(error)"])
        }
        let normalization = config.data.normalize ? RunSetup.normalization(config.data, dataset: train) : nil
        let augmentation = AugmentationOptions(randomCrop: config.data.augmentation.randomCrop,
                                               cropPadding: config.data.augmentation.padding,
                                               horizontalFlip: config.data.augmentation.horizontalFlip)
        let size = modelConfig.imageSize == train.height && modelConfig.imageSize == train.width ? nil : modelConfig.imageSize
        do {
            trainLoader = try DataLoader(dataset: train, batchSize: config.train.batchSize, shuffle: config.data.shuffle,
                                         seed: UInt64(config.train.seed), augmentation: augmentation,
                                         normalization: normalization, dropLast: false, outputSize: size,
                                         outputChannels: modelConfig.inChannels)
            valLoader = try DataLoader(dataset: val, batchSize: config.train.batchSize, shuffle: false,
                                       seed: UInt64(config.train.seed), augmentation: .none,
                                       normalization: normalization, dropLast: false, outputSize: size,
                                       outputChannels: modelConfig.inChannels)
        } catch {
            throw SetupError(problems: ["data: \(error)"])
        }
        if loadInitialWeights, let path = config.`init`.checkpoint {
            notes += try InitialWeights.load(path, into: model, skip: config.`init`.skip)
        }
        let frozen = Freezing.apply(config.freeze, to: model)
        if !frozen.isEmpty {
            let count = model.namedParameters().filter { !$0.tensor.requiresGrad }.reduce(0) { $0 + $1.tensor.count }
            notes.append("frozen: \(frozen.count) parameter tensors (\(count) values)")
        }
    }

    /// The dataset named by the data section. Folder and HDF5 datasets read validation data
    /// from `val_root` when it is given.
    public static func openDataset(_ data: DataSection, split: Split, modelImageSize: Int?) throws -> ImageDataset {
        let root = split == .test ? (data.valRoot ?? data.root) : data.root
        return try DatasetKind.openDataset(kind: data.dataset, root: root, split: split,
                                           imageSize: modelImageSize,
                                           count: split == .train ? data.trainCount : data.valCount)
    }

    /// The normalisation of the config, or the dataset's defaults.
    public static func normalization(_ data: DataSection, dataset: ImageDataset) -> (mean: [Float], std: [Float]) {
        let defaults = dataset.defaultNormalization
        return (data.mean.map { $0.map(Float.init) } ?? defaults.mean, data.std.map { $0.map(Float.init) } ?? defaults.std)
    }

    /// The model section resolved against its preset and the dataset.
    public static func modelConfig(_ m: ModelSection, dataset: ImageDataset?) throws -> ViTConfig {
        guard var c = ViTPresets.config(named: m.arch) ?? TimmRegistry.config(named: m.arch) else {
            throw ConfigError(key: "model.arch", "unknown architecture \"\(m.arch)\"; expected one of \(ViTPresets.names.joined(separator: ", ")) or a timm ViT name (`vittrain inspect --timm` lists them)")
        }
        if let v = m.imgSize { c.imageSize = v }
        if let v = m.patchSize { c.patchSize = v }
        c.inChannels = m.inChans ?? dataset?.channels ?? c.inChannels
        c.numClasses = m.numClasses ?? dataset?.classNames.count ?? c.numClasses
        if let v = m.embedDim { c.embedDim = v }
        if let v = m.depth { c.depth = v }
        if let v = m.numHeads { c.numHeads = v }
        if let v = m.mlpRatio { c.mlpRatio = v }
        if let v = m.qkvBias { c.qkvBias = v }
        if let v = m.dropRate { c.dropRate = Float(v) }
        if let v = m.attnDropRate { c.attnDropRate = Float(v) }
        if let v = m.dropPathRate { c.dropPathRate = Float(v) }
        if let v = m.layerNormEps { c.layerNormEps = Float(v) }
        if let v = m.classToken { c.classToken = v }
        if let v = m.regTokens { c.registerTokens = v }
        if let v = m.distilled { c.distilled = v }
        if let v = m.noEmbedClass { c.noEmbedClass = v }
        if let v = m.globalPool.flatMap(ViTConfig.GlobalPool.init(rawValue:)) { c.globalPool = v }
        if let v = m.fcNorm { c.fcNorm = v }
        if let v = m.preNorm { c.preNorm = v }
        if let v = m.initValues { c.layerScaleInit = Float(v) }
        if let v = m.actLayer.flatMap(ViTConfig.Activation.init(rawValue:)) { c.activation = v }
        do { try c.validate() } catch let error as ViTConfigError { throw ConfigError(key: "model", error.message) }
        if c.hybrid == nil && c.imageSize % c.patchSize != 0 {
            throw ConfigError(key: "model.patch_size", "patch size \(c.patchSize) does not divide the image size \(c.imageSize)")
        }
        if c.embedDim % c.numHeads != 0 {
            throw ConfigError(key: "model.num_heads", "\(c.numHeads) heads do not divide embed_dim \(c.embedDim)")
        }
        return c
    }

    /// nil when `directory` can be created and written, else the problem (with the OS reason,
    /// such as "No space left on device").
    static func checkWritable(_ directory: String) -> String? {
        // Created component by component with POSIX calls, so a failure names the OS reason.
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                return "checkpoint.dir: cannot create \(path) (\(String(cString: strerror(errno))))"
            }
        }
        let probe = (directory as NSString).appendingPathComponent(".write-test-\(getpid())")
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { if fd >= 0 { close(fd); unlink(probe) } }
        guard fd >= 0, write(fd, "ok", 2) == 2 else {
            return "checkpoint.dir: cannot write in \(directory) (\(String(cString: strerror(errno))))"
        }
        return nil
    }
}
