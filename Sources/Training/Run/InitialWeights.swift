// Starting weights for fine-tuning (`init.checkpoint`): a vittrain HDF5 checkpoint, a timm /
// Hugging Face safetensors file, or `hf:ORG/NAME[@REV]` (fetched into the Hub cache). A head of another class count is left freshly initialised, and a
// pos_embed of another grid is resampled (bicubic, as timm), and the notes say so.

import FileFormats
import Foundation
import Hub
import Models

public enum InitialWeights {
    /// Reads the parameters stored in `path` by timm path.
    public static func read(_ path: String) throws -> StateDictionary {
        let path = try HubModelFiles.localWeights(path)
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
            skipPatterns += ["head.*"]
            notes.append("head re-initialised: the checkpoint has \(head.shape[0]) classes, the model \(mine.shape[0])")
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
