// Outside PNG files as model inputs for `eval --images`: decoded with libpng, resized (bilinear)
// to the model's size, converted to its channel count and normalised as the validation loader.

import Data
import FileFormats
import Foundation
import Interpret

struct PNGInputs {
    /// [B, C, size, size], ready for the model.
    let inputs: Tensor
    /// The images as decoded, for display.
    let pictures: [(name: String, image: RGBImage)]

    init(paths: [String], size: Int, channels: Int, normalization: (mean: [Float], std: [Float])?) throws {
        var values: [Float] = []
        var pictures: [(String, RGBImage)] = []
        for path in paths {
            let image = try PNG.read(path)
            // RGB interleaved bytes → CHW floats in [0, 1].
            let plane = image.width * image.height
            var chw = [Float](repeating: 0, count: 3 * plane)
            for i in 0..<plane {
                for c in 0..<3 { chw[c * plane + i] = Float(image.pixels[i * 3 + c]) / 255 }
            }
            var resized = Resize.bilinear(chw, channels: 3, inHeight: image.height, inWidth: image.width,
                                          outHeight: size, outWidth: size)
            if channels == 1 {
                let n = size * size
                resized = (0..<n).map { 0.299 * resized[$0] + 0.587 * resized[n + $0] + 0.114 * resized[2 * n + $0] }
            }
            if let (mean, std) = normalization {
                Augment.normalize(&resized, channels: channels, mean: mean, std: std)
            }
            values += resized
            pictures.append((((path as NSString).lastPathComponent as NSString).deletingPathExtension, image))
        }
        inputs = Tensor(shape: [paths.count, channels, size, size], data: values)
        self.pictures = pictures
    }
}
