// Reading a RunConfig from JSON text, with `--set a.b=value` overrides applied first, and
// writing it back. Each section lists its keys once, next to their range checks.

import Data
import Foundation
import Tensor

extension RunConfig {
    /// Loads `path`, applies `overrides` ("train.epochs=3"), and reads it strictly. Every
    /// problem found is reported at once.
    public static func load(path: String, overrides: [String] = []) throws -> RunConfig {
        let resolved = resolveConfigPath(path)
        guard let data = FileManager.default.contents(atPath: resolved) else {
            throw ConfigError(key: "", "\(path): cannot read the config file (no such file?)")
        }
        var object = try ConfigReader.parse(data, file: path)
        try applyOverrides(overrides, to: &object)
        return try read(object)
    }

    /// Reads a config from its JSON object form.
    public static func read(_ object: [String: Any]) throws -> RunConfig {
        let root = ConfigReader(object)
        var config = RunConfig()
        config.name = root.string("name", default: config.name)
        config.model = readModel(root.section("model"))
        config.data = readData(root.section("data"))
        config.optim = readOptim(root.section("optim"))
        config.schedule = readSchedule(root.section("schedule"))
        config.train = readTrain(root.section("train"))
        config.freeze = readFreeze(root.section("freeze"))
        config.`init` = readInit(root.section("init"))
        config.checkpoint = readCheckpoint(root.section("checkpoint"))
        config.eval = readEval(root.section("eval"))
        root.finish()
        try root.problems.throwIfAny()
        return config
    }

    /// Parses the JSON text stored in a checkpoint.
    public static func fromJSON(_ text: String) throws -> RunConfig {
        try read(ConfigReader.parse(Foundation.Data(text.utf8), file: "checkpoint config"))
    }

    /// The config as JSON with snake_case keys (stored in checkpoints and run folders).
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Foundation.Data(), as: UTF8.self)
    }

    /// `configs/x.json` and `Configs/x.json` name the same file (users type the lowercase path).
    static func resolveConfigPath(_ path: String) -> String {
        if FileManager.default.fileExists(atPath: path) { return path }
        for (from, to) in [("configs/", "Configs/"), ("Configs/", "configs/")] where path.hasPrefix(from) {
            let other = to + path.dropFirst(from.count)
            if FileManager.default.fileExists(atPath: other) { return other }
        }
        return path
    }

    /// Applies "a.b.c=value" overrides. The value is parsed as JSON when it can be (numbers,
    /// booleans, arrays, quoted strings) and taken as a plain string otherwise.
    public static func applyOverrides(_ overrides: [String], to object: inout [String: Any]) throws {
        for override in overrides {
            guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
                throw ConfigError(key: override, "--set expects key.path=value")
            }
            let keys = override[..<equals].split(separator: ".").map(String.init)
            let text = String(override[override.index(after: equals)...])
            let value: Any = (try? JSONSerialization.jsonObject(with: Foundation.Data(text.utf8),
                                                               options: [.fragmentsAllowed])) ?? text
            try set(value, at: keys[...], in: &object, fullKey: String(override[..<equals]))
        }
    }

    private static func set(_ value: Any, at keys: ArraySlice<String>, in object: inout [String: Any],
                            fullKey: String) throws {
        guard let first = keys.first else { return }
        if keys.count == 1 {
            object[first] = value
            return
        }
        var child: [String: Any]
        switch object[first] {
        case nil: child = [:]
        case let existing as [String: Any]: child = existing
        default: throw ConfigError(key: fullKey, "--set cannot descend into '\(first)', which is not an object")
        }
        try set(value, at: keys.dropFirst(), in: &child, fullKey: fullKey)
        object[first] = child
    }

    // MARK: - Sections

    private static func readModel(_ r: ConfigReader) -> ModelSection {
        var m = ModelSection()
        m.arch = r.string("arch", default: m.arch)
        m.imgSize = r.optionalInt("img_size")
        m.patchSize = r.optionalInt("patch_size")
        m.inChans = r.optionalInt("in_chans")
        m.numClasses = r.optionalInt("num_classes")
        m.embedDim = r.optionalInt("embed_dim")
        m.depth = r.optionalInt("depth")
        m.numHeads = r.optionalInt("num_heads")
        m.mlpRatio = r.optionalDouble("mlp_ratio")
        m.qkvBias = r.has("qkv_bias") ? r.bool("qkv_bias", default: true) : nil
        m.dropRate = r.optionalDouble("drop_rate")
        m.attnDropRate = r.optionalDouble("attn_drop_rate")
        m.dropPathRate = r.optionalDouble("drop_path_rate")
        m.layerNormEps = r.optionalDouble("layer_norm_eps")
        m.classToken = r.has("class_token") ? r.bool("class_token", default: true) : nil
        m.regTokens = r.optionalInt("reg_tokens")
        m.distilled = r.has("distilled") ? r.bool("distilled", default: false) : nil
        m.noEmbedClass = r.has("no_embed_class") ? r.bool("no_embed_class", default: false) : nil
        m.globalPool = r.has("global_pool") ? r.choice("global_pool", ViTConfig.GlobalPool.allCases.map(\.rawValue), default: "token") : nil
        m.fcNorm = r.has("fc_norm") ? r.bool("fc_norm", default: false) : nil
        m.preNorm = r.has("pre_norm") ? r.bool("pre_norm", default: false) : nil
        m.initValues = r.optionalDouble("init_values")
        m.actLayer = r.has("act_layer") ? r.choice("act_layer", ViTConfig.Activation.allCases.map(\.rawValue), default: "gelu") : nil
        m.convLayers = r.optionalInt("conv_layers")
        m.convKernel = r.optionalInt("conv_kernel")
        m.convChannels = r.optionalInt("conv_channels")
        for (key, value) in [("conv_layers", m.convLayers), ("conv_kernel", m.convKernel), ("conv_channels", m.convChannels)] {
            if let v = value { r.require(v > 0, key, "expected a positive integer, got \(v)") }
        }
        if let v = m.regTokens { r.require(v >= 0, "reg_tokens", "expected a non-negative integer, got \(v)") }
        if let v = m.layerNormEps { r.require(v > 0 && v < 1, "layer_norm_eps", "expected a small positive number, got \(v)") }
        if let v = m.initValues { r.require(v > 0, "init_values", "expected a positive layer-scale start value, got \(v)") }
        for (key, value) in [("img_size", m.imgSize), ("patch_size", m.patchSize), ("in_chans", m.inChans),
                             ("embed_dim", m.embedDim), ("depth", m.depth), ("num_heads", m.numHeads)] {
            if let v = value { r.require(v > 0, key, "expected a positive integer, got \(v)") }
        }
        if let v = m.numClasses { r.require(v >= 0, "num_classes", "expected 0 (no head: pooled features) or more, got \(v)") }
        for (key, value) in [("drop_rate", m.dropRate), ("attn_drop_rate", m.attnDropRate),
                             ("drop_path_rate", m.dropPathRate)] {
            if let v = value { r.require(v >= 0 && v < 1, key, "expected a probability in [0, 1), got \(v)") }
        }
        r.finish()
        return m
    }

    private static func readData(_ r: ConfigReader) -> DataSection {
        var d = DataSection()
        d.dataset = r.choice("dataset", ["synthetic", "cifar10", "fashion-mnist", "folder", "hdf5"], default: d.dataset)
        d.root = r.optionalString("root")
        d.valRoot = r.optionalString("val_root")
        d.trainCount = r.int("train_count", default: d.trainCount)
        d.valCount = r.int("val_count", default: d.valCount)
        r.require(d.trainCount > 0, "train_count", "expected a positive integer, got \(d.trainCount)")
        r.require(d.valCount > 0, "val_count", "expected a positive integer, got \(d.valCount)")
        let a = r.section("augmentation")
        d.augmentation.randomCrop = a.bool("random_crop", default: d.augmentation.randomCrop)
        d.augmentation.padding = a.int("padding", default: d.augmentation.padding)
        d.augmentation.horizontalFlip = a.bool("horizontal_flip", default: d.augmentation.horizontalFlip)
        a.require(d.augmentation.padding >= 0, "padding", "expected a non-negative integer")
        a.finish()
        d.autoAugment = r.optionalString("auto_augment")
        if let policy = d.autoAugment, !policy.isEmpty {
            do { _ = try AutoAugmentPolicy(config: policy) } catch let error as DatasetError {
                r.require(false, "auto_augment", error.message)
            } catch {}
        }
        d.trainInterpolation = r.choice("train_interpolation", ["random", "bilinear", "bicubic", "nearest"], default: d.trainInterpolation)
        d.reprob = r.double("reprob", default: d.reprob)
        r.require(d.reprob >= 0 && d.reprob <= 1, "reprob", "expected a probability in [0, 1], got \(d.reprob)")
        d.remode = r.choice("remode", RandomErasingOptions.Mode.allCases.map(\.rawValue), default: d.remode)
        d.recount = r.int("recount", default: d.recount)
        r.require(d.recount >= 1, "recount", "expected a positive integer, got \(d.recount)")
        d.mixup = r.double("mixup", default: d.mixup)
        d.cutmix = r.double("cutmix", default: d.cutmix)
        r.require(d.mixup >= 0, "mixup", "expected a non-negative Beta alpha, got \(d.mixup)")
        r.require(d.cutmix >= 0, "cutmix", "expected a non-negative Beta alpha, got \(d.cutmix)")
        d.cutmixMinmax = r.doubles("cutmix_minmax", default: nil)
        if let mm = d.cutmixMinmax {
            r.require(mm.count == 2 && mm[0] > 0 && mm[0] < mm[1] && mm[1] <= 1, "cutmix_minmax",
                      "expected [min, max] with 0 < min < max ≤ 1, got \(mm)")
        }
        d.mixupProb = r.double("mixup_prob", default: d.mixupProb)
        r.require(d.mixupProb >= 0 && d.mixupProb <= 1, "mixup_prob", "expected a probability in [0, 1], got \(d.mixupProb)")
        d.mixupSwitchProb = r.double("mixup_switch_prob", default: d.mixupSwitchProb)
        r.require(d.mixupSwitchProb >= 0 && d.mixupSwitchProb <= 1, "mixup_switch_prob", "expected a probability in [0, 1], got \(d.mixupSwitchProb)")
        d.mixupMode = r.choice("mixup_mode", MixupOptions.Mode.allCases.map(\.rawValue), default: d.mixupMode)
        d.normalize = r.bool("normalize", default: d.normalize)
        d.mean = r.doubles("mean", default: nil)
        d.std = r.doubles("std", default: nil)
        if let std = d.std { r.require(std.allSatisfy { $0 > 0 }, "std", "expected positive values, got \(std)") }
        d.shuffle = r.bool("shuffle", default: d.shuffle)
        r.finish()
        return d
    }

    private static func readOptim(_ r: ConfigReader) -> OptimSection {
        var o = OptimSection()
        o.lr = r.double("lr", default: o.lr)
        r.require(o.lr >= 0, "lr", "expected a non-negative learning rate, got \(o.lr)")
        o.betas = r.doubles("betas", default: o.betas) ?? o.betas
        r.require(o.betas.count == 2 && o.betas.allSatisfy { $0 >= 0 && $0 < 1 }, "betas",
                  "expected two numbers in [0, 1), got \(o.betas)")
        o.eps = r.double("eps", default: o.eps)
        r.require(o.eps > 0, "eps", "expected a positive number, got \(o.eps)")
        o.weightDecay = r.double("weight_decay", default: o.weightDecay)
        r.require(o.weightDecay >= 0, "weight_decay", "expected a non-negative number, got \(o.weightDecay)")
        o.noDecayOnNormsAndBiases = r.bool("no_decay_on_norms_and_biases", default: o.noDecayOnNormsAndBiases)
        o.layerDecay = r.optionalDouble("layer_decay")
        if let decay = o.layerDecay { r.require(decay > 0 && decay <= 1, "layer_decay", "expected a number in (0, 1], got \(decay)") }
        o.groups = r.sections("groups").map { g in
            let pattern = g.string("pattern", default: "")
            g.require(!pattern.isEmpty, "pattern", "each group needs a non-empty glob pattern")
            let group = ParameterGroupSection(pattern: pattern, lrScale: g.optionalDouble("lr_scale"),
                                              weightDecay: g.optionalDouble("weight_decay"))
            g.finish()
            return group
        }
        r.finish()
        return o
    }

    private static func readSchedule(_ r: ConfigReader) -> ScheduleSection {
        var s = ScheduleSection()
        s.kind = r.choice("kind", ["cosine", "constant"], default: s.kind)
        s.warmupEpochs = r.double("warmup_epochs", default: s.warmupEpochs)
        s.warmupSteps = r.optionalInt("warmup_steps")
        s.minLr = r.double("min_lr", default: s.minLr)
        r.require(s.warmupEpochs >= 0, "warmup_epochs", "expected a non-negative number")
        r.finish()
        return s
    }

    private static func readTrain(_ r: ConfigReader) -> TrainSection {
        var t = TrainSection()
        t.epochs = r.int("epochs", default: t.epochs)
        r.require(t.epochs > 0, "epochs", "expected a positive integer, got \(t.epochs)")
        t.maxSteps = r.optionalInt("max_steps")
        if let steps = t.maxSteps { r.require(steps > 0, "max_steps", "expected a positive integer, got \(steps)") }
        t.batchSize = r.int("batch_size", default: t.batchSize)
        r.require(t.batchSize > 0, "batch_size", "expected a positive integer, got \(t.batchSize)")
        t.labelSmoothing = r.double("label_smoothing", default: t.labelSmoothing)
        r.require(t.labelSmoothing >= 0 && t.labelSmoothing < 1, "label_smoothing", "expected a number in [0, 1)")
        t.gradClip = r.optionalDouble("grad_clip")
        if let clip = t.gradClip { r.require(clip > 0, "grad_clip", "expected a positive number, got \(clip)") }
        t.seed = r.int("seed", default: t.seed)
        t.threads = r.optionalInt("threads")
        if let n = t.threads { r.require(n > 0, "threads", "expected a positive integer, got \(n)") }
        t.matmulPrecision = r.choice("matmul_precision", MatmulPrecision.allCases.map(\.rawValue),
                                     default: t.matmulPrecision)
        t.onNonFinite = r.choice("on_non_finite", ["stop", "skip"], default: t.onNonFinite)
        t.logEvery = r.int("log_every", default: t.logEvery)
        r.require(t.logEvery > 0, "log_every", "expected a positive integer")
        t.modelEma = r.bool("model_ema", default: t.modelEma)
        t.modelEmaDecay = r.double("model_ema_decay", default: t.modelEmaDecay)
        r.require(t.modelEmaDecay >= 0 && t.modelEmaDecay < 1, "model_ema_decay", "expected a number in [0, 1), got \(t.modelEmaDecay)")
        t.modelEmaWarmup = r.bool("model_ema_warmup", default: t.modelEmaWarmup)
        r.finish()
        return t
    }

    private static func readFreeze(_ r: ConfigReader) -> FreezeSection {
        var f = FreezeSection()
        f.patchEmbed = r.bool("patch_embed", default: f.patchEmbed)
        f.positionEmbedding = r.bool("position_embedding", default: f.positionEmbedding)
        f.blocks = r.int("blocks", default: f.blocks)
        r.require(f.blocks >= 0, "blocks", "expected a non-negative integer")
        f.patterns = r.strings("patterns", default: f.patterns)
        r.finish()
        return f
    }

    private static func readInit(_ r: ConfigReader) -> InitSection {
        var i = InitSection()
        i.checkpoint = r.optionalString("checkpoint")
        i.skip = r.strings("skip", default: i.skip)
        r.finish()
        return i
    }

    private static func readCheckpoint(_ r: ConfigReader) -> CheckpointSection {
        var c = CheckpointSection()
        c.dir = r.optionalString("dir")
        c.every = r.int("every", default: c.every)
        c.keepLast = r.int("keep_last", default: c.keepLast)
        c.keepBest = r.bool("keep_best", default: c.keepBest)
        r.require(c.every > 0, "every", "expected a positive integer")
        r.require(c.keepLast > 0, "keep_last", "expected a positive integer")
        r.finish()
        return c
    }

    private static func readEval(_ r: ConfigReader) -> EvalSection {
        var e = EvalSection()
        e.every = r.int("every", default: e.every)
        e.batchSize = r.optionalInt("batch_size")
        e.probeImages = r.int("probe_images", default: e.probeImages)
        e.attention = r.bool("attention", default: e.attention)
        e.fullMaps = r.bool("full_maps", default: e.fullMaps)
        r.require(e.every > 0, "every", "expected a positive integer")
        if let size = e.batchSize { r.require(size > 0, "batch_size", "expected a positive integer, got \(size)") }
        r.require(e.probeImages >= 0, "probe_images", "expected a non-negative integer")
        r.finish()
        return e
    }
}
