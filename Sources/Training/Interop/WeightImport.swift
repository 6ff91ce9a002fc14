// Reading pretrained ViT weights from safetensors: timm names as they are, or Hugging Face
// `ViTForImageClassification` / `ViTModel` names mapped to timm's (Models' HuggingFaceViT).
// The architecture is inferred from the shapes, so `vittrain import` needs no config.

import FileFormats
import Foundation
import Models

public enum WeightFormat: String, CaseIterable {
    case timm
    case hf
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

    /// The ViT architecture that timm-named `parameters` describe. Heads cannot be seen in the
    /// shapes; they come from `heads` (an HF config.json) or from the preset with the same width.
    public static func inferConfig(_ parameters: StateDictionary, heads: Int? = nil, file: String) throws -> ViTConfig {
        func shape(_ key: String) throws -> [Int] {
            guard let s = parameters[key]?.shape else {
                throw FileFormatError(file: file, message: "no parameter '\(key)'; cannot infer the architecture")
            }
            return s
        }
        let patch = try shape("patch_embed.proj.weight")      // [D, C, P, P]
        let pos = try shape("pos_embed")                       // [1, 1 + N, D]
        guard patch.count == 4, patch[2] == patch[3], pos.count == 3, pos[1] >= 2 else {
            throw FileFormatError(file: file, message: "patch_embed.proj.weight \(patch) / pos_embed \(pos) are not ViT shapes; expected [D, C, P, P] and [1, 1 + N, D] with N ≥ 1")
        }
        for key in ["head.weight", "blocks.0.mlp.fc1.weight"] {
            if let s = parameters[key]?.shape, s.count != 2 {
                throw FileFormatError(file: file, message: "\(key) has shape \(s); expected a matrix [out, in]")
            }
        }
        let dim = patch[0]
        let grid = Int(Double(pos[1] - 1).squareRoot().rounded())
        guard grid * grid == pos[1] - 1 else {
            throw FileFormatError(file: file, message: "pos_embed has \(pos[1] - 1) patch positions, not a square grid")
        }
        let blockIndices = Set(parameters.keys.compactMap { key -> Int? in
            guard key.hasPrefix("blocks.") else { return nil }
            return Int(key.dropFirst("blocks.".count).prefix { $0.isNumber })
        })
        let depth = (blockIndices.max() ?? -1) + 1
        // A stray index (blocks.7 in a 1-block file, or a huge one) would build a model of that depth.
        if let gap = (0..<min(depth, blockIndices.count + 1)).first(where: { !blockIndices.contains($0) }) {
            throw FileFormatError(file: file, message: "has parameters of block \(depth - 1) but none of block \(gap); expected blocks.0 … blocks.N without gaps")
        }
        let presetHeads = ViTPresets.names.compactMap { ViTPresets.config(named: $0) }
            .first { $0.embedDim == dim && $0.hybrid == nil }?.numHeads
        guard let numHeads = heads ?? presetHeads ?? (dim % 64 == 0 ? dim / 64 : nil) else {
            throw FileFormatError(file: file, message: "cannot infer the number of heads for width \(dim); pass --heads N (or a Hugging Face config.json)")
        }
        var config = ViTConfig()
        config.embedDim = dim
        config.depth = depth
        config.numHeads = numHeads
        config.patchSize = patch[2]
        config.inChannels = patch[1]
        config.imageSize = grid * patch[2]
        config.numClasses = parameters["head.weight"]?.shape[0] ?? 0
        if let fc1 = parameters["blocks.0.mlp.fc1.weight"]?.shape.first {
            config.mlpRatio = Double(fc1) / Double(dim)
        }
        config.qkvBias = parameters["blocks.0.attn.qkv.bias"] != nil
        return config
    }
}
