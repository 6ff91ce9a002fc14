// Parameter names of Hugging Face `ViTForImageClassification` (and `ViTModel`, without the
// "vit." prefix), `DeiTForImageClassification` and `DeiTForImageClassificationWithTeacher`
// ("deit." prefix, a distillation token, class and distillation classifiers) mapped to and from timm's. HF keeps query, key and value as three [D, D]
// Linears; timm packs them into one qkv [3D, D] (rows q, then k, then v), so they are
// concatenated on import and split on export. Note HF ViT configs often use LayerNorm eps
// 1e-12 where timm uses 1e-6: set `ViTConfig.layerNormEps` to match the checkpoint.

public typealias StateDictionary = [String: (shape: [Int], values: [Float])]

public enum HuggingFaceViT {
    /// Whether `keys` look like a Hugging Face ViT state dict rather than a timm one.
    public static func isHuggingFace<S: Sequence>(_ keys: S) -> Bool where S.Element == String {
        keys.contains { $0.hasPrefix("vit.embeddings.") || $0.hasPrefix("deit.embeddings.") || $0.hasPrefix("embeddings.patch_embeddings.") }
    }

    /// The ViTModel pooler (dense + tanh on the class token), which timm's ViT does not have.
    public static let poolerPrefix = "pooler."

    /// timm name for each per-block HF name (after "encoder.layer.{i}."), q/k/v handled apart.
    private static let blockNames: [(hf: String, timm: String)] = [
        ("layernorm_before", "norm1"), ("attention.output.dense", "attn.proj"),
        ("layernorm_after", "norm2"), ("intermediate.dense", "mlp.fc1"), ("output.dense", "mlp.fc2"),
    ]

    /// ViT's `classifier`; DeiT's `classifier` (class head only) or `cls_classifier` and
    /// `distillation_classifier` (with teacher).
    private static let classifierNames: [(hf: String, timm: String)] = [
        ("classifier", "head"), ("cls_classifier", "head"), ("distillation_classifier", "head_dist"),
    ]

    private static let topNames: [(hf: String, timm: String)] = [
        ("embeddings.cls_token", "cls_token"), ("embeddings.distillation_token", "dist_token"),
        ("embeddings.position_embeddings", "pos_embed"),
        ("embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight"),
        ("embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias"),
        ("layernorm.weight", "norm.weight"), ("layernorm.bias", "norm.bias"),
    ]

    /// Converts a Hugging Face ViT state dict to timm names. Keys it does not know (a pooler,
    /// for instance) are passed through unchanged, so a strict load reports them as unexpected.
    public static func timmState(from hf: StateDictionary) -> StateDictionary {
        var result: StateDictionary = [:]
        var qkvParts: [String: [String: (shape: [Int], values: [Float])]] = [:]   // "blocks.i.attn.qkv.weight" → q/k/v
        for (key, value) in hf {
            var name = key
            if name.hasPrefix("vit.") || name.hasPrefix("deit.") { name = String(name.drop { $0 != "." }.dropFirst()) }
            if let head = classifierNames.first(where: { name.hasPrefix($0.hf + ".") }) {
                result[head.timm + "." + name.dropFirst(head.hf.count + 1)] = value
                continue
            }
            if let top = topNames.first(where: { $0.hf == name }) {
                result[top.timm] = value
                continue
            }
            if name.hasPrefix("encoder.layer.") {
                let rest = name.dropFirst("encoder.layer.".count)
                if let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]) {
                    let inner = String(rest[rest.index(after: dot)...])          // e.g. "attention.attention.query.weight"
                    let prefix = "blocks.\(index)."
                    var matched = false
                    for part in ["query", "key", "value"] {
                        let stem = "attention.attention.\(part)."
                        if inner.hasPrefix(stem) {
                            let suffix = String(inner.dropFirst(stem.count))     // weight / bias
                            qkvParts[prefix + "attn.qkv." + suffix, default: [:]][part] = value
                            matched = true
                        }
                    }
                    if matched { continue }
                    if let block = blockNames.first(where: { inner.hasPrefix($0.hf + ".") }) {
                        result[prefix + block.timm + inner.dropFirst(block.hf.count)] = value
                        continue
                    }
                }
            }
            result[key] = value
        }
        for (qkvKey, parts) in qkvParts {
            if let q = parts["query"], let k = parts["key"], let v = parts["value"],
               q.shape == k.shape, k.shape == v.shape, !q.shape.isEmpty {
                var shape = q.shape
                shape[0] *= 3
                result[qkvKey] = (shape, q.values + k.values + v.values)
            } else {
                // Incomplete or inconsistent: keep the pieces under their HF-style names, so the
                // load names them (unexpected) and reports the qkv key as missing.
                for (part, value) in parts { result[qkvKey.replacingOccurrences(of: "qkv", with: part)] = value }
            }
        }
        return result
    }

    /// Converts timm names to Hugging Face names (qkv split in three): `ViTForImageClassification`,
    /// or with `distilled` `DeiTForImageClassificationWithTeacher`.
    public static func huggingFaceState(from timm: StateDictionary, distilled: Bool = false) -> StateDictionary {
        var result: StateDictionary = [:]
        let model = distilled ? "deit." : "vit."
        for (key, value) in timm {
            if key.hasPrefix("head.") {
                result[(distilled ? "cls_classifier." : "classifier.") + key.dropFirst("head.".count)] = value
                continue
            }
            if key.hasPrefix("head_dist.") {
                result["distillation_classifier." + key.dropFirst("head_dist.".count)] = value
                continue
            }
            if let top = topNames.first(where: { $0.timm == key }) {
                result[model + top.hf] = value
                continue
            }
            if key.hasPrefix("blocks.") {
                let rest = key.dropFirst("blocks.".count)
                if let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]) {
                    let inner = String(rest[rest.index(after: dot)...])
                    let prefix = model + "encoder.layer.\(index)."
                    if inner.hasPrefix("attn.qkv."), let rows = value.shape.first, rows % 3 == 0 {
                        let suffix = inner.dropFirst("attn.qkv.".count)
                        let third = value.values.count / 3
                        var shape = value.shape
                        shape[0] = rows / 3
                        for (i, part) in ["query", "key", "value"].enumerated() {
                            result[prefix + "attention.attention.\(part).\(suffix)"] =
                                (shape, Array(value.values[(i * third)..<((i + 1) * third)]))
                        }
                        continue
                    }
                    if let block = blockNames.first(where: { inner.hasPrefix($0.timm + ".") }) {
                        result[prefix + block.hf + inner.dropFirst(block.timm.count)] = value
                        continue
                    }
                }
            }
            result[key] = value
        }
        return result
    }
}
