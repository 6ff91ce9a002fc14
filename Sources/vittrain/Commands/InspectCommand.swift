// `vittrain inspect --arch NAME` prints a preset's (or a timm architecture's) parameter table and
// count; `vittrain inspect --timm` lists the timm names vittrain builds;
// `vittrain inspect CHECKPOINT` prints a checkpoint's config, position, metrics and parameters.

import ArgumentParser
import Foundation
import Models
import Training

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an architecture's parameters, or what a checkpoint holds.")

    @Argument(help: "A vittrain checkpoint (.h5) or a safetensors file.")
    var file: String?

    @Option(help: "A preset (vit-tiny, vit-small, vit-base, vit-large, hybrid-tiny, hybrid-base) or a timm name (vit_small_patch14_reg4_dinov2, …).")
    var arch: String?

    @Flag(help: "List the timm architecture names vittrain can build (import, --arch, model.arch).")
    var timm = false

    @Option(help: "Image size for --arch (default: the preset's).")
    var imageSize: Int?

    @Option(help: "Classes for --arch (default: the preset's).")
    var numClasses: Int?

    func validate() throws {
        if [file != nil, arch != nil, timm].filter({ $0 }).count != 1 {
            throw ValidationError("give one of: a checkpoint file, --arch NAME, --timm")
        }
    }

    func run() throws {
        try reportingErrors {
            if timm {
                for name in TimmRegistry.names { print(name) }
                print("\(TimmRegistry.names.count) timm architectures")
            } else if let arch { try inspectArchitecture(arch) } else if let file { try inspectFile(file) }
        }
    }

    static func table(_ entries: [(path: String, shape: [Int])]) -> String {
        let width = entries.map(\.path.count).max() ?? 0
        return entries.map { e in
            e.path.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                + "[" + e.shape.map(String.init).joined(separator: ", ") + "]"
                + "  \(e.shape.reduce(1, *))"
        }.joined(separator: "\n")
    }

    /// The family traits in one phrase: tokens, pooling, norms, layer scale, activation, eps.
    static func family(_ c: ViTConfig) -> String {
        let layout = c.tokenLayout
        var tokens = [String]()
        if layout.classTokens > 0 { tokens.append("class") }
        if layout.distillationTokens > 0 { tokens.append("distillation") }
        if layout.registerTokens > 0 { tokens.append("\(layout.registerTokens) registers") }
        var traits = ["prefix tokens [\(tokens.joined(separator: ", "))]", "pool \(c.globalPool.rawValue)"]
        if c.noEmbedClass { traits.append("no_embed_class") }
        if c.preNorm { traits.append("norm_pre") }
        if c.usesFCNorm { traits.append("fc_norm") }
        if let v = c.layerScaleInit { traits.append("layer scale (init \(v))") }
        traits.append("\(c.activation.rawValue), eps \(c.layerNormEps)")
        return traits.joined(separator: ", ")
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    private func inspectArchitecture(_ name: String) throws {
        guard var config = ViTPresets.config(named: name) ?? TimmRegistry.config(named: name) else {
            throw CLIError("--arch: unknown architecture \"\(name)\"; expected one of \(ViTPresets.names.joined(separator: ", ")) or a timm name (`vittrain inspect --timm`)")
        }
        if let imageSize { config.imageSize = imageSize }
        if let numClasses { config.numClasses = numClasses }
        let model = try VisionTransformer.make(config: config, seed: 0)
        let entries = model.namedParameters().map { ($0.path, $0.tensor.shape) }
        print(InspectCommand.table(entries))
        print("\(name): dim \(config.embedDim), depth \(config.depth), heads \(config.numHeads), image \(config.imageSize), patch \(config.patchSize), \(config.numClasses) classes, \(InspectCommand.family(config))")
        print("parameters: \(InspectCommand.grouped(model.parameterCount))")
    }

    private func inspectFile(_ path: String) throws {
        if path.hasSuffix(".safetensors") {
            let (parameters, format, _) = try WeightImport.readSafetensors(path)
            print("format: \(format.rawValue) safetensors")
            print(InspectCommand.table(parameters.keys.sorted().map { ($0, parameters[$0]!.shape) }))
            print("parameters: \(InspectCommand.grouped(parameters.values.reduce(0) { $0 + $1.values.count }))")
            return
        }
        let checkpoint = try Checkpoint.read(path)
        let m = checkpoint.modelConfig
        print("checkpoint: \(path)")
        print("run: \(checkpoint.config.name); epoch \(checkpoint.epoch) (next batch \(checkpoint.batchInEpoch)), step \(checkpoint.step)")
        print("model: \(checkpoint.config.model.arch): dim \(m.embedDim), depth \(m.depth), heads \(m.numHeads), image \(m.imageSize), patch \(m.patchSize), \(m.numClasses) classes, \(InspectCommand.family(m))")
        if let names = checkpoint.classNames { print("classes: \(names.prefix(10).joined(separator: ", "))\(names.count > 10 ? ", …" : "")") }
        if let pretrained = checkpoint.pretrainedConfig { print("pretrained_cfg: \(pretrained)") }
        if let best = checkpoint.bestAccuracy { print(String(format: "best val accuracy: %.2f%%", 100 * best)) }
        print("metrics:")
        for line in checkpoint.metricsHistory { print("  \(line)") }
        print("config:")
        print(checkpoint.config.jsonString())
        print("parameters:")
        print(InspectCommand.table(checkpoint.parameters.map { ($0.path, $0.shape) }))
        print("parameters: \(InspectCommand.grouped(checkpoint.parameters.reduce(0) { $0 + $1.values.count }))")
    }
}
