// `vittrain eval --checkpoint C`: accuracy, loss and confusion matrix on the validation set (or on
// `--data PATH`); `--predictions FILE` keeps per-image logits; `--dump-attention DIR` explains the
// probe images (or `--images a.png b.png`); `--embeddings DIR` writes CLS and rollout-weighted
// embeddings with their cosine similarities.

import ArgumentParser
import Data
import FileFormats
import Foundation
import Interpret
import Tensor
import Models
import Training

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint and explain what it attends to.")

    @Option(help: "The vittrain checkpoint (.h5).")
    var checkpoint: String

    @Option(help: "Evaluate on this data instead of the run's validation set: a CIFAR folder, IDX files, a PNG class folder or an HDF5 file (detected).")
    var data: String?

    @Option(help: "The dataset kind for --data when detection is not wanted (cifar10, fashion-mnist, folder, hdf5).")
    var dataKind: String?

    @Option(help: "Write per-image logits and labels: .h5 (datasets logits, labels) or .jsonl.")
    var predictions: String?

    @Flag(help: "Feed stored values as they are (for arrays that are already normalised).")
    var noNormalize = false

    @Option(help: "Write attention overlays, grids, tables, arrays and index.html here.")
    var dumpAttention: String?

    @Option(parsing: .upToNextOption, help: "PNG or JPEG images (or folders) to explain, preprocessed as `explain` does; without --data no dataset is scored (default: the first --probe-images validation images).")
    var images: [String] = []

    @Option(help: "How many validation images to explain when no --images are given.")
    var probeImages = 8

    @Option(help: "Write CLS and rollout-weighted embeddings and their cosine similarities here.")
    var embeddings: String?

    @Option(help: "Batch size.")
    var batch = 64

    @Flag(help: "Evaluate the checkpoint's model EMA (group ema/, written with train.model_ema) instead of its weights.")
    var ema = false

    @Option(help: "Write the confusion matrix here as CSV when there are more than 20 classes (default: beside the checkpoint).")
    var confusion: String?

    @OptionGroup var explain: ExplainOptions

    @Flag(help: "With --dump-attention: also score each method's maps by deletion / insertion (faithfulness.csv, .svg).")
    var score = false

    @Option(help: "GEMM precision, as torch.set_float32_matmul_precision: highest (fp32) or medium (bf16 inputs, fp32 accumulation; CPUs with AVX-512 BF16).")
    var matmulPrecision = MatmulPrecision.highest.rawValue

    func run() throws {
        try reportingErrors {
            guard let precision = MatmulPrecision(rawValue: matmulPrecision) else {
                throw CLIError("--matmul-precision: expected highest or medium, got \"\(matmulPrecision)\"")
            }
            guard probeImages >= 0 else {
                throw CLIError("--probe-images: expected a count ≥ 0, got \(probeImages)")
            }
            // Output folders first, so an unwritable one fails before the evaluation, with the OS reason.
            if let dumpAttention { try Directory.create(dumpAttention, name: "--dump-attention") }
            if let embeddings { try Directory.create(embeddings, name: "--embeddings") }
            ComputeSettings.apply(precision: precision)
            if !images.isEmpty && data == nil && predictions == nil {
                // Outside photos only: the same run as `vittrain explain`, and no dataset is scored.
                guard dumpAttention != nil || embeddings != nil else {
                    throw CLIError("--images: also give --dump-attention DIR (maps and page) or --embeddings DIR")
                }
                let explained = try ExplainModel(checkpoint: checkpoint, options: explain)
                for directory in [dumpAttention, embeddings].compactMap({ $0 }) {
                    try ExplainRun.run(explained, paths: images, options: explain, to: directory, score: score, step: 1)
                }
                return
            }
            let saved = try Checkpoint.read(checkpoint)
            let model = try saved.makeModel(file: checkpoint, ema: ema)
            let dataset = try openDataset(saved.config, model: model.config)
            let normalization = saved.config.data.normalize && !noNormalize
                ? RunSetup.normalization(saved.config.data, dataset: dataset) : nil
            let size = model.config.imageSize
            let loader = try DataLoader(dataset: dataset, batchSize: batch, shuffle: false, seed: 0,
                                        normalization: normalization,
                                        outputSize: size == dataset.height && size == dataset.width ? nil : size,
                                        outputChannels: model.config.inChannels)
            if model.config.numClasses == 0 {
                try Self.writeFeatures(model: model, loader: loader, to: predictions)
                return
            }
            var logits: [Float] = [], labels: [Int] = []
            let metrics: EvalMetrics
            do {
                metrics = try Evaluation.run(model: model, loader: loader, numClasses: model.config.numClasses) { batch, out in
                    if predictions != nil {
                        logits += out.data
                        labels += batch.labels
                    }
                }
            } catch let error as LabelRangeError {
                throw DataPathError(path: data ?? RunSetup.dataName(saved.config.data, split: .test), error)
            }
            print(String(format: "accuracy %.2f%%  loss %.4f  (%d images)", 100 * metrics.accuracy, metrics.loss, metrics.count))
            if metrics.confusion.count > 20 {
                let path = confusion ?? ((checkpoint as NSString).deletingPathExtension + "-confusion.csv")
                try Self.writeConfusion(metrics.confusion, names: dataset.classNames, to: path)
                print(Self.topConfusions(metrics.confusion, names: dataset.classNames))
                print("confusion matrix (\(metrics.confusion.count) classes) → \(path)")
            } else {
                print(Self.confusionTable(metrics.confusion, names: dataset.classNames))
            }
            if let predictions {
                try Self.writePredictions(logits: logits, labels: labels, classes: model.config.numClasses, to: predictions)
                print("predictions → \(predictions)")
            }
            if dumpAttention != nil || embeddings != nil {
                let (inputs, explained) = try explainedImages(dataset: dataset, loader: loader, model: model)
                if let directory = dumpAttention {
                    let settings = try explain.settings()
                    let captured = try ModelCapture.run(model, images: inputs)
                    let predicted = Evaluation.predictions(captured.output.logits)
                    let targets = predicted.map { settings.targetClass ?? $0 }
                    let summary = try ExplainRun.dump(model: model, captured: captured, inputs: inputs, images: explained,
                                                      settings: settings, targets: targets, scoreStep: score ? 1 : nil, to: directory)
                    print("attention: \(summary.pngPaths.count) PNGs; open \(summary.indexPath)")
                }
                if let directory = embeddings {
                    let captured = try ModelCapture.run(model, images: inputs)
                    try captured.embeddings(names: explained.map(\.name)).writeEmbeddings(to: directory)
                    print("embeddings → \(directory)")
                }
            }
        }
    }

    /// The dataset to evaluate: `--data` (kind detected or given), else the run's validation split.
    private func openDataset(_ config: RunConfig, model: ViTConfig) throws -> ImageDataset {
        guard let data else {
            return try RunSetup.openDataset(config.data, split: .test, modelImageSize: model.imageSize)
        }
        guard let kind = dataKind ?? DatasetKind.detect(path: data) else {
            throw CLIError("--data \(data): cannot tell what dataset this is; pass --data-kind (cifar10, fashion-mnist, folder, hdf5)")
        }
        return try DatasetKind.openDataset(kind: kind, root: data, split: .test, imageSize: model.imageSize)
    }

    /// The images to explain as model inputs, and as pictures with names, labels and predictions.
    private func explainedImages(dataset: ImageDataset, loader: DataLoader, model: VisionTransformer) throws
        -> (Tensor, [ExplainedImage]) {
        let names = dataset.classNames
        func name(_ c: Int) -> String { c < names.count ? names[c] : "class \(c)" }
        if images.isEmpty {
            let indices = Array(0..<min(probeImages, dataset.count))
            let batch = try loader.makeBatch(indices: indices, epoch: 0)
            let predicted = Evaluation.predictions(Tensor.withoutGrad { model(batch.images) })
            let explained = try indices.enumerated().map { i, index -> ExplainedImage in
                let (pixels, label) = try dataset.sample(at: index)
                return try ExplainedImage(name: "val\(index)", chw: pixels, channels: dataset.channels,
                                          height: dataset.height, width: dataset.width,
                                          label: name(label), prediction: name(predicted[i]))
            }
            return (batch.images, explained)
        }
        // Outside photos: preprocessed exactly as `vittrain explain` does.
        let photos = try ExplainInputs(paths: images, transform: try ExplainModel(checkpoint: checkpoint, options: explain).transform)
        let predicted = Evaluation.predictions(Tensor.withoutGrad { model(photos.inputs) })
        let explained = zip(photos.pictures, predicted).map { picture, p in
            ExplainedImage(name: picture.name, image: picture.image, label: nil, prediction: name(p))
        }
        return (photos.inputs, explained)
    }

    /// The full matrix as CSV: a header of predicted class names, one row per true class.
    static func writeConfusion(_ confusion: [[Int]], names: [String], to path: String) throws {
        func name(_ i: Int) -> String { AttentionDump.csvField(i < names.count ? names[i] : "class \(i)") }
        var text = "true\\predicted," + confusion.indices.map(name).joined(separator: ",") + "\n"
        for (i, row) in confusion.enumerated() { text += name(i) + "," + row.map(String.init).joined(separator: ",") + "\n" }
        try AtomicFile.write(Data(text.utf8), to: path)
    }

    /// The `count` largest off-diagonal entries, one per line.
    static func topConfusions(_ confusion: [[Int]], names: [String], count: Int = 10) -> String {
        func name(_ i: Int) -> String { i < names.count ? names[i] : "class \(i)" }
        var cells: [(Int, Int, Int)] = []
        for (i, row) in confusion.enumerated() { for (j, v) in row.enumerated() where i != j && v > 0 { cells.append((i, j, v)) } }
        cells.sort { $0.2 > $1.2 || ($0.2 == $1.2 && ($0.0, $0.1) < ($1.0, $1.1)) }
        let lines = cells.prefix(count).map { "  \($0.2)× \(name($0.0)) → \(name($0.1))" }
        return (["top confusions (true → predicted)"] + (lines.isEmpty ? ["  none"] : lines)).joined(separator: "\n")
    }

    static func confusionTable(_ confusion: [[Int]], names: [String]) -> String {
        let width = max(6, (confusion.flatMap { $0 }.max() ?? 0).description.count + 1)
        var lines = ["confusion (rows: true class, columns: predicted)"]
        for (i, row) in confusion.enumerated() {
            let label = (i < names.count ? names[i] : "\(i)").padding(toLength: 12, withPad: " ", startingAt: 0)
            lines.append(label + row.map { String($0).leftPadded(to: width) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// A headless model (0 classes, timm's Identity head) has no accuracy: its pooled pre-logits
    /// features are what it gives, written as dataset `features` [N, D] (with `labels`).
    static func writeFeatures(model: VisionTransformer, loader: DataLoader, to path: String?) throws {
        var features: [Float] = [], labels: [Int] = []
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        let iterator = loader.batches(epoch: 0)
        while let batch = try iterator.next() {
            features += Tensor.withoutGrad { model.forward(batch.images, allTokens: false).features }.data
            labels += batch.labels
        }
        let d = model.config.embedDim
        print("headless model (0 classes): no accuracy; pooled features [\(labels.count), \(d)] of \(labels.count) images")
        guard let path else { return }
        guard path.hasSuffix(".h5") || path.hasSuffix(".hdf5") else {
            throw CLIError("--predictions \(path): a headless model's features go to a .h5 file")
        }
        try HDF5File.writeAtomically(to: path) { file in
            try file.write(features, shape: [labels.count, d], to: "features")
            try file.write(labels.map(Int64.init), shape: [labels.count], to: "labels")
        }
        print("features → \(path)")
    }

    static func writePredictions(logits: [Float], labels: [Int], classes: Int, to path: String) throws {
        if path.hasSuffix(".h5") || path.hasSuffix(".hdf5") {
            try HDF5File.writeAtomically(to: path) { file in
                try file.write(logits, shape: [labels.count, classes], to: "logits")
                try file.write(labels.map(Int64.init), shape: [labels.count], to: "labels")
            }
        } else if path.hasSuffix(".jsonl") {
            var text = ""
            for (i, label) in labels.enumerated() {
                let row = logits[(i * classes)..<((i + 1) * classes)].map { String($0) }.joined(separator: ",")
                text += "{\"index\":\(i),\"label\":\(label),\"logits\":[\(row)]}\n"
            }
            try AtomicFile.write(Data(text.utf8), to: path)
        } else {
            throw CLIError("--predictions \(path): expected a .h5 or .jsonl file name")
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
