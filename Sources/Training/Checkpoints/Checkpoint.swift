// The HDF5 checkpoint (DESIGN.md "Files"): root attributes (format, version, config, epoch, step),
// `model/<timm path>` float32 datasets in PyTorch shapes, `optimizer/` moments, `rng/` states,
// the metrics history, and with model EMA on, `ema/<timm path>` (timm's ModelEmaV3 state_dict). Written through a temporary file and a rename, so an interrupted write
// never damages the previous checkpoint.

import FileFormats
import Foundation
import Models

/// Everything a run needs to continue exactly where it stopped.
public struct Checkpoint {
    public static let format = "vittrain-checkpoint"
    public static let version = 1

    public var config: RunConfig
    /// The architecture as resolved against the preset and dataset, so the model can be rebuilt
    /// from the checkpoint alone.
    public var modelConfig: ViTConfig
    /// Epochs completed, and the batch index inside the next epoch (non-zero after an interrupt).
    public var epoch: Int
    public var batchInEpoch: Int
    public var step: Int
    /// Parameters and buffers (BatchNorm running statistics) by timm path, with their shapes,
    /// as PyTorch's state_dict.
    public var parameters: [(path: String, shape: [Int], values: [Float])]
    public var optimizerStep: Int
    public var optimizerState: [String: AdamWState]
    /// The model's dropout / drop-path generator.
    public var modelRandomState: [UInt64]
    /// Data-parallel runs: every rank's dropout / drop-path generator, in rank order (`rng/ranks`),
    /// the number of ranks, and the samples of the current epoch all ranks consumed together.
    public var rankRandomStates: [[UInt64]] = []
    public var worldSize = 1
    public var epochPosition: Int?
    /// One JSON object per line, as the metrics log.
    public var metricsHistory: [String]
    public var bestAccuracy: Double?
    /// The EMA weights and buffers by path (empty without model EMA).
    public var emaParameters: [(path: String, shape: [Int], values: [Float])] = []
    /// Seconds of training and evaluation so far, over every session of the run.
    public var wallTime: Double = 0
    /// timm's `pretrained_cfg` of an imported model (JSON object text: input_size, interpolation,
    /// crop_pct, crop_mode, mean, std), for eval's and explain's preprocessing; nil for our runs.
    public var pretrainedConfig: String? = nil
    /// The classifier's class names (HF id2label, timm label_names, or the dataset's), if known.
    public var classNames: [String]? = nil

    public init(config: RunConfig, modelConfig: ViTConfig, epoch: Int, batchInEpoch: Int, step: Int,
                parameters: [(path: String, shape: [Int], values: [Float])],
                optimizerStep: Int = 0, optimizerState: [String: AdamWState] = [:],
                modelRandomState: [UInt64] = [], metricsHistory: [String] = [], bestAccuracy: Double? = nil,
                emaParameters: [(path: String, shape: [Int], values: [Float])] = [], wallTime: Double = 0) {
        self.config = config
        self.modelConfig = modelConfig
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.step = step
        self.parameters = parameters
        self.optimizerStep = optimizerStep
        self.optimizerState = optimizerState
        self.modelRandomState = modelRandomState
        self.metricsHistory = metricsHistory
        self.bestAccuracy = bestAccuracy
        self.emaParameters = emaParameters
        self.wallTime = wallTime
    }

    /// Writes the checkpoint atomically to `path`.
    public func write(to path: String) throws {
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", Checkpoint.format)
            try file.setAttribute("version", Checkpoint.version)
            try file.setAttribute("config", config.jsonString())
            try file.setAttribute("model_config", String(decoding: try JSONEncoder().encode(modelConfig), as: UTF8.self))
            try file.setAttribute("epoch", epoch)
            try file.setAttribute("batch_in_epoch", batchInEpoch)
            try file.setAttribute("step", step)
            if let best = bestAccuracy { try file.setAttribute("best_accuracy", best) }
            try file.createGroup("model")
            for (p, shape, values) in parameters {
                try file.write(values, shape: shape, to: "model/\(p)")
            }
            try file.createGroup("optimizer")
            try file.setAttribute("step", optimizerStep, on: "optimizer")
            for (p, s) in optimizerState.sorted(by: { $0.key < $1.key }) {
                try file.write(s.firstMoment, shape: [s.firstMoment.count], to: "optimizer/exp_avg/\(p)")
                try file.write(s.secondMoment, shape: [s.secondMoment.count], to: "optimizer/exp_avg_sq/\(p)")
            }
            try file.createGroup("rng")
            try file.write(modelRandomState.map { Int64(bitPattern: $0) }, shape: [modelRandomState.count],
                           to: "rng/model")
            if !rankRandomStates.isEmpty {
                let width = rankRandomStates[0].count
                try file.write(rankRandomStates.flatMap { $0.map { Int64(bitPattern: $0) } },
                               shape: [rankRandomStates.count, width], to: "rng/ranks")
            }
            try file.setAttribute("world_size", worldSize)
            if let epochPosition { try file.setAttribute("epoch_position", epochPosition) }
            try file.setAttribute("metrics_history", metricsHistory.joined(separator: "\n"))
            try file.setAttribute("wall_time_s", wallTime)
            if !emaParameters.isEmpty {
                try file.createGroup("ema")
                for (p, shape, values) in emaParameters { try file.write(values, shape: shape, to: "ema/\(p)") }
            }
            if let pretrainedConfig { try file.setAttribute("pretrained_cfg", pretrainedConfig) }
            if let classNames {
                let json = try JSONSerialization.data(withJSONObject: classNames, options: [.withoutEscapingSlashes])
                try file.setAttribute("class_names", String(decoding: json, as: UTF8.self))
            }
        }
    }

    /// Reads a checkpoint written by `write(to:)`. Every problem names the file and what was wrong.
    public static func read(_ path: String) throws -> Checkpoint {
        let file = try HDF5File.open(path)
        defer { file.close() }
        // A missing attribute means another kind of HDF5 file; a damaged one reports its own error.
        let format = try file.attributeExists("format") ? try file.stringAttribute("format") : nil
        guard format == Checkpoint.format else {
            throw FileFormatError(file: path, message: "not a vittrain checkpoint (root attribute 'format' is \(format.map { "'\($0)'" } ?? "missing"); expected '\(Checkpoint.format)')")
        }
        let version = try file.intAttribute("version")
        guard version <= Checkpoint.version else {
            throw FileFormatError(file: path, message: "checkpoint version \(version) is newer than this vittrain understands (\(Checkpoint.version))")
        }
        let config: RunConfig
        do {
            config = try RunConfig.fromJSON(try file.stringAttribute("config"))
        } catch {
            throw FileFormatError(file: path, message: "its stored config is invalid: \(error)")
        }
        let modelConfig: ViTConfig
        do {
            modelConfig = try JSONDecoder().decode(ViTConfig.self, from: Foundation.Data(try file.stringAttribute("model_config").utf8))
        } catch {
            throw FileFormatError(file: path, message: "its stored model_config is invalid: \(error)")
        }
        func readGroup(_ group: String) throws -> [(path: String, shape: [Int], values: [Float])] {
            guard file.exists(group) else { return [] }
            return try file.children(of: group).map { name in
                let (shape, values) = try file.readFloats("\(group)/\(name)")
                return (name, shape, values)
            }
        }
        var optimizerState: [String: AdamWState] = [:]
        if file.exists("optimizer/exp_avg") {
            for name in try file.children(of: "optimizer/exp_avg") {
                optimizerState[name] = AdamWState(firstMoment: try file.readFloats("optimizer/exp_avg/\(name)").values,
                                                  secondMoment: try file.readFloats("optimizer/exp_avg_sq/\(name)").values)
            }
        }
        let history = (try? file.stringAttribute("metrics_history")) ?? ""
        var rankStates: [[UInt64]] = []
        if file.exists("rng/ranks") {
            let (shape, values) = try file.readInt64("rng/ranks")
            guard shape.count == 2, shape[0] * shape[1] == values.count else {
                throw FileFormatError(file: path, message: "rng/ranks has shape \(shape); expected [ranks, state words]")
            }
            rankStates = (0..<shape[0]).map { r in values[(r * shape[1])..<((r + 1) * shape[1])].map { UInt64(bitPattern: $0) } }
        }
        var classNames: [String]?
        if file.hasAttribute("class_names") {
            let text = try file.stringAttribute("class_names")
            guard let names = (try? JSONSerialization.jsonObject(with: Foundation.Data(text.utf8))) as? [String] else {
                throw FileFormatError(file: path, message: "root attribute 'class_names' is not a JSON array of strings")
            }
            classNames = names
        }
        var checkpoint = Checkpoint(
            config: config, modelConfig: modelConfig,
            epoch: try file.intAttribute("epoch"),
            batchInEpoch: (try? file.intAttribute("batch_in_epoch")) ?? 0,
            step: try file.intAttribute("step"),
            parameters: try readGroup("model"),
            optimizerStep: (try? file.intAttribute("step", on: "optimizer")) ?? 0,
            optimizerState: optimizerState,
            modelRandomState: file.exists("rng/model") ? try file.readInt64("rng/model").values.map { UInt64(bitPattern: $0) } : [],
            metricsHistory: history.split(separator: "\n").map(String.init),
            bestAccuracy: try? file.doubleAttribute("best_accuracy"),
            emaParameters: try readGroup("ema"),
            wallTime: (try? file.doubleAttribute("wall_time_s")) ?? 0)
        checkpoint.rankRandomStates = rankStates
        checkpoint.worldSize = (try? file.intAttribute("world_size")) ?? 1
        checkpoint.epochPosition = file.hasAttribute("epoch_position") ? try file.intAttribute("epoch_position") : nil
        checkpoint.pretrainedConfig = file.hasAttribute("pretrained_cfg") ? try file.stringAttribute("pretrained_cfg") : nil
        checkpoint.classNames = classNames
        try checkpoint.checkConsistency(file: path)
        return checkpoint
    }

    /// What resuming relies on without checking again: counters that are not negative, one
    /// generator state of xoshiro's four words, and optimizer moments as long as their parameter
    /// (AdamW walks them with the parameter's element count).
    func checkConsistency(file path: String) throws {
        func fail(_ message: String) -> FileFormatError {
            FileFormatError(file: path, message: "damaged checkpoint: \(message)")
        }
        for (name, value) in [("epoch", epoch), ("batch_in_epoch", batchInEpoch), ("step", step), ("optimizer step", optimizerStep)]
        where value < 0 {
            throw fail("\(name) is \(value); expected a count ≥ 0")
        }
        if !modelRandomState.isEmpty && modelRandomState.count != 4 {
            throw fail("rng/model holds \(modelRandomState.count) words; expected 4 (xoshiro256** state)")
        }
        let counts = Dictionary(parameters.map { ($0.path, $0.values.count) }, uniquingKeysWith: { first, _ in first })
        for (name, state) in optimizerState.sorted(by: { $0.key < $1.key }) {
            let expected = counts[name] ?? state.firstMoment.count
            if state.firstMoment.count != expected || state.secondMoment.count != expected {
                throw fail("optimizer moments of '\(name)' hold \(state.firstMoment.count) and \(state.secondMoment.count) values; expected \(expected) each, as the parameter")
            }
        }
    }
}

extension Checkpoint {
    /// The stored parameters and buffers keyed by path, as `VisionTransformer.load` takes them.
    public var stateDictionary: StateDictionary { Checkpoint.dictionary(parameters) }

    /// The EMA weights keyed by path.
    public var emaStateDictionary: StateDictionary { Checkpoint.dictionary(emaParameters) }

    static func dictionary(_ entries: [(path: String, shape: [Int], values: [Float])]) -> StateDictionary {
        var state: StateDictionary = [:]
        for (p, shape, values) in entries { state[p] = (shape, values) }
        return state
    }

    /// The model this checkpoint holds (or its EMA), rebuilt from its stored architecture and
    /// weights. `file` names the checkpoint in load errors.
    public func makeModel(file: String, ema: Bool = false) throws -> VisionTransformer {
        if ema && emaParameters.isEmpty {
            throw FileFormatError(file: file, message: "holds no EMA weights (group 'ema/'); train with train.model_ema true to keep them")
        }
        let model: VisionTransformer
        do {
            try modelConfig.checkMLPWidth()
            model = try VisionTransformer.make(config: modelConfig, seed: 0)
        } catch {
            throw FileFormatError(file: file, message: "its stored model_config cannot build a model: \(error)")
        }
        do {
            try model.load(ema ? emaStateDictionary : stateDictionary, resamplePositionEmbedding: false)
        } catch let error as ModelLoadError {
            throw ModelLoadError.file(file, error)
        }
        return model
    }
}
