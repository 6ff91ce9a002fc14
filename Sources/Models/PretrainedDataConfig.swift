// timm's pretrained data config (`pretrained_cfg`: input size, interpolation, crop, mean/std) as
// a checkpoint carries it in the root attribute `pretrained_cfg` (JSON text, timm's keys). Kept
// apart from the architecture, as timm does; explain's preprocessing starts from it.

import FileFormats
import Foundation

/// The data-related keys of timm's `pretrained_cfg`; other keys (url, license, …) are ignored.
public struct PretrainedDataConfig: Codable, Equatable, Sendable {
    /// [C, H, W]
    public var inputSize: [Int]?
    /// "bicubic" or "bilinear"
    public var interpolation: String?
    public var cropPct: Double?
    /// "center" or "squash"
    public var cropMode: String?
    public var mean: [Double]?
    public var std: [Double]?

    enum CodingKeys: String, CodingKey {
        case inputSize = "input_size", interpolation, cropPct = "crop_pct", cropMode = "crop_mode", mean, std
    }

    public init(inputSize: [Int]? = nil, interpolation: String? = nil, cropPct: Double? = nil, cropMode: String? = nil,
                mean: [Double]? = nil, std: [Double]? = nil) {
        self.inputSize = inputSize
        self.interpolation = interpolation
        self.cropPct = cropPct
        self.cropMode = cropMode
        self.mean = mean
        self.std = std
    }

    public static let attributeName = "pretrained_cfg"

    /// Parses the JSON object text; `source` names the file in the one-line error.
    public static func parse(_ json: String, source: String) throws -> PretrainedDataConfig {
        do {
            return try JSONDecoder().decode(PretrainedDataConfig.self, from: Data(json.utf8))
        } catch {
            throw FileFormatError(file: source, message: "attribute '\(attributeName)' is not a timm data config (expected a JSON object with input_size, interpolation, crop_pct, mean, std): \(error)")
        }
    }
}
