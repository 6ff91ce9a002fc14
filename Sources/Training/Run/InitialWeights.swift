// Starting weights for fine-tuning (`init.checkpoint`): a vittrain HDF5 checkpoint, a timm /
// Hugging Face safetensors file, or a folder with model.safetensors + config.json. A head of
// another class count is left freshly initialised, a pos_embed of another grid is resampled
// (bicubic, as timm), and the notes say so. A tensor the model has no place for is refused
// unless `init.skip` names it, so a family mismatch (DINOv2's layer scales into a plain ViT)
// never drops weights silently.

import FileFormats
import Foundation
import Models

public enum InitialWeights {
    /// Reads the parameters stored in `path` by timm path.
    public static func read(_ path: String) throws -> StateDictionary {
        var isDirectory: ObjCBool = false
        if path.hasSuffix(".safetensors") || (FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue) {
            let (weights, _) = try WeightImport.locate(path, explicitConfig: nil)
            var parameters = try WeightImport.readSafetensors(weights).parameters
            for key in parameters.keys where key.hasPrefix(HuggingFaceViT.poolerPrefix) { parameters[key] = nil }
            return parameters
        }
        return try Checkpoint.read(path).stateDictionary
    }

    /// Loads `path` into `model`, leaving `skip` patterns at their fresh initialisation; returns
    /// notes for the log. Every model parameter not skipped must be in the file.
    public static func load(_ path: String, into model: VisionTransformer, skip: [String]) throws -> [String] {
        let parameters = try read(path)
        var notes = ["initial weights from \(path)"]
        var skipPatterns = skip
        let ours = model.parameterDictionary()
        // A new head: the checkpoint's head (of another class count, or a headless checkpoint's
        // absent one) stays fresh, as timm's pretrained loading with another num_classes.
        let theirClasses = parameters["head.weight"]?.shape.first ?? 0
        let myClasses = ours["head.weight"]?.shape.first ?? 0
        if theirClasses != myClasses {
            skipPatterns += ["head.*", "head_dist.*"]
            notes.append("head re-initialised: the checkpoint has \(theirClasses) classes, the model \(myClasses)")
        }
        let report: LoadReport
        do {
            report = try model.load(parameters, strict: false, skip: skipPatterns, resamplePositionEmbedding: true)
        } catch let error as ModelLoadError {
            throw ModelLoadError.file(path, error)
        }
        if !report.missing.isEmpty {
            throw ModelLoadError.file(path, .missingKeys(report.missing))
        }
        if !report.resampled.isEmpty {
            notes.append("resampled to the model's patch grid (bicubic): \(report.resampled.joined(separator: ", "))")
        }
        if !report.skipped.isEmpty { notes.append("left at their fresh initialisation: \(report.skipped.count) tensors (\(skipPatterns.joined(separator: ", ")))") }
        if !report.unexpected.isEmpty {
            let shown = report.unexpected.prefix(4).joined(separator: ", ") + (report.unexpected.count > 4 ? ", …" : "")
            throw ModelLoadError.file(path, .custom("has \(report.unexpected.count) tensor\(report.unexpected.count == 1 ? "" : "s") the model has no place for (\(shown)); is model.arch the checkpoint's family? Name them in init.skip to drop them"))
        }
        return notes
    }
}
