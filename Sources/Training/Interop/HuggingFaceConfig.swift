// Hugging Face `config.json` for ViT and DeiT (`ViTForImageClassification`, `ViTModel`,
// `DeiTForImageClassification`, `DeiTForImageClassificationWithTeacher`): read on import (heads,
// eps, activation, labels, and the processor's preprocessing) and written on export, so that
// transformers loads the export strictly.

import FileFormats
import Foundation
import Models

public struct HuggingFaceConfig {
    let file: String
    let modelType: String
    let architecture: String
    let heads: Int?
    let layerNormEps: Float
    let activation: ViTConfig.Activation
    let labelNames: [String]?

    init(_ object: [String: Any], file: String) throws {
        self.file = file
        guard let type = object["model_type"] as? String, ["vit", "deit"].contains(type) else {
            throw FileFormatError(file: file, message: "model_type '\(object["model_type"].map { "\($0)" } ?? "")' is not a Hugging Face ViT or DeiT (expected vit or deit)")
        }
        modelType = type
        architecture = (object["architectures"] as? [String])?.first ?? (type == "deit" ? "DeiTModel" : "ViTModel")
        heads = (object["num_attention_heads"] as? NSNumber)?.intValue
        // transformers' ViTConfig / DeiTConfig default eps is 1e-12
        layerNormEps = (object["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        let act = object["hidden_act"] as? String ?? "gelu"
        switch act {
        case "gelu": activation = .gelu
        case "quick_gelu": activation = .quickGELU
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .geluTanh
        default:
            throw FileFormatError(file: file, message: "hidden_act '\(act)' is not one vittrain has (gelu, quick_gelu, gelu_new / gelu_pytorch_tanh)")
        }
        if let labels = object["id2label"] as? [String: Any] {
            let pairs = labels.compactMap { key, name in Int(key).map { ($0, "\(name)") } }.sorted { $0.0 < $1.0 }
            labelNames = pairs.enumerated().allSatisfy { $0.offset == $0.element.0 } ? pairs.map(\.1) : nil
        } else {
            labelNames = nil
        }
    }

    /// The config the tensors and this file describe together.
    func modelConfig(shown: TensorFacts) throws -> ViTConfig {
        guard let heads else {
            throw FileFormatError(file: file, message: "no num_attention_heads; pass --heads N")
        }
        var c = ViTConfig()
        c.numHeads = heads
        c.layerNormEps = layerNormEps
        c.activation = activation
        try shown.apply(to: &c, configSaysNoEmbedClass: false)
        return c
    }

    /// timm-style preprocessing for this model: the processor's `preprocessor_config.json` beside
    /// the config when present, else transformers' defaults for the model type (ViT: resize to
    /// the input size, bilinear, mean = std = 0.5; DeiT: resize 256 → centre crop 224, bicubic,
    /// ImageNet mean / std).
    func pretrainedConfigJSON(besides configPath: String) -> String? {
        let deit = modelType == "deit"
        var mean: [Double] = deit ? [0.485, 0.456, 0.406] : [0.5, 0.5, 0.5]
        var std: [Double] = deit ? [0.229, 0.224, 0.225] : [0.5, 0.5, 0.5]
        var cropPct = deit ? 224.0 / 256.0 : 1.0
        var interpolation = deit ? "bicubic" : "bilinear"
        let processor = ((configPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("preprocessor_config.json")
        if let object = try? WeightImport.readJSONObject(processor) {
            if let m = object["image_mean"] as? [NSNumber], m.count == 3 { mean = m.map(\.doubleValue) }
            if let s = object["image_std"] as? [NSNumber], s.count == 3 { std = s.map(\.doubleValue) }
            if let resample = (object["resample"] as? NSNumber)?.intValue { interpolation = resample == 3 ? "bicubic" : "bilinear" }
            let resize = (object["size"] as? [String: Any])?["height"] as? NSNumber
            let crop = (object["crop_size"] as? [String: Any])?["height"] as? NSNumber
            if let resize, let crop, object["do_center_crop"] as? Bool ?? false { cropPct = crop.doubleValue / resize.doubleValue }
            else if object["do_center_crop"] as? Bool == false { cropPct = 1 }
        }
        let object: [String: Any] = ["interpolation": interpolation, "crop_pct": cropPct, "crop_mode": "center",
                                     "mean": mean, "std": std]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether transformers has a class for `c` (plain ViT with a class token, or DeiT distilled).
    public static func hasClass(for c: ViTConfig) -> Bool {
        c.classToken && c.globalPool == .token && c.registerTokens == 0 && !c.noEmbedClass && !c.preNorm
            && c.layerScaleInit == nil && c.hasPatchBias && !c.usesFCNorm && c.activation != .quickGELU
            && (!c.distilled || c.distillationHead)
    }

    /// The `config.json` that transformers needs to build the matching model:
    /// `ViTForImageClassification` (`ViTModel` headless) or `DeiTForImageClassificationWithTeacher`.
    public static func json(for c: ViTConfig, classNames: [String]?) -> String {
        let names = classNames?.count == c.numClasses ? classNames! : (0..<c.numClasses).map { "LABEL_\($0)" }
        let architecture = c.distilled ? "DeiTForImageClassificationWithTeacher" : (c.numClasses == 0 ? "ViTModel" : "ViTForImageClassification")
        var object: [String: Any] = [
            "architectures": [architecture], "model_type": c.distilled ? "deit" : "vit",
            "hidden_size": c.embedDim, "num_hidden_layers": c.depth, "num_attention_heads": c.numHeads,
            "intermediate_size": c.mlpHiddenDim, "hidden_act": c.activation == .geluTanh ? "gelu_pytorch_tanh" : "gelu",
            "image_size": c.imageSize, "patch_size": c.patchSize, "num_channels": c.inChannels,
            "qkv_bias": c.qkvBias, "layer_norm_eps": Double(c.layerNormEps),
            "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
        ]
        object["id2label"] = Dictionary(uniqueKeysWithValues: names.enumerated().map { ("\($0.offset)", $0.element) })
        object["label2id"] = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Foundation.Data()
        return String(decoding: data, as: UTF8.self)
    }
}
