// What `vittrain explain` and `eval --images / --dump-attention --method` share: the method,
// rollout and preprocessing options, the checkpoint's data config and class names (with their
// fallbacks), and one explanation run (top-5, maps, dump, page, faithfulness scoreboard).

import ArgumentParser
import Data
import FileFormats
import Foundation
import Interpret
import Models
import Tensor
import Training

struct ExplainOptions: ParsableArguments {
    @Option(help: "Methods, comma separated: attention (per-head CLS maps, head mean/max/min), rollout, dino, chefer2021.")
    var method = "attention,rollout,dino,chefer2021"

    @Option(help: "Rollout head fusion: mean, max or min.")
    var fusion = "mean"

    @Option(help: "Rollout: share of the weakest patch–patch links to discard per layer, in [0, 1).")
    var discard = 0.0

    @Option(help: "Rollout: first layer to include (layers are numbered from 0).")
    var startLayer = 0

    @Option(help: "DINO masks: share of each head's CLS attention mass to keep, in (0, 1].")
    var keepMass = 0.6

    @Option(name: .customLong("class"), help: "Class to explain with chefer2021 and to score (default: each image's predicted class).")
    var targetClass: Int?

    @Option(help: "Colour scale of the head maps: shared (one per image, over all layers and heads) or per-map.")
    var scale = "shared"

    @Option(help: "Override the data config's input size: S or C,H,W.")
    var inputSize: String?

    @Option(help: "Override the data config's crop_pct (resize to floor(size / crop_pct), then centre crop).")
    var cropPct: Double?

    @Option(help: "Override the data config's interpolation: bicubic or bilinear.")
    var interpolation: String?

    @Option(help: "Override the normalisation mean: three comma-separated values.")
    var mean: String?

    @Option(help: "Override the normalisation std: three comma-separated values.")
    var std: String?

    func settings() throws -> ExplainSettings {
        guard let fusion = HeadFusion(rawValue: fusion) else {
            throw CLIError("--fusion \(fusion): expected mean, max or min")
        }
        guard scale == "shared" || scale == "per-map" else { throw CLIError("--scale \(scale): expected shared or per-map") }
        var settings = ExplainSettings(methods: try ExplainMethod.parseList(method),
                                       rollout: try AttentionRollout(fusion: fusion, discardRatio: discard, startLayer: startLayer),
                                       keepMass: keepMass, targetClass: targetClass)
        settings.sharedScale = scale == "shared"
        return settings
    }

    static func numbers(_ text: String, _ flag: String) throws -> [Double] {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw CLIError("\(flag) \(text): expected comma-separated numbers")
        }
        return parts.map { $0! }
    }

    /// The checkpoint's data config with the command line's overrides applied.
    func dataConfig(_ stored: PretrainedDataConfig?, model: ViTConfig, fallbackMean: [Float], fallbackStd: [Float]) throws -> PretrainedDataConfig {
        var c = stored ?? PretrainedDataConfig(inputSize: [model.inChannels, model.imageSize, model.imageSize],
                                               interpolation: "bilinear", cropPct: 1, cropMode: "center",
                                               mean: fallbackMean.map(Double.init), std: fallbackStd.map(Double.init))
        if let inputSize {
            let v = try Self.numbers(inputSize, "--input-size").map(Int.init)
            guard v.count == 1 || v.count == 3 else { throw CLIError("--input-size \(inputSize): expected S or C,H,W") }
            c.inputSize = v.count == 1 ? [model.inChannels, v[0], v[0]] : v
        }
        if let cropPct { c.cropPct = cropPct }
        if let interpolation { c.interpolation = interpolation }
        if let mean { c.mean = try Self.numbers(mean, "--mean") }
        if let std { c.std = try Self.numbers(std, "--std") }
        return c
    }
}

/// A checkpoint opened for explanation: the model, how photos become its inputs, and class names.
struct ExplainModel {
    let model: VisionTransformer
    let transform: ImageTransform
    let classNames: [String]

    /// Reads `path`; the data config comes from `pretrained_cfg`, else the run's data section; the
    /// names from `class_names`, else the run's dataset, else ImageNet-1k for 1000 classes.
    init(checkpoint path: String, options: ExplainOptions) throws {
        let saved = try Checkpoint.read(path)
        model = try saved.makeModel(file: path)
        let stored = try saved.pretrainedConfig.map { try PretrainedDataConfig.parse($0, source: path) }
        let storedNames = saved.classNames
        // The run's dataset is opened only when the checkpoint lacks what it would supply; a dataset
        // that is not on this machine just leaves its fallbacks out.
        let dataset = (stored == nil || storedNames == nil)
            ? try? RunSetup.openDataset(saved.config.data, split: .test, modelImageSize: model.config.imageSize) : nil
        let normalisation = dataset.map { RunSetup.normalization(saved.config.data, dataset: $0) }
            ?? (saved.config.data.mean.map { $0.map(Float.init) } ?? NormalizationDefaults.imageNet.mean,
                saved.config.data.std.map { $0.map(Float.init) } ?? NormalizationDefaults.imageNet.std)
        let config = try options.dataConfig(stored, model: model.config, fallbackMean: normalisation.0, fallbackStd: normalisation.1)
        transform = try ImageTransform(config: config, fallbackChannels: model.config.inChannels,
                                       fallbackSize: model.config.imageSize, fallbackMean: normalisation.0, fallbackStd: normalisation.1)
        guard [transform.channels, transform.height, transform.width] == [model.config.inChannels, model.config.imageSize, model.config.imageSize] else {
            throw CLIError("input size [\(transform.channels), \(transform.height), \(transform.width)] does not fit the model, which expects [\(model.config.inChannels), \(model.config.imageSize), \(model.config.imageSize)]")
        }
        classNames = ClassNames.resolve(count: model.config.numClasses, checkpoint: storedNames, dataset: dataset?.classNames)
    }
}

enum ExplainRun {
    /// Top-5 predictions, the dump with every chosen method, and (unless `score` is false) the
    /// faithfulness scoreboard, all in `directory`. Prints what it wrote.
    static func run(_ explained: ExplainModel, paths: [String], options: ExplainOptions, to directory: String,
                    score: Bool, step: Int) throws {
        let settings = try options.settings()
        let model = explained.model, names = explained.classNames
        let k = model.config.numClasses
        if let c = settings.targetClass, c < 0 || c >= k {
            throw CLIError("--class \(c): the model has \(k) classes (0…\(k - 1))")
        }
        let photos = try ExplainInputs(paths: paths, transform: explained.transform)
        let started = Date()
        let b = photos.pictures.count
        func explainedClasses(_ logits: Tensor) -> [Int] {
            let predicted = Evaluation.predictions(logits)
            return (0..<b).map { settings.targetClass ?? predicted[$0] }
        }
        // With chefer2021, one taped pass gives the attention maps and the relevance together.
        let captured = settings.methods.contains(.chefer2021)
            ? try ClassRelevance.capture(model: model, images: photos.inputs, classes: explainedClasses)
            : try ModelCapture.run(model, images: photos.inputs)
        let probabilities = captured.output.logits.softmax(axis: -1)
        let predicted = Evaluation.predictions(captured.output.logits)
        let targets = explainedClasses(captured.output.logits)
        var top5: [[(Int, Float)]] = []
        for (i, picture) in photos.pictures.enumerated() {
            let row = Array(probabilities.data[(i * k)..<((i + 1) * k)])
            let best = row.indices.sorted { row[$0] > row[$1] }.prefix(5).map { ($0, row[$0]) }
            top5.append(best)
            print("\(picture.name): " + best.map { String(format: "%@ %.1f%%", names[$0.0], 100 * $0.1) }.joined(separator: ", "))
        }
        let images = photos.pictures.enumerated().map { i, p in
            ExplainedImage(name: p.name, image: p.image, label: nil, prediction: names[predicted[i]])
        }
        let summary = try dump(model: model, captured: captured, inputs: photos.inputs, images: images,
                               settings: settings, targets: targets, scoreStep: score ? step : nil, to: directory,
                               started: started)
        try writePredictions(top5, images: photos.pictures.map(\.name), names: names, targets: targets,
                             to: directory + "/predictions.json")
        print("maps: \(summary.pngPaths.count) PNGs, attention.h5 (\(settings.methods.map(\.rawValue).joined(separator: ", "))); open \(summary.indexPath)")
    }

    /// Deletion / insertion of each chosen method's map (attention: the last layer's head mean)
    /// against a random order; printed and written to `directory`.
    static func scoreboard(model: VisionTransformer, inputs: Tensor, names: [String], snapshot: AttentionSnapshot,
                           extra: [MethodMap], settings: ExplainSettings, targets: [Int], step: Int, to directory: String) throws {
        var scored: [(name: String, maps: Tensor)] = []
        let l = snapshot.layers, b = snapshot.images, n = snapshot.patches
        for method in settings.methods {
            switch method {
            case .attention: scored.append(("attention", Tensor(shape: [b, n], data: Array(snapshot.headMean.data[((l - 1) * b * n)...]))))
            case .rollout: scored.append(("rollout", snapshot.rollout))
            case .dino: if let m = extra.first(where: { $0.name == "dino_mask" }) { scored.append(("dino", m.maps)) }
            case .chefer2021: if let m = extra.first(where: { $0.name == "chefer2021" }) { scored.append(("chefer2021", m.maps)) }
            }
        }
        let board = try FaithfulnessScoreboard(model: model, images: inputs, imageNames: names,
                                               targets: targets, methods: scored, step: step)
        try board.write(to: directory)
        print(board.table)
        print("scoreboard → \(directory)/faithfulness.csv, faithfulness.svg")
    }

    /// The dump of `images` (their model inputs `inputs`, already run as `captured`) with the
    /// chosen methods, image b explained for `targets[b]`; with a `scoreStep`, the scoreboard first
    /// (so the page shows it).
    static func dump(model: VisionTransformer, captured: CapturedForward, inputs: Tensor, images: [ExplainedImage],
                     settings: ExplainSettings, targets: [Int], scoreStep: Int?, to directory: String,
                     started: Date? = nil) throws -> AttentionDumpSummary {
        let snapshot = try captured.snapshot(rollout: settings.rollout)
        let extra = try settings.extraMaps(model: model, images: inputs, snapshot: snapshot, targets: targets,
                                           names: images.map(\.name), relevance: captured.relevance)
        if let started {
            // The cost of the maps themselves (forward, measures, methods), without loading or drawing.
            let b = images.count
            FileHandle.standardError.write(Data(String(format: "explained %d image%@ in %.3f s (%@)\n", b, b == 1 ? "" : "s",
                Date().timeIntervalSince(started), settings.methods.map(\.rawValue).joined(separator: ", ")).utf8))
        }
        if let scoreStep {
            try scoreboard(model: model, inputs: inputs, names: images.map(\.name), snapshot: snapshot,
                           extra: extra, settings: settings, targets: targets, step: scoreStep, to: directory)
        }
        var options = AttentionDumpOptions(rollout: settings.rollout)
        options.methods = extra
        options.sharedScale = settings.sharedScale
        options.scoreboard = scoreStep != nil
        let summary = try AttentionDump.write(images: images, attentions: captured.attentions, layout: captured.layout,
                                              to: directory, options: options)
        // Named with their predicted class, so the similarity heatmap reads as classes.
        try captured.embeddings(names: images.map { image in image.prediction.map { "\(image.name) (\($0))" } ?? image.name },
                                rollout: settings.rollout).writeEmbeddings(to: directory)
        return summary
    }

    struct Prediction: Encodable {
        let image: String
        let explained_class: Int
        let top5: [Entry]
        struct Entry: Encodable { let index: Int; let name: String; let probability: Float }
    }

    static func writePredictions(_ top5: [[(Int, Float)]], images: [String], names: [String], targets: [Int], to path: String) throws {
        let rows = zip(images, zip(top5, targets)).map { image, pair in
            Prediction(image: image, explained_class: pair.1,
                       top5: pair.0.map { Prediction.Entry(index: $0.0, name: names[$0.0], probability: $0.1) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(rows), to: path)
    }
}
