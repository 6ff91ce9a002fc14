// timm's eval transform (transforms_imagenet_eval) for one photo: resize to floor(size / crop_pct)
// with PIL's filter — the shorter side for crop_mode "center" (aspect kept, torchvision Resize(int)),
// both sides for "squash" — then a centre crop to the input size, /255 and (x − mean) / std.

import FileFormats
import Foundation
import Models

public struct ImageTransform: Equatable, Sendable {
    public enum CropMode: String, Sendable { case center, squash }

    /// Model input [C, H, W].
    public var channels: Int, height: Int, width: Int
    public var interpolation: Interpolation
    public var cropPct: Double
    public var cropMode: CropMode
    public var mean: [Float], std: [Float]

    public init(channels: Int, height: Int, width: Int, interpolation: Interpolation, cropPct: Double,
                cropMode: CropMode, mean: [Float], std: [Float]) throws {
        guard cropPct > 0, cropPct <= 1 else { throw InterpretError("crop_pct \(cropPct): expected a value in (0, 1]") }
        guard channels == 1 || channels == 3 else { throw InterpretError("input_size: \(channels) channels, expected 1 or 3") }
        guard height > 0, width > 0 else { throw InterpretError("input_size: \(height)×\(width), expected positive sides") }
        guard mean.count == channels, std.count == channels, std.allSatisfy({ $0 > 0 }) else {
            throw InterpretError("mean \(mean) / std \(std): expected \(channels) values each, std positive")
        }
        (self.channels, self.height, self.width) = (channels, height, width)
        (self.interpolation, self.cropPct, self.cropMode, self.mean, self.std) = (interpolation, cropPct, cropMode, mean, std)
    }

    /// From a checkpoint's timm data config; every missing key takes the fallback (the run config's
    /// image size and normalisation, full-frame crop, bilinear).
    public init(config: PretrainedDataConfig?, fallbackChannels: Int, fallbackSize: Int,
                fallbackMean: [Float], fallbackStd: [Float]) throws {
        let size = config?.inputSize ?? [fallbackChannels, fallbackSize, fallbackSize]
        guard size.count == 3 else { throw InterpretError("pretrained_cfg input_size \(size): expected [C, H, W]") }
        let name = config?.interpolation ?? "bilinear"
        guard let interpolation = Interpolation(rawValue: name) else {
            throw InterpretError("pretrained_cfg interpolation \"\(name)\": expected bicubic or bilinear")
        }
        let mode = config?.cropMode ?? "center"
        guard let cropMode = CropMode(rawValue: mode) else {
            throw InterpretError("pretrained_cfg crop_mode \"\(mode)\": expected center or squash")
        }
        try self.init(channels: size[0], height: size[1], width: size[2], interpolation: interpolation,
                      cropPct: config?.cropPct ?? (config == nil ? 1 : 0.875), cropMode: cropMode,
                      mean: config?.mean.map { $0.map(Float.init) } ?? fallbackMean,
                      std: config?.std.map { $0.map(Float.init) } ?? fallbackStd)
    }

    /// The resized, centre-cropped photo (what the model sees, for display) and its normalised
    /// `[C, H, W]` values.
    public func apply(_ image: RGBImage) -> (view: RGBImage, chw: [Float]) {
        let scaleH = Int((Double(height) / cropPct).rounded(.down)), scaleW = Int((Double(width) / cropPct).rounded(.down))
        let newW: Int, newH: Int
        switch cropMode {
        case .squash:
            (newW, newH) = (scaleW, scaleH)
        case .center:
            // torchvision Resize(int): the shorter side to the size, the longer int(size · long / short).
            let short = min(image.width, image.height), long = max(image.width, image.height)
            let target = scaleH
            let other = Int(Double(target) * Double(long) / Double(short))
            (newW, newH) = image.width <= image.height ? (target, other) : (other, target)
        }
        let resized = PILResize.resize(image, width: max(newW, 1), height: max(newH, 1), interpolation: interpolation)
        let view = centreCrop(resized)
        let plane = width * height
        var chw = [Float](repeating: 0, count: channels * plane)
        for i in 0..<plane {
            let r = Float(view.pixels[3 * i]) / 255, g = Float(view.pixels[3 * i + 1]) / 255, b = Float(view.pixels[3 * i + 2]) / 255
            if channels == 1 {
                chw[i] = (0.299 * r + 0.587 * g + 0.114 * b - mean[0]) / std[0]
            } else {
                chw[i] = (r - mean[0]) / std[0]
                chw[plane + i] = (g - mean[1]) / std[1]
                chw[2 * plane + i] = (b - mean[2]) / std[2]
            }
        }
        return (view, chw)
    }

    /// torchvision CenterCrop: offsets int(round((size − crop) / 2)) (round half to even, as Python);
    /// a side smaller than the crop is padded with black.
    func centreCrop(_ image: RGBImage) -> RGBImage {
        let top = Int((Double(image.height - height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(image.width - width) / 2).rounded(.toNearestOrEven))
        var out = RGBImage(width: width, height: height)
        for y in 0..<height {
            let sy = y + top
            guard sy >= 0, sy < image.height else { continue }
            for x in 0..<width {
                let sx = x + left
                guard sx >= 0, sx < image.width else { continue }
                for c in 0..<3 { out.pixels[(y * width + x) * 3 + c] = image.pixels[(sy * image.width + sx) * 3 + c] }
            }
        }
        return out
    }
}

/// Photos as model inputs: read (PNG or JPEG, folders expanded), transformed, batched.
public struct ExplainInputs {
    /// [B, C, H, W], normalised for the model.
    public let inputs: Tensor
    /// Name (file name without extension) and the cropped view the model saw, per image.
    public let pictures: [(name: String, image: RGBImage)]

    public init(paths: [String], transform: ImageTransform) throws {
        let files = try ImageFile.expand(paths)
        guard !files.isEmpty else { throw InterpretError("no images given") }
        var values: [Float] = []
        var pictures: [(String, RGBImage)] = []
        for file in files {
            let (view, chw) = transform.apply(try ImageFile.read(file))
            values += chw
            pictures.append((((file as NSString).lastPathComponent as NSString).deletingPathExtension, view))
        }
        inputs = Tensor(shape: [files.count, transform.channels, transform.height, transform.width], data: values)
        self.pictures = pictures
    }
}
