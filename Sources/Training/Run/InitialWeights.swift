// Starting weights for fine-tuning (`init.checkpoint`): a vittrain HDF5 checkpoint or a timm /
// Hugging Face safetensors file. A head of another class count is left freshly initialised, and a
// pos_embed of another grid is resampled (bicubic, as timm), and the notes say so.

import FileFormats
import Foundation
import Models

public enum InitialWeights {
    /// Reads the parameters stored in `path` by timm path.
    public static func read(_ path: String) throws -> StateDictionary {
        if path.hasSuffix(".safetensors") {
            return try WeightImport.readSafetensors(path).parameters
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
        if let head = parameters["head.weight"], let mine = ours["head.weight"], head.shape != mine.shape {
            guard head.shape.count == 2 else {
                throw FileFormatError(file: path, message: "head.weight has shape \(head.shape); expected a matrix [classes, width]")
            }
            skipPatterns += ["head.*"]
            notes.append("head re-initialised: the checkpoint has \(head.shape[0]) classes, the model \(mine.shape[0])")
        }
        if parameters["head.weight"] == nil, ours["head.weight"] != nil {
            // A headless backbone (timm num_classes=0): the new head starts fresh.
            skipPatterns += ["head.*"]
            notes.append("head initialised fresh: the checkpoint has none")
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
        if !report.unexpected.isEmpty { notes.append("ignored \(report.unexpected.count) keys the model does not have: \(report.unexpected.prefix(4).joined(separator: ", "))") }
        return notes
    }
}
