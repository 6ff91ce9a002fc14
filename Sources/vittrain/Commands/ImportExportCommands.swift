// `vittrain import` turns a timm or Hugging Face safetensors ViT (a file, or `hf:ORG/NAME[@REV]`
// fetched from the Hub into its cache) into a vittrain checkpoint;
// `vittrain export` writes a checkpoint as safetensors in timm or HF names (+ config.json).

import ArgumentParser
import FileFormats
import Foundation
import Hub
import Models
import Training

extension WeightFormat: ExpressibleByArgument {}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a timm or Hugging Face .safetensors ViT as a vittrain checkpoint.")

    @Option(name: .customLong("from"), help: "The .safetensors file, or hf:ORG/NAME[@REVISION] on the Hugging Face Hub (cached as huggingface_hub does).")
    var source: String

    @Option(help: "timm or hf (detected from the keys when absent).")
    var format: WeightFormat?

    @Option(help: "A Hugging Face config.json (heads, layer-norm eps); found beside the file when absent.")
    var config: String?

    @Option(help: "Attention heads (shapes cannot show them; default: config.json, the file's metadata, or width / 64).")
    var heads: Int?

    @Option(help: "The checkpoint to write (.h5).")
    var out: String

    func run() throws {
        try reportingErrors {
            // An hf: reference becomes the cached snapshot's model.safetensors, with its config.json beside it.
            let source = try HubModelFiles.localWeights(self.source)
            let (parameters, detected, metadata) = try WeightImport.readSafetensors(source, format: format)
            let hfConfig = try HuggingFaceConfig.read(explicit: config, besides: source)
            let knownHeads = heads ?? hfConfig?.heads ?? metadata[WeightImport.headsMetadataKey].flatMap { Int($0) }
            var modelConfig = try WeightImport.inferConfig(parameters, heads: knownHeads, file: source)
            if let eps = hfConfig?.layerNormEps { modelConfig.layerNormEps = eps }
            let model = try VisionTransformer.make(config: modelConfig, seed: 0)
            do {
                _ = try model.load(parameters, strict: true, resamplePositionEmbedding: false)
            } catch let error as ModelLoadError {
                throw ModelLoadError.file(source, error)
            }
            var run = RunConfig()
            run.name = HubReference.isReference(self.source) ? try HubReference(parsing: self.source).name
                : ((source as NSString).lastPathComponent as NSString).deletingPathExtension
            run.model = ModelSection(describing: modelConfig)
            let checkpoint = Checkpoint(config: run, modelConfig: modelConfig, epoch: 0, batchInEpoch: 0, step: 0,
                                        parameters: model.namedParameters().map { ($0.path, $0.tensor.shape, $0.tensor.data) })
            try checkpoint.write(to: out)
            print("imported \(detected.rawValue) weights: dim \(modelConfig.embedDim), depth \(modelConfig.depth), heads \(modelConfig.numHeads), image \(modelConfig.imageSize), patch \(modelConfig.patchSize), \(modelConfig.numClasses) classes → \(out)")
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a vittrain checkpoint as .safetensors (timm or Hugging Face names).")

    @Option(help: "The vittrain checkpoint (.h5).")
    var checkpoint: String

    @Option(help: "timm or hf.")
    var format: WeightFormat = .timm

    @Option(help: "The .safetensors file to write (hf also writes config.json beside it).")
    var out: String

    func run() throws {
        try reportingErrors {
            let saved = try Checkpoint.read(checkpoint)
            let folder = (out as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            let m = saved.modelConfig
            let metadata = ["format": "pt", WeightImport.headsMetadataKey: String(m.numHeads)]
            switch format {
            case .timm:
                try Safetensors.write(saved.parameters.map { ($0.path, $0.shape, $0.values) },
                                      metadata: metadata, to: out)
            case .hf:
                let hf = HuggingFaceViT.huggingFaceState(from: saved.stateDictionary)
                try Safetensors.write(hf.keys.sorted().map { ($0, hf[$0]!.shape, hf[$0]!.values) },
                                      metadata: metadata, to: out)
                let json = HuggingFaceConfig.json(for: m)
                let configPath = ((out as NSString).deletingLastPathComponent as NSString).appendingPathComponent("config.json")
                try AtomicFile.write(Data(json.utf8), to: configPath)
            }
            print("exported \(saved.parameters.count) tensors in \(format.rawValue) names → \(out)")
        }
    }
}
