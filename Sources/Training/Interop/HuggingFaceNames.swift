// The Hugging Face ViT naming (transformers' modeling_vit) and timm's, both ways. HF keeps
// query, key and value as three Linear layers; timm fuses them into qkv with rows [q; k; v].

import FileFormats
import Foundation

public enum HuggingFaceNames {
    public typealias Parameters = [String: (shape: [Int], values: [Float])]

    /// Per-block renames (HF suffix → timm suffix), apart from the fused qkv.
    static let blockNames: [(hf: String, timm: String)] = [
        ("layernorm_before.weight", "norm1.weight"), ("layernorm_before.bias", "norm1.bias"),
        ("attention.output.dense.weight", "attn.proj.weight"), ("attention.output.dense.bias", "attn.proj.bias"),
        ("layernorm_after.weight", "norm2.weight"), ("layernorm_after.bias", "norm2.bias"),
        ("intermediate.dense.weight", "mlp.fc1.weight"), ("intermediate.dense.bias", "mlp.fc1.bias"),
        ("output.dense.weight", "mlp.fc2.weight"), ("output.dense.bias", "mlp.fc2.bias"),
    ]

    /// Top-level renames (without the `vit.` prefix that ViTForImageClassification adds).
    static let topNames: [(hf: String, timm: String)] = [
        ("embeddings.cls_token", "cls_token"),
        ("embeddings.position_embeddings", "pos_embed"),
        ("embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight"),
        ("embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias"),
        ("layernorm.weight", "norm.weight"), ("layernorm.bias", "norm.bias"),
    ]

    /// HF names → timm names. Unknown keys (pooler, mask token) are errors that name them.
    public static func toTimm(_ hf: Parameters, file: String) throws -> Parameters {
        var input = hf
        // ViTForImageClassification prefixes the encoder with "vit."; ViTModel does not.
        for key in Array(input.keys) where key.hasPrefix("vit.") {
            input[String(key.dropFirst(4))] = input.removeValue(forKey: key)
        }
        var out: Parameters = [:]
        func take(_ key: String) -> (shape: [Int], values: [Float])? { input.removeValue(forKey: key) }
        for (h, t) in topNames { if let v = take(h) { out[t] = v } }
        if let w = take("classifier.weight") { out["head.weight"] = w }
        if let b = take("classifier.bias") { out["head.bias"] = b }
        var layer = 0
        while input.keys.contains(where: { $0.hasPrefix("encoder.layer.\(layer).") }) {
            let hp = "encoder.layer.\(layer).", tp = "blocks.\(layer)."
            for (h, t) in blockNames { if let v = take(hp + h) { out[tp + t] = v } }
            for part in ["weight", "bias"] {
                let pieces = ["query", "key", "value"].map { take(hp + "attention.attention.\($0).\(part)") }
                if pieces.allSatisfy({ $0 != nil }) {
                    let shapes = pieces.map { $0!.shape }
                    var shape = shapes[0]
                    shape[0] *= 3
                    out[tp + "attn.qkv.\(part)"] = (shape, pieces.flatMap { $0!.values })
                } else if pieces.contains(where: { $0 != nil }) {
                    throw FileFormatError(file: file, message: "\(hp)attention.attention: query, key and value \(part)s must all be present")
                }
            }
            layer += 1
        }
        // The HF pooler is not part of timm's ViT; drop it rather than fail.
        for key in Array(input.keys) where key.hasPrefix("pooler.") { input[key] = nil }
        if let unknown = input.keys.sorted().first {
            throw FileFormatError(file: file, message: "unexpected key '\(unknown)' for a Hugging Face ViT")
        }
        return out
    }

    /// timm names → HF `ViTForImageClassification` names (qkv split into query, key, value).
    public static func fromTimm(_ timm: Parameters) -> Parameters {
        var out: Parameters = [:]
        for (h, t) in topNames { if let v = timm[t] { out["vit." + h] = v } }
        if let w = timm["head.weight"] { out["classifier.weight"] = w }
        if let b = timm["head.bias"] { out["classifier.bias"] = b }
        var layer = 0
        while timm.keys.contains(where: { $0.hasPrefix("blocks.\(layer).") }) {
            let hp = "vit.encoder.layer.\(layer).", tp = "blocks.\(layer)."
            for (h, t) in blockNames { if let v = timm[tp + t] { out[hp + h] = v } }
            for part in ["weight", "bias"] {
                guard let qkv = timm[tp + "attn.qkv.\(part)"] else { continue }
                let third = qkv.values.count / 3
                var shape = qkv.shape
                shape[0] /= 3
                for (i, name) in ["query", "key", "value"].enumerated() {
                    out[hp + "attention.attention.\(name).\(part)"] = (shape, Array(qkv.values[(i * third)..<((i + 1) * third)]))
                }
            }
            layer += 1
        }
        return out
    }

    /// The `config.json` that transformers needs to build the matching ViTForImageClassification.
    public static func configJSON(embedDim: Int, depth: Int, heads: Int, mlpDim: Int, imageSize: Int,
                                  patchSize: Int, channels: Int, numClasses: Int, qkvBias: Bool,
                                  eps: Float) -> String {
        var object: [String: Any] = [
            "architectures": ["ViTForImageClassification"], "model_type": "vit",
            "hidden_size": embedDim, "num_hidden_layers": depth, "num_attention_heads": heads,
            "intermediate_size": mlpDim, "hidden_act": "gelu", "image_size": imageSize,
            "patch_size": patchSize, "num_channels": channels, "qkv_bias": qkvBias,
            "layer_norm_eps": Double(eps), "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
        ]
        object["id2label"] = Dictionary(uniqueKeysWithValues: (0..<numClasses).map { ("\($0)", "LABEL_\($0)") })
        object["label2id"] = Dictionary(uniqueKeysWithValues: (0..<numClasses).map { ("LABEL_\($0)", $0) })
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Foundation.Data()
        return String(decoding: data, as: UTF8.self)
    }
}
