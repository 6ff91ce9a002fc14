// The few facts vittrain needs from a Hugging Face `config.json`: heads and layer-norm eps
// (HF ViTs use 1e-12 where timm uses 1e-6; the shapes show neither).

import FileFormats
import Foundation
import Models

public struct HuggingFaceConfig {
    public var heads: Int?
    public var layerNormEps: Float?

    /// Reads `explicit`, or `config.json` beside `weights` if there is one.
    public static func read(explicit: String?, besides weights: String) throws -> HuggingFaceConfig? {
        let path = explicit ?? ((weights as NSString).deletingLastPathComponent as NSString).appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: path) else {
            if let explicit { throw FileFormatError(file: explicit, message: "no such file") }
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FileFormatError(file: path, message: "not a JSON object")
        }
        return HuggingFaceConfig(heads: (object["num_attention_heads"] as? NSNumber)?.intValue,
                                 layerNormEps: (object["layer_norm_eps"] as? NSNumber)?.floatValue)
    }

    /// The `config.json` that transformers needs to build the matching ViTForImageClassification.
    public static func json(for c: ViTConfig) -> String {
        var object: [String: Any] = [
            "architectures": ["ViTForImageClassification"], "model_type": "vit",
            "hidden_size": c.embedDim, "num_hidden_layers": c.depth, "num_attention_heads": c.numHeads,
            "intermediate_size": Int((Double(c.embedDim) * c.mlpRatio).rounded()), "hidden_act": "gelu",
            "image_size": c.imageSize, "patch_size": c.patchSize, "num_channels": c.inChannels,
            "qkv_bias": c.qkvBias, "layer_norm_eps": Double(c.layerNormEps),
            "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
        ]
        object["id2label"] = Dictionary(uniqueKeysWithValues: (0..<c.numClasses).map { ("\($0)", "LABEL_\($0)") })
        object["label2id"] = Dictionary(uniqueKeysWithValues: (0..<c.numClasses).map { ("LABEL_\($0)", $0) })
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Foundation.Data()
        return String(decoding: data, as: UTF8.self)
    }
}
