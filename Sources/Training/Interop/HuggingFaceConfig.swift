// The few facts vittrain needs from a Hugging Face `config.json`: heads and layer-norm eps
// (HF ViTs use 1e-12 where timm uses 1e-6; the shapes show neither).

import FileFormats
import Foundation

public struct HuggingFaceConfig {
    public var heads: Int?
    public var layerNormEps: Float?

    /// Reads `explicit`, or `config.json` beside `weights` if there is one.
    public static func read(explicit: String?, besides weights: String) throws -> HuggingFaceConfig? {
        let path = explicit ?? ((weights as NSString).deletingLastPathComponent as NSString).appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: path) else {
            if let explicit { throw FileFormatError(file: explicit, message: "no such file") }
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FileFormatError(file: path, message: "not a JSON object")
        }
        return HuggingFaceConfig(heads: (object["num_attention_heads"] as? NSNumber)?.intValue,
                                 layerNormEps: (object["layer_norm_eps"] as? NSNumber)?.floatValue)
    }
}
