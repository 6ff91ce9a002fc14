// Loading parameters (and buffers) into a model by timm path, with the checks a user needs:
// every shape mismatch, missing key and unexpected key is reported by name in one line, skip
// patterns leave chosen keys alone (a new head), and pos_embed of another grid is resampled.
// Nothing is written unless every check passes, so a failed load leaves the model untouched.

import Foundation

/// Why a checkpoint could not be loaded. `description` is one line naming the key(s) and shapes.
public indirect enum ModelLoadError: Error, CustomStringConvertible, Equatable {
    /// A load error while reading `file`.
    case file(String, ModelLoadError)
    case shapeMismatch(key: String, checkpoint: [Int], expected: [Int])
    case valueCount(key: String, shape: [Int], count: Int)
    case missingKeys([String])
    case unexpectedKeys([String])
    case missingAndUnexpected(missing: [String], unexpected: [String])
    case custom(String)

    public var description: String {
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        func list(_ keys: [String]) -> String {
            let shown = keys.prefix(8).joined(separator: ", ")
            return keys.count > 8 ? shown + ", … (\(keys.count) in all)" : shown
        }
        switch self {
        case let .file(path, error):
            return "\(path): \(error.description)"
        case let .shapeMismatch(key, checkpoint, expected):
            return "\(key): shape \(shape(checkpoint)) in the checkpoint, \(shape(expected)) expected"
        case let .valueCount(key, s, count):
            return "\(key): \(count) values in the checkpoint for shape \(shape(s))"
        case let .missingKeys(keys):
            return "checkpoint lacks \(keys.count) model key\(keys.count == 1 ? "" : "s"): \(list(keys))"
        case let .unexpectedKeys(keys):
            return "checkpoint has \(keys.count) unexpected key\(keys.count == 1 ? "" : "s"): \(list(keys))"
        case let .custom(message):
            return message
        case let .missingAndUnexpected(missing, unexpected):
            return "checkpoint lacks \(missing.count) model key\(missing.count == 1 ? "" : "s"): \(list(missing)); "
                + "and has \(unexpected.count) unexpected: \(list(unexpected))"
        }
    }
}

/// What a load did, by key.
public struct LoadReport: Equatable {
    /// Keys whose values were copied in (including resampled ones).
    public var loaded: [String] = []
    /// Keys resampled to the model's patch grid (pos_embed).
    public var resampled: [String] = []
    /// Model keys left as they were because they match a skip pattern.
    public var skipped: [String] = []
    /// Model keys absent from the checkpoint (only when not strict).
    public var missing: [String] = []
    /// Checkpoint keys the model does not have, skip patterns excluded (only when not strict).
    public var unexpected: [String] = []
}

extension VisionTransformer {
    /// Loads parameters and buffers by timm path.
    ///
    /// - Parameters:
    ///   - parameters: path → (PyTorch shape, row-major values).
    ///   - strict: missing or unexpected keys are errors (otherwise listed in the report).
    ///   - skip: glob patterns; matching keys are neither loaded nor reported (e.g. "head.*").
    ///   - resamplePositionEmbedding: a pos_embed of another square grid is resampled bicubically
    ///     (timm resample_abs_pos_embed), CLS position kept; otherwise it is a shape mismatch.
    /// - Throws: `ModelLoadError`, before anything is written.
    @discardableResult
    public func load(_ parameters: StateDictionary, strict: Bool = true,
                     skip: [String] = [], resamplePositionEmbedding: Bool = true) throws -> LoadReport {
        func skipped(_ key: String) -> Bool { skip.contains { globMatches($0, key) } }
        var report = LoadReport()
        var writes: [(Tensor, [Float])] = []
        let entries = stateEntries()
        let modelKeys = Set(entries.map(\.path))

        for (path, tensor) in entries {
            if skipped(path) { report.skipped.append(path); continue }
            guard let source = parameters[path] else {
                // As PyTorch's BatchNorm, a checkpoint without the batch counter is accepted (it
                // is int64 in PyTorch files, which safetensors readers may leave out).
                if !path.hasSuffix(".num_batches_tracked") { report.missing.append(path) }
                continue
            }
            if source.shape.reduce(1, *) != source.values.count || source.shape.contains(where: { $0 < 0 }) {
                throw ModelLoadError.valueCount(key: path, shape: source.shape, count: source.values.count)
            }
            if source.shape == tensor.shape {
                writes.append((tensor, source.values))
                report.loaded.append(path)
                continue
            }
            if path == "pos_embed", resamplePositionEmbedding,
               let values = resampledPositionEmbedding(source.shape, source.values) {
                writes.append((tensor, values))
                report.loaded.append(path)
                report.resampled.append(path)
                continue
            }
            throw ModelLoadError.shapeMismatch(key: path, checkpoint: source.shape, expected: tensor.shape)
        }
        report.unexpected = parameters.keys.filter { !modelKeys.contains($0) && !skipped($0) }.sorted()
        if strict {
            switch (report.missing.isEmpty, report.unexpected.isEmpty) {
            case (false, false): throw ModelLoadError.missingAndUnexpected(missing: report.missing, unexpected: report.unexpected)
            case (false, true): throw ModelLoadError.missingKeys(report.missing)
            case (true, false): throw ModelLoadError.unexpectedKeys(report.unexpected)
            case (true, true): break
            }
        }
        for (tensor, values) in writes { tensor.data = values }
        return report
    }

    /// A checkpoint pos_embed [1, P + s·s, D] (P = 0 with no_embed_class) on another square
    /// grid, resampled to this model's grid; nil when it is not of that form.
    private func resampledPositionEmbedding(_ shape: [Int], _ values: [Float]) -> [Float]? {
        let d = config.embedDim
        let prefix = config.noEmbedClass ? 0 : config.prefixTokenCount
        guard shape.count == 3, shape[0] == 1, shape[2] == d, shape[1] > prefix else { return nil }
        let side = Int(Double(shape[1] - prefix).squareRoot().rounded())
        guard side * side == shape[1] - prefix else { return nil }
        return PositionEmbedding.resample(values, dimensions: d, from: (side, side), to: gridSize, prefixTokens: prefix)
    }

    /// Every parameter and buffer as path → (shape, values), the inverse of `load`.
    public func stateDictionary() -> StateDictionary {
        var result: StateDictionary = [:]
        for (path, tensor) in stateEntries() { result[path] = (tensor.shape, tensor.data) }
        return result
    }
}
