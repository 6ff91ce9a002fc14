// `vittrain import` turns a timm or Hugging Face safetensors ViT into a vittrain checkpoint;
// `vittrain export` writes a checkpoint as safetensors in timm or HF names (+ config.json).

import ArgumentParser
import FileFormats
import Foundation
import Models
import Training

extension WeightFormat: ExpressibleByArgument {}

extension ViTConfig.Activation: ExpressibleByArgument {}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a timm or Hugging Face ViT (.safetensors, or a folder with model.safetensors + config.json) as a vittrain checkpoint.")

    @Option(name: .customLong("from"), help: "A .safetensors file, or a folder holding model.safetensors and config.json (timm's hub format or Hugging Face's).")
    var source: String

    @Option(help: "timm or hf (detected from the keys when absent).")
    var format: WeightFormat?

    @Option(help: "A timm hub or Hugging Face config.json; found beside the weights when absent.")
    var config: String?

    @Option(help: "Attention heads, which tensors cannot show (default: config.json or the file's vittrain metadata).")
    var heads: Int?

    @Option(help: "LayerNorm eps (default: config.json, else timm's 1e-6 / Hugging Face's 1e-12).")
    var eps: Float?

    @Option(help: "MLP activation: gelu, quick_gelu or gelu_tanh (default: config.json, else gelu).")
    var activation: ViTConfig.Activation?

    @Option(help: "The checkpoint to write (.h5).")
    var out: String

    func run() throws {
        try reportingErrors {
            let overrides = ImportOverrides(format: format, configPath: config, heads: heads, layerNormEps: eps, activation: activation)
            let imported = try WeightImport.load(source, overrides: overrides)
            let modelConfig = imported.config
            let model = try VisionTransformer.make(config: modelConfig, seed: 0)
            do {
                _ = try model.load(imported.parameters, strict: true, resamplePositionEmbedding: false)
            } catch let error as ModelLoadError {
                throw ModelLoadError.file(source, error)
            }
            var run = RunConfig()
            run.name = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
            run.model = ModelSection(describing: modelConfig)
            var checkpoint = Checkpoint(config: run, modelConfig: modelConfig, epoch: 0, batchInEpoch: 0, step: 0,
                                        parameters: model.namedParameters().map { ($0.path, $0.tensor.shape, $0.tensor.data) })
            checkpoint.pretrainedConfig = imported.pretrainedConfig
            checkpoint.classNames = imported.classNames
            try checkpoint.write(to: out)
            for note in imported.notes { print("note: \(note)") }
            let layout = modelConfig.tokenLayout
            let tokens = [layout.classTokens > 0 ? "class" : nil, layout.distillationTokens > 0 ? "distillation" : nil,
                          layout.registerTokens > 0 ? "\(layout.registerTokens) registers" : nil].compactMap { $0 }
            print("imported \(imported.format.rawValue) weights: dim \(modelConfig.embedDim), depth \(modelConfig.depth), heads \(modelConfig.numHeads), image \(modelConfig.imageSize), patch \(modelConfig.patchSize), prefix tokens [\(tokens.joined(separator: ", "))], pool \(modelConfig.globalPool.rawValue), \(modelConfig.numClasses) classes → \(out)")
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a vittrain checkpoint as .safetensors (timm or Hugging Face names) with a config.json beside it.")

    @Option(help: "The vittrain checkpoint (.h5).")
    var checkpoint: String

    @Option(help: "timm or hf.")
    var format: WeightFormat = .timm

    @Option(help: "The .safetensors file to write; config.json (timm's hub format or Hugging Face's) goes beside it.")
    var out: String

    func run() throws {
        try reportingErrors {
            let saved = try Checkpoint.read(checkpoint)
            let folder = (out as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            let m = saved.modelConfig
            let metadata = ["format": "pt", WeightImport.headsMetadataKey: String(m.numHeads)]
            let configPath = ((out as NSString).deletingLastPathComponent as NSString).appendingPathComponent("config.json")
            let json: String
            let state: StateDictionary
            switch format {
            case .timm:
                let timm = try TimmHubConfig.json(for: m, pretrainedConfig: saved.pretrainedConfig, classNames: saved.classNames, file: checkpoint)
                json = timm.json
                if let note = timm.note { print("note: \(note)") }
                state = saved.stateDictionary
            case .hf:
                guard HuggingFaceConfig.hasClass(for: m) else {
                    throw CLIError("\(checkpoint): transformers has no ViT or DeiT class for this model's family (registers, layer scale, norm_pre, avg / attention pooling or QuickGELU); export --format timm")
                }
                json = HuggingFaceConfig.json(for: m, classNames: saved.classNames)
                state = HuggingFaceViT.huggingFaceState(from: saved.stateDictionary, distilled: m.distilled)
            }
            try Safetensors.write(state.keys.sorted().map { ($0, state[$0]!.shape, state[$0]!.values) },
                                  metadata: metadata, to: out)
            try AtomicFile.write(Data(json.utf8), to: configPath)
            print("exported \(state.count) tensors in \(format.rawValue) names → \(out) (+ \(configPath))")
        }
    }
}
