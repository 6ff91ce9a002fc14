// Image embeddings for similarity analysis (seed 002, experiment 3): the CLS embedding
// (`features`) and the rollout-weighted mean of the patch tokens, with cosine-similarity matrices
// between images under both. Legend: B images, T = P + N tokens (P prefix tokens first), D embedding width.

import Foundation
import FileFormats
import Models
import Tensor

/// Two embeddings per image and their pairwise cosine similarities.
public struct ImageEmbeddings: Encodable {
    public let names: [String]
    /// `features`: the CLS token after the final norm, [B][D].
    public let cls: [[Float]]
    /// Σⱼ rⱼ · tokenⱼ / Σⱼ rⱼ over the patch tokens, r = the rollout CLS map, [B][D].
    public let rolloutWeighted: [[Float]]
    /// Cosine similarity between images, [B][B].
    public let clsSimilarity: [[Float]]
    public let rolloutSimilarity: [[Float]]

    /// - Parameters: `features` [B, D], `tokens` [B, T, D] (CLS first), `rollout` [B, N] with N = T − 1.
    /// - Throws: `InterpretError` on mismatched shapes or names.
    public init(names: [String], features: Tensor, tokens: Tensor, rollout: Tensor, layout: TokenLayout? = nil) throws {
        guard features.rank == 2, tokens.rank == 3, rollout.rank == 2 else {
            throw InterpretError("embeddings: expected features [B, D], tokens [B, T, D], rollout [B, N], got \(features.shape), \(tokens.shape), \(rollout.shape)")
        }
        let (b, d, t) = (features.shape[0], features.shape[1], tokens.shape[1])
        let first = layout?.prefixCount ?? 1, n = t - first
        guard tokens.shape[0] == b, tokens.shape[2] == d, rollout.shape == [b, n], names.count == b else {
            throw InterpretError("embeddings: \(names.count) names, features \(features.shape), tokens \(tokens.shape), rollout \(rollout.shape) disagree (expected tokens [\(b), T, \(d)], rollout [\(b), T − \(first)])")
        }
        self.names = names
        cls = (0..<b).map { Array(features.data[($0 * d)..<(($0 + 1) * d)]) }
        rolloutWeighted = (0..<b).map { image in
            var sum = [Double](repeating: 0, count: d)
            var mass = 0.0
            for j in 0..<n {
                let r = Double(rollout.data[image * n + j])
                mass += r
                let row = (image * t + first + j) * d
                for k in 0..<d { sum[k] += r * Double(tokens.data[row + k]) }
            }
            return sum.map { Float(mass > 0 ? $0 / mass : 0) }
        }
        clsSimilarity = ImageEmbeddings.cosineMatrix(cls)
        rolloutSimilarity = ImageEmbeddings.cosineMatrix(rolloutWeighted)
    }

    /// Cosine similarity a·b / (|a| |b|); 0 when either vector is zero.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return na > 0 && nb > 0 ? Float(dot / (na.squareRoot() * nb.squareRoot())) : 0
    }

    static func cosineMatrix(_ vectors: [[Float]]) -> [[Float]] {
        vectors.map { a in vectors.map { b in cosine(a, b) } }
    }

    /// Writes `embeddings.h5` (datasets cls, rollout_weighted [B, D], cls_similarity,
    /// rollout_similarity [B, B]; attribute names as JSON), `embeddings.json` and the heatmaps
    /// `similarity.svg` into `directory`.
    public func writeEmbeddings(to directory: String) throws {
        try ReportFiles.makeDirectory(directory)
        let b = names.count, d = cls.first?.count ?? 0
        try HDF5File.writeAtomically(to: directory + "/embeddings.h5") { file in
            try file.setAttribute("names", try ReportFiles.json(names))
            try file.write(cls.flatMap { $0 }, shape: [b, d], to: "cls")
            try file.write(rolloutWeighted.flatMap { $0 }, shape: [b, d], to: "rollout_weighted")
            try file.write(clsSimilarity.flatMap { $0 }, shape: [b, b], to: "cls_similarity")
            try file.write(rolloutSimilarity.flatMap { $0 }, shape: [b, b], to: "rollout_similarity")
        }
        try ReportFiles.writeText(try ReportFiles.json(self), to: directory + "/embeddings.json")
        try ReportFiles.writeText(ExplainPlots.similarity(self), to: directory + "/similarity.svg")
    }
}
