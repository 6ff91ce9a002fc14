// Reading pretrained ViT weights: a folder holding `model.safetensors` and a `config.json`
// (timm's hub format or Hugging Face's), or a lone .safetensors file. The architecture comes
// from the config where there is one and from the tensors otherwise; a value that neither shows
// (heads, eps, activation) is refused with the flag that sets it, never guessed.

import FileFormats
import Foundation
import Models

public enum WeightFormat: String, CaseIterable {
    case timm
    case hf
}

/// Values a user gives on the command line, which win over configs and tensors.
public struct ImportOverrides {
    public var format: WeightFormat?
    public var configPath: String?
    public var heads: Int?
    public var layerNormEps: Float?
    public var activation: ViTConfig.Activation?

    public init(format: WeightFormat? = nil, configPath: String? = nil, heads: Int? = nil,
                layerNormEps: Float? = nil, activation: ViTConfig.Activation? = nil) {
        self.format = format
        self.configPath = configPath
        self.heads = heads
        self.layerNormEps = layerNormEps
        self.activation = activation
    }
}

/// A model read from outside, ready to load: timm-named tensors and the config that builds it.
public struct ImportedWeights {
    public var parameters: StateDictionary
    public var config: ViTConfig
    public var format: WeightFormat
    public var pretrainedConfig: String?
    public var classNames: [String]?
    /// What the import did that a user should know (a dropped pooler, the config it read).
    public var notes: [String]
}

public enum WeightImport {

    /// The metadata key under which `vittrain export` records the head count, which shapes
    /// cannot show.
    public static let headsMetadataKey = "vittrain.num_heads"

    /// The parameters of a safetensors file in timm names, the format they came in, and the
    /// file's metadata.
    public static func readSafetensors(_ path: String, format: WeightFormat? = nil) throws
        -> (parameters: StateDictionary, format: WeightFormat, metadata: [String: String]) {
        // Integer tensors are allowed only as PyTorch's BatchNorm counter, which carries no weights.
        let (entries, metadata) = try Safetensors.inspect(path)
        if let bad = entries.first(where: { !["F32", "F16", "BF16"].contains($0.dtype) && !$0.name.hasSuffix("num_batches_tracked") }) {
            throw FileFormatError(file: path, message: "key '\(bad.name)' has dtype \(bad.dtype); expected F32, F16 or BF16")
        }
        let (tensors, _) = try Safetensors.read(path, skippingUnsupportedDTypes: true)
        var raw: StateDictionary = [:]
        for (name, t) in tensors { raw[name] = (t.shape, t.values) }
        let detected = format ?? (HuggingFaceViT.isHuggingFace(raw.keys) ? .hf : .timm)
        switch detected {
        case .timm: return (raw, .timm, metadata)
        case .hf: return (HuggingFaceViT.timmState(from: raw), .hf, metadata)
        }
    }

    /// The weights file and config file that `source` (a folder or a .safetensors file) names.
    static func locate(_ source: String, explicitConfig: String?) throws -> (weights: String, config: String?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw FileFormatError(file: source, message: "no such file or folder")
        }
        let folder = isDirectory.boolValue ? source : (source as NSString).deletingLastPathComponent
        let weights = isDirectory.boolValue ? (source as NSString).appendingPathComponent("model.safetensors") : source
        if isDirectory.boolValue && !FileManager.default.fileExists(atPath: weights) {
            throw FileFormatError(file: source, message: "folder has no model.safetensors (expected model.safetensors and config.json, as the Hugging Face Hub stores a model)")
        }
        if let explicitConfig {
            guard FileManager.default.fileExists(atPath: explicitConfig) else {
                throw FileFormatError(file: explicitConfig, message: "no such file")
            }
            return (weights, explicitConfig)
        }
        let beside = (folder.isEmpty ? "." : folder) + "/config.json"
        return (weights, FileManager.default.fileExists(atPath: beside) ? beside : nil)
    }

    /// Reads `source` with its config: the tensors in timm names and the architecture.
    public static func load(_ source: String, overrides: ImportOverrides = ImportOverrides()) throws -> ImportedWeights {
        let (weightsPath, configPath) = try locate(source, explicitConfig: overrides.configPath)
        var (parameters, format, metadata) = try readSafetensors(weightsPath, format: overrides.format)
        var notes: [String] = []
        let pooler = parameters.keys.filter { $0.hasPrefix(HuggingFaceViT.poolerPrefix) }.sorted()
        if format == .hf && !pooler.isEmpty {
            for key in pooler { parameters[key] = nil }
            notes.append("dropped the ViTModel pooler (\(pooler.joined(separator: ", "))): vittrain's features are the class token after the final norm, as timm's")
        }
        let shown = try TensorFacts(parameters, file: weightsPath)
        var config: ViTConfig
        var pretrained: String?
        var classNames: [String]?
        if let configPath {
            let object = try readJSONObject(configPath)
            if object["architecture"] != nil {
                let hub = try TimmHubConfig(object, file: configPath)
                config = try hub.modelConfig(shown: shown)
                pretrained = hub.pretrainedConfigJSON
                classNames = hub.labelNames
                notes.append("architecture \(hub.architecture) from \(configPath)")
            } else if object["model_type"] != nil {
                let hf = try HuggingFaceConfig(object, file: configPath)
                config = try hf.modelConfig(shown: shown)
                pretrained = hf.pretrainedConfigJSON(besides: configPath)
                classNames = hf.labelNames
                notes.append("Hugging Face \(hf.architecture) from \(configPath)")
            } else {
                throw FileFormatError(file: configPath, message: "neither timm's hub config (no 'architecture') nor a Hugging Face ViT / DeiT config (no 'model_type')")
            }
        } else {
            let heads = overrides.heads ?? metadata[headsMetadataKey].flatMap { Int($0) }
            config = try shown.config(heads: heads, format: format, overrides: overrides)
        }
        if let heads = overrides.heads { config.numHeads = heads }
        if let eps = overrides.layerNormEps { config.layerNormEps = eps }
        if let activation = overrides.activation { config.activation = activation }
        do { try config.validate() } catch let error as ViTConfigError {
            throw FileFormatError(file: configPath ?? weightsPath, message: error.message)
        }
        return ImportedWeights(parameters: parameters, config: config.canonical, format: format,
                               pretrainedConfig: pretrained, classNames: classNames, notes: notes)
    }

    static func readJSONObject(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileFormatError(file: path, message: "cannot read the file")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw FileFormatError(file: path, message: "not a JSON object")
        }
        return object
    }
}
