// Everything a run is built from, checked before the first step: the datasets, the model
// (preset + overrides, sized to the data), initial weights, freezing and the loaders. Problems
// are gathered and reported together, so a typo does not surface hours into a run.

import Data
import FileFormats
import Foundation
import Hub
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
            // The validation data (val_root) is opened separately and may hold more classes.
            if let val, val.classNames.count > modelConfig.numClasses {
                problems.append("\(RunSetup.dataName(config.data, split: .test)): the validation data has \(val.classNames.count) classes but the model has \(modelConfig.numClasses) (model.num_classes or the training data's classes)")
            }
            // The loader converts gray to RGB and RGB to gray; nothing else.
            let convertible = train.channels == modelConfig.inChannels
                || Set([train.channels, modelConfig.inChannels]) == Set([1, 3])
            if !convertible {
                problems.append("data: \(train.channels)-channel images cannot feed a model with model.in_chans \(modelConfig.inChannels)")
            }
        }
        if let problem = RunSetup.checkWritable(runDirectory) { problems.append(problem) }
        if let path = config.`init`.checkpoint {
            // An hf: reference is checked for its spelling here and fetched when the weights load.
            if HubReference.isReference(path) {
                do { _ = try HubReference(parsing: path) } catch { problems.append("init.checkpoint: \(error)") }
            } else if !FileManager.default.fileExists(atPath: path) {
                problems.append("init.checkpoint: \(path) does not exist")
            }
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
        let augmentation: AugmentationOptions
        do {
            augmentation = try RunSetup.augmentation(config, imageSize: modelConfig.imageSize,
                                                     numClasses: modelConfig.numClasses, mean: normalization?.mean)
        } catch {
            throw SetupError(problems: ["\(error)"])
        }
        let size = modelConfig.imageSize == train.height && modelConfig.imageSize == train.width ? nil : modelConfig.imageSize
        do {
            trainLoader = try DataLoader(dataset: train, batchSize: config.train.batchSize, shuffle: config.data.shuffle,
                                         seed: UInt64(config.train.seed), augmentation: augmentation,
                                         normalization: normalization, dropLast: false, outputSize: size,
                                         outputChannels: modelConfig.inChannels)
            valLoader = try DataLoader(dataset: val, batchSize: config.eval.batchSize ?? config.train.batchSize, shuffle: false,
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

    /// What a split reads, for messages: its path, or the dataset kind when it has none.
    public static func dataName(_ data: DataSection, split: Split) -> String {
        let root = split == .test ? (data.valRoot ?? data.root) : data.root
        return root ?? "data.dataset \(data.dataset)"
    }

    /// The training augmentation of the data section: crop and flip, timm's auto_augment (fill =
    /// the normalisation mean, translate = 0.45 × image size, as timm's create_transform), random
    /// erasing, and mixup / cutmix with `train.label_smoothing` as timm's `smoothing`.
    public static func augmentation(_ config: RunConfig, imageSize: Int, numClasses: Int,
                                    mean: [Float]?) throws -> AugmentationOptions {
        let d = config.data
        var options = AugmentationOptions(randomCrop: d.augmentation.randomCrop, cropPadding: d.augmentation.padding,
                                          horizontalFlip: d.augmentation.horizontalFlip)
        if let policy = d.autoAugment, !policy.isEmpty {
            options.autoAugment = try AutoAugmentPolicy(config: policy)
            var hp = AugmentHyperparameters.timmDefaults(height: imageSize, width: imageSize, mean: mean.map { m in m.count == 1 ? [m[0], m[0], m[0]] : m })
            hp.interpolation = d.trainInterpolation == "random" ? nil : d.trainInterpolation
            options.hyperparameters = hp
        }
        if d.reprob > 0 {
            options.erasing = RandomErasingOptions(probability: d.reprob, mode: RandomErasingOptions.Mode(rawValue: d.remode) ?? .pixel,
                                                   maxCount: d.recount)
        }
        if d.mixup > 0 || d.cutmix > 0 || d.cutmixMinmax != nil {
            var mixup = MixupOptions(mixupAlpha: d.mixup, cutmixAlpha: d.cutmix, cutmixMinMax: d.cutmixMinmax, numClasses: numClasses)
            mixup.prob = d.mixupProb
            mixup.switchProb = d.mixupSwitchProb
            mixup.mode = MixupOptions.Mode(rawValue: d.mixupMode) ?? .batch
            mixup.labelSmoothing = config.train.labelSmoothing
            options.mixup = mixup
        }
        return options
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
        if m.convLayers != nil || m.convKernel != nil || m.convChannels != nil {
            // A conv tokenizer on any preset (a plain ViT keeps its class token unless told otherwise).
            var tokenizer = c.convTokenizer ?? ConvTokenizerConfig(layers: 1, kernel: 3)
            if let v = m.convLayers { tokenizer.layers = v }
            if let v = m.convKernel { tokenizer.kernel = v }
            if let v = m.convChannels { tokenizer.channels = v }
            c.convTokenizer = tokenizer
            c.patchSize = 1
        }
        do { try c.validate() } catch let error as ViTConfigError { throw ConfigError(key: "model", error.message) }
        if c.hybrid == nil && c.imageSize % c.patchSize != 0 {
            throw ConfigError(key: "model.patch_size", "patch size \(c.patchSize) does not divide the image size \(c.imageSize)")
        }
        if c.embedDim % c.numHeads != 0 {
            throw ConfigError(key: "model.num_heads", "\(c.numHeads) heads do not divide embed_dim \(c.embedDim)")
        }
        try c.checkMLPWidth()
        return c
    }

    /// nil when `directory` can be created and written, else the problem (with the OS reason,
    /// such as "No space left on device").
    static func checkWritable(_ directory: String) -> String? {
        do {
            try Directory.create(directory, name: "checkpoint.dir")
        } catch {
            return "\(error)"
        }
        return Directory.writeProblem(directory).map { "checkpoint.dir: cannot write in \(directory) (\($0))" }
    }
}

extension ViTConfig {
    /// An MLP narrower than one unit builds but cannot run (ViTConfig.validate does not check it).
    func checkMLPWidth() throws {
        if mlpHiddenDim < 1 {
            throw ConfigError(key: "model.mlp_ratio", "\(mlpRatio) × embed_dim \(embedDim) gives an MLP of \(mlpHiddenDim) units; expected at least 1")
        }
    }
}
