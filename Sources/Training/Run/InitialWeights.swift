// Starting weights for fine-tuning (`init.checkpoint`): a vittrain HDF5 checkpoint or a timm /
// Hugging Face safetensors file. A head of another class count is left freshly initialised, and a
// pos_embed of another grid is resampled (bicubic, as timm), and the notes say so.

import FileFormats
import Foundation
import Models

public enum InitialWeights {
    /// Reads the parameters stored in `path` by timm path.
    public static func read(_ path: String) throws -> [String: (shape: [Int], values: [Float])] {
        if path.hasSuffix(".safetensors") {
            return try WeightImport.readSafetensors(path).parameters
        }
        var result: [String: (shape: [Int], values: [Float])] = [:]
        for (p, shape, values) in try Checkpoint.read(path).parameters { result[p] = (shape, values) }
        return result
    }

    /// Loads `path` into `model`; returns notes for the log.
    public static func load(_ path: String, into model: VisionTransformer, skip: [String]) throws -> [String] {
        var parameters = try read(path)
        var notes: [String] = []
        var skipPatterns = skip
        let ours = model.parameterDictionary()
        if let head = parameters["head.weight"], let mine = ours["head.weight"], head.shape != mine.shape {
            skipPatterns += ["head.*"]
            notes.append("head re-initialised: the checkpoint has \(head.shape[0]) classes, the model \(mine.shape[0])")
        }
        if let pos = parameters["pos_embed"], let mine = ours["pos_embed"], pos.shape != mine.shape {
            notes.append("pos_embed resampled (bicubic) from \(pos.shape[1]) to \(mine.shape[1]) positions")
        }
        for key in parameters.keys where Glob.matchesAny(skipPatterns, key) { parameters[key] = nil }
        _ = try model.load(parameters, strict: false, skip: skipPatterns, resamplePositionEmbedding: true)
        let missing = ours.keys.filter { parameters[$0] == nil && !Glob.matchesAny(skipPatterns, $0) }
        if !missing.isEmpty {
            throw FileFormatError(file: path, message: "missing parameters: \(missing.sorted().prefix(5).joined(separator: ", "))\(missing.count > 5 ? " and \(missing.count - 5) more" : "")")
        }
        notes.insert("initial weights from \(path)", at: 0)
        return notes
    }
}
