// timm's hub `config.json`, as `timm.models._hub.save_for_hf` writes it: `architecture` (a
// registered name), `num_classes`, `model_args` (the create_model arguments that differ from the
// registered ones), `pretrained_cfg` (preprocessing) and optional `label_names`. Read on import,
// and written on export so that `timm.create_model(architecture, **model_args)` rebuilds the model.

import FileFormats
import Foundation
import Models

public struct TimmHubConfig {
    let file: String
    let architecture: String
    let base: ViTConfig
    let modelArgs: [String: Any]
    let numClasses: Int?
    let pretrainedConfigJSON: String?
    let labelNames: [String]?

    init(_ object: [String: Any], file: String) throws {
        self.file = file
        guard let architecture = object["architecture"] as? String else {
            throw FileFormatError(file: file, message: "key 'architecture': expected a timm model name string")
        }
        guard let base = TimmRegistry.config(named: architecture) else {
            throw FileFormatError(file: file, message: "architecture '\(architecture)' is not a ViT family vittrain can build (`vittrain inspect --timm` lists the \(TimmRegistry.names.count) it can)")
        }
        self.architecture = architecture
        self.base = base
        modelArgs = object["model_args"] as? [String: Any] ?? [:]
        numClasses = (object["num_classes"] as? NSNumber)?.intValue
        let pretrained = object["pretrained_cfg"] as? [String: Any]
        pretrainedConfigJSON = pretrained.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
            .map { String(decoding: $0, as: UTF8.self) }
        labelNames = Self.names(object["label_names"] ?? pretrained?["label_names"])
    }

    /// timm's label_names: a list, or a dict from class index to name.
    static func names(_ value: Any?) -> [String]? {
        if let list = value as? [String] { return list }
        if let dict = value as? [String: Any] {
            let pairs = dict.compactMap { key, name in Int(key).map { ($0, "\(name)") } }.sorted { $0.0 < $1.0 }
            return pairs.enumerated().allSatisfy { $0.offset == $0.element.0 } ? pairs.map(\.1) : nil
        }
        return nil
    }

    /// The registered config with `model_args` applied, then what the tensors show.
    func modelConfig(shown: TensorFacts) throws -> ViTConfig {
        var c = base
        func fail(_ key: String, _ expected: String) -> FileFormatError {
            FileFormatError(file: file, message: "model_args.\(key): expected \(expected), got \(modelArgs[key].map { "\($0)" } ?? "nothing")")
        }
        for (key, value) in modelArgs {
            let number = value as? NSNumber
            switch key {
            case "img_size":
                if let n = number { c.imageSize = n.intValue }
                else if let pair = value as? [NSNumber], pair.count == 2, pair[0] == pair[1] { c.imageSize = pair[0].intValue }
                else { throw fail(key, "a square size") }
            case "patch_size":
                if let n = number { c.patchSize = n.intValue }
                else if let pair = value as? [NSNumber], pair.count == 2, pair[0] == pair[1] { c.patchSize = pair[0].intValue }
                else { throw fail(key, "a square patch size") }
            case "embed_dim": guard let n = number else { throw fail(key, "an integer") }; c.embedDim = n.intValue
            case "depth": guard let n = number else { throw fail(key, "an integer") }; c.depth = n.intValue
            case "num_heads": guard let n = number else { throw fail(key, "an integer") }; c.numHeads = n.intValue
            case "mlp_ratio": guard let n = number else { throw fail(key, "a number") }; c.mlpRatio = n.doubleValue
            case "num_classes", "in_chans": break                   // read from the tensors
            case "qkv_bias": guard let b = value as? Bool else { throw fail(key, "a boolean") }; c.qkvBias = b
            case "class_token": guard let b = value as? Bool else { throw fail(key, "a boolean") }; c.classToken = b
            case "no_embed_class": guard let b = value as? Bool else { throw fail(key, "a boolean") }; c.noEmbedClass = b
            case "pre_norm": guard let b = value as? Bool else { throw fail(key, "a boolean") }; c.preNorm = b
            case "reg_tokens": guard let n = number else { throw fail(key, "an integer") }; c.registerTokens = n.intValue
            case "fc_norm": c.fcNorm = value as? Bool                 // null: timm's rule
            case "init_values": c.layerScaleInit = number?.floatValue
            case "global_pool":
                guard let text = value as? String, let pool = ViTConfig.GlobalPool(rawValue: text) else {
                    throw fail(key, "one of token, avg, map")
                }
                c.globalPool = pool
            case "act_layer":
                guard let text = value as? String, let act = ViTConfig.Activation(rawValue: text) else {
                    throw fail(key, "one of gelu, quick_gelu, gelu_tanh")
                }
                c.activation = act
            case "dynamic_img_size", "dynamic_img_pad", "weight_init", "drop_rate", "pos_drop_rate", "proj_drop_rate",
                 "attn_drop_rate", "drop_path_rate", "patch_drop_rate":
                break                                                 // no effect on inference at a fixed size
            default:
                throw FileFormatError(file: file, message: "model_args.\(key): an argument vittrain cannot build (its ViT families take img_size, patch_size, embed_dim, depth, num_heads, mlp_ratio, qkv_bias, class_token, reg_tokens, no_embed_class, pre_norm, fc_norm, init_values, global_pool, act_layer)")
            }
        }
        let registered = c.noEmbedClass
        try shown.apply(to: &c, configSaysNoEmbedClass: registered)
        if let numClasses, numClasses != c.numClasses {
            throw FileFormatError(file: file, message: "num_classes is \(numClasses) but the weights have \(c.numClasses) classes (head.weight)")
        }
        return c
    }

    /// A config.json for `config`, in timm's hub format. `architecture` is a registered name of
    /// the same family (the closest by width), and `model_args` lists every argument, so timm
    /// builds this exact model from it.
    /// `note` says when timm will build another LayerNorm eps than the weights were made with
    /// (an HF ViT's 1e-12): timm's model_args cannot set eps.
    public static func json(for c: ViTConfig, pretrainedConfig: String?, classNames: [String]?, file: String) throws
        -> (json: String, note: String?) {
        var note: String?
        if c.distilled && !c.distillationHead && c.numClasses > 0 {
            throw FileFormatError(file: file, message: "timm's distilled DeiT has a class and a distillation head; this model (Hugging Face DeiTForImageClassification) has the class head alone, so timm cannot load it strictly")
        }
        guard let architecture = TimmRegistry.closestName(to: c) ?? TimmRegistry.closestName(to: c, matchingEps: false) else {
            throw FileFormatError(file: file, message: "timm registers no ViT family with this model's options (pooling \(c.globalPool.rawValue), activation \(c.activation.rawValue), prefix tokens \(c.prefixTokenCount)); export --format hf")
        }
        if let built = TimmRegistry.config(named: architecture)?.layerNormEps, built != c.layerNormEps {
            note = "timm builds \(architecture) with LayerNorm eps \(built), the weights use \(c.layerNormEps) (model_args cannot set eps; logits move by about that much)"
        }
        var args: [String: Any] = [
            "img_size": c.imageSize, "patch_size": c.patchSize, "in_chans": c.inChannels, "num_classes": c.numClasses,
            "embed_dim": c.embedDim, "depth": c.depth, "num_heads": c.numHeads, "mlp_ratio": c.mlpRatio,
            "qkv_bias": c.qkvBias, "class_token": c.classToken, "reg_tokens": c.registerTokens,
            "no_embed_class": c.noEmbedClass, "pre_norm": c.preNorm, "fc_norm": c.usesFCNorm,
            "global_pool": c.globalPool.rawValue, "act_layer": c.activation.rawValue,
        ]
        args["init_values"] = c.layerScaleInit.map { Double($0) } ?? NSNull()
        var pretrained = pretrainedConfig.flatMap { try? JSONSerialization.jsonObject(with: Foundation.Data($0.utf8)) } as? [String: Any] ?? [:]
        pretrained["input_size"] = [c.inChannels, c.imageSize, c.imageSize]
        pretrained["num_classes"] = c.numClasses
        var object: [String: Any] = ["architecture": architecture, "num_classes": c.numClasses, "num_features": c.embedDim,
                                     "global_pool": c.globalPool.rawValue, "model_args": args, "pretrained_cfg": pretrained]
        if let classNames, classNames.count == c.numClasses { object["label_names"] = classNames }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Foundation.Data()
        return (String(decoding: data, as: UTF8.self), note)
    }
}
