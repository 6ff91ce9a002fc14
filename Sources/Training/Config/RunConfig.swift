// The run configuration (DESIGN.md "Config"): one struct per JSON section, defaults mirroring
// timm's training recipes, read strictly (unknown keys and wrong types name the key) and written
// back as JSON with snake_case keys for checkpoints.

import Foundation

public struct ModelSection: Codable, Equatable {
    /// A preset name ("vit-tiny", "hybrid-tiny", …) or a timm architecture name
    /// ("vit_small_patch14_reg4_dinov2", …); the overrides below replace its values.
    public var arch = "vit-tiny"
    public var imgSize: Int?
    public var patchSize: Int?
    public var inChans: Int?
    public var numClasses: Int?
    public var embedDim: Int?
    public var depth: Int?
    public var numHeads: Int?
    public var mlpRatio: Double?
    public var qkvBias: Bool?
    public var dropRate: Double?
    public var attnDropRate: Double?
    public var dropPathRate: Double?
    // The family (timm's VisionTransformer arguments; see ViTConfig).
    public var layerNormEps: Double?
    public var classToken: Bool?
    public var regTokens: Int?
    public var distilled: Bool?
    public var noEmbedClass: Bool?
    public var globalPool: String?
    public var fcNorm: Bool?
    public var preNorm: Bool?
    public var initValues: Double?
    public var actLayer: String?
    // CCT's convolutional tokenizer (Hassani et al. 2021): stages, kernel, intermediate width.
    public var convLayers: Int?
    public var convKernel: Int?
    public var convChannels: Int?
    public init() {}
}

public struct AugmentationSection: Codable, Equatable {
    public var randomCrop = false
    public var padding = 4
    public var horizontalFlip = false
    public init() {}
}

public struct DataSection: Codable, Equatable {
    /// synthetic | cifar10 | fashion-mnist | folder | hdf5
    public var dataset = "synthetic"
    /// Training data location (a folder or file); each dataset has its own default.
    public var root: String?
    /// Validation data for folder / hdf5 datasets (the others have a standard test split).
    public var valRoot: String?
    /// Synthetic dataset sizes.
    public var trainCount = 4096
    public var valCount = 512
    public var augmentation = AugmentationSection()
    /// timm's augmentation arguments, by timm's names: RandAugment string or "trivial".
    public var autoAugment: String?
    /// random | bilinear | bicubic: the RandAugment geometric ops' filter (timm's train_interpolation).
    public var trainInterpolation = "random"
    /// Random erasing probability, mode (const | rand | pixel) and maximum box count.
    public var reprob = 0.0
    public var remode = "pixel"
    public var recount = 1
    /// Mixup and CutMix Beta α (0 = off), CutMix box side range, per-batch probability, the
    /// chance of CutMix when both are on, and the mode (batch | pair | elem).
    public var mixup = 0.0
    public var cutmix = 0.0
    public var cutmixMinmax: [Double]?
    public var mixupProb = 1.0
    public var mixupSwitchProb = 0.5
    public var mixupMode = "batch"
    /// Normalise with `mean` / `std` (the dataset's defaults when absent).
    public var normalize = true
    public var mean: [Double]?
    public var std: [Double]?
    public var shuffle = true
    public init() {}
}

public struct ParameterGroupSection: Codable, Equatable {
    /// A glob on parameter paths ("head.*", "*.bias", "blocks.[0-3].*").
    public var pattern: String
    public var lrScale: Double?
    public var weightDecay: Double?
    public init(pattern: String, lrScale: Double? = nil, weightDecay: Double? = nil) {
        self.pattern = pattern
        self.lrScale = lrScale
        self.weightDecay = weightDecay
    }
}

public struct OptimSection: Codable, Equatable {
    public var lr = 1e-3
    public var betas = [0.9, 0.999]
    public var eps = 1e-8
    public var weightDecay = 0.05
    /// timm's default: no weight decay on 1-D parameters, biases, pos_embed and cls_token.
    public var noDecayOnNormsAndBiases = true
    /// Layer-wise learning-rate decay (BEiT): block i gets decay^(depth − i) of the lr.
    public var layerDecay: Double?
    /// Checked in order; the first pattern that matches a parameter sets its lr scale / decay.
    public var groups: [ParameterGroupSection] = []
    public init() {}
}

public struct ScheduleSection: Codable, Equatable {
    /// cosine | constant (after the warmup)
    public var kind = "cosine"
    public var warmupEpochs = 0.0
    public var warmupSteps: Int?
    public var minLr = 1e-6
    public init() {}
}

public struct TrainSection: Codable, Equatable {
    public var epochs = 10
    /// Stops after this many optimizer steps when set (smoke tests, parity runs).
    public var maxSteps: Int?
    public var batchSize = 128
    public var labelSmoothing = 0.0
    /// Clips the global gradient norm when set.
    public var gradClip: Double?
    public var seed = 0
    /// Threads for kernels and BLAS; all cores when absent.
    public var threads: Int?
    /// "highest" (fp32 GEMMs) or "medium" (GEMM inputs rounded to bfloat16, fp32 accumulation),
    /// as PyTorch's `torch.set_float32_matmul_precision`.
    public var matmulPrecision = "highest"
    /// What a NaN/Inf loss or gradient does: stop (keeping the last good checkpoint) or skip the step.
    public var onNonFinite = "stop"
    /// A progress line every N steps when stdout is not a terminal, and a metrics-log line.
    public var logEvery = 50
    /// Keep an EMA of the weights (timm's --model-ema, ModelEmaV3), evaluated each epoch and
    /// saved as the checkpoint's `ema/` group.
    public var modelEma = false
    public var modelEmaDecay = 0.9998
    public var modelEmaWarmup = false
    public init() {}
}

public struct FreezeSection: Codable, Equatable {
    public var patchEmbed = false
    /// cls_token and pos_embed.
    public var positionEmbedding = false
    /// Freezes blocks 0..<blocks.
    public var blocks = 0
    /// Further glob patterns on parameter paths.
    public var patterns: [String] = []
    public init() {}
}

public struct InitSection: Codable, Equatable {
    /// A vittrain `.h5` checkpoint, a timm / Hugging Face `.safetensors` file, or `hf:ORG/NAME[@REV]` on the Hub.
    public var checkpoint: String?
    /// Glob patterns of parameters left at their fresh initialisation.
    public var skip: [String] = []
    public init() {}
}

public struct CheckpointSection: Codable, Equatable {
    /// Where the run writes; "Checkpoints/<name>" when absent.
    public var dir: String?
    public var every = 1
    public var keepLast = 2
    public var keepBest = true
    public init() {}
}

public struct EvalSection: Codable, Equatable {
    public var every = 1
    /// Images per evaluation batch; nil: the training batch size (timm's --validation-batch-size).
    /// Evaluation keeps no tape, so its batch can be larger than training's without the memory
    /// cost. No op mixes images, so each image's logits agree to float rounding at any batch size
    /// (a GEMM with more rows may take another kernel or blocking).
    public var batchSize: Int?
    /// Fixed validation images whose attention is recorded each epoch.
    public var probeImages = 8
    public var attention = true
    /// Also store the full T×T maps of every layer (large).
    public var fullMaps = false
    public init() {}
}

public struct RunConfig: Codable, Equatable {
    public var name = "run"
    public var model = ModelSection()
    public var data = DataSection()
    public var optim = OptimSection()
    public var schedule = ScheduleSection()
    public var train = TrainSection()
    public var freeze = FreezeSection()
    public var `init` = InitSection()
    public var checkpoint = CheckpointSection()
    public var eval = EvalSection()
    public init() {}
}
