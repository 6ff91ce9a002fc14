// `vittrain eval --dump-attention DIR`: for chosen images, overlays of every layer × head CLS map,
// head means, rollout, a layers × heads grid, entropy and distance tables, the raw arrays in HDF5
// and a static index.html to browse them (works from file://, no server).

import Foundation
import FileFormats
import Models
import Tensor

/// One image to explain, at its native resolution.
public struct ExplainedImage {
    public var name: String
    public var image: RGBImage
    public var label: String?
    public var prediction: String?

    public init(name: String, image: RGBImage, label: String? = nil, prediction: String? = nil) {
        self.name = name
        self.image = image
        self.label = label
        self.prediction = prediction
    }

    /// From a `[C, H, W]` Float image in [0, 1] (C = 1 or 3), e.g. a dataset sample before normalisation.
    public init(name: String, chw: [Float], channels: Int, height: Int, width: Int,
                label: String? = nil, prediction: String? = nil) throws {
        self.init(name: name, image: try Overlay.image(chw: chw, channels: channels, height: height, width: width),
                  label: label, prediction: prediction)
    }
}

/// Drawing options of the dump.
public struct AttentionDumpOptions {
    /// Longest side of the input and overlay PNGs (inputs are scaled by nearest neighbour, maps bilinearly).
    public var displaySize: Int
    /// Longest side of one cell of the grid PNG.
    public var gridCellSize: Int
    public var style: OverlayStyle
    public var rollout: AttentionRollout
    /// Also store the full `[B, H, T, T]` maps of every layer in attention.h5.
    public var storeFullMaps: Bool
    /// Further methods' maps (head max/min, DINO masks, chefer2021, …): an overlay `<name>.png` per
    /// image, a view on the page and a dataset `<name>` in attention.h5 each.
    public var methods: [MethodMap] = []
    /// One colour scale for all CLS maps of an image (every layer and head, so a uniform layer looks
    /// flat); false stretches each map to its own min–max (`--scale per-map`).
    public var sharedScale = true
    /// faithfulness.svg was written beside the page (by the scoreboard), so the page shows it.
    public var scoreboard = false

    public init(displaySize: Int = 256, gridCellSize: Int = 96, style: OverlayStyle = OverlayStyle(),
                rollout: AttentionRollout = .standard, storeFullMaps: Bool = true) {
        self.displaySize = displaySize
        self.gridCellSize = gridCellSize
        self.style = style
        self.rollout = rollout
        self.storeFullMaps = storeFullMaps
    }
}

/// What a dump wrote.
public struct AttentionDumpSummary {
    public let directory: String
    public let indexPath: String
    public let pngPaths: [String]
    public let snapshot: AttentionSnapshot
}

public enum AttentionDump {
    /// Writes the dump for `images` (B of them) from the layer-ordered full attention maps
    /// `[B, H, T, T]` of one forward pass into `directory` (created if needed).
    /// Layout: `<dir>/index.html`, `entropy.csv|json`, `distance.csv|json`, `attention.h5`, and per
    /// image `<dir>/<NNN_name>/input.png`, `layerLL_headHH.png`, `layerLL_mean.png`, `rollout.png`, `grid.png`.
    public static func write(images: [ExplainedImage], attentions: [Tensor], gridHeight: Int, gridWidth: Int,
                             to directory: String, options: AttentionDumpOptions = AttentionDumpOptions()) throws -> AttentionDumpSummary {
        try write(images: images, attentions: attentions, layout: TokenLayout(gridHeight: gridHeight, gridWidth: gridWidth),
                  to: directory, options: options)
    }

    /// As above, for a model whose tokens sit as `layout` says (registers, no class token, …).
    public static func write(images: [ExplainedImage], attentions: [Tensor], layout: TokenLayout,
                             to directory: String, options: AttentionDumpOptions = AttentionDumpOptions()) throws -> AttentionDumpSummary {
        let (gridHeight, gridWidth) = (layout.gridHeight, layout.gridWidth)
        let snapshot = try AttentionSnapshot(attentions: attentions, layout: layout, rollout: options.rollout)
        guard snapshot.images == images.count else {
            throw InterpretError("attention dump: \(images.count) images but the attention maps hold \(snapshot.images)")
        }
        guard options.displaySize > 0, options.gridCellSize > 0 else {
            throw InterpretError("attention dump: display size \(options.displaySize) and grid cell size \(options.gridCellSize) must be positive")
        }
        for method in options.methods where method.maps.shape != [snapshot.images, snapshot.patches] {
            throw InterpretError("attention dump: method \(method.name) has maps \(method.maps.shape), expected [\(snapshot.images), \(snapshot.patches)]")
        }
        try ReportFiles.makeDirectory(directory)
        let folders = images.enumerated().map { String(format: "%03d_", $0.offset) + ReportFiles.safeName($0.element.name) }
        var pngPaths: [String] = []
        var pages: [DumpPage.Image] = []
        for (index, item) in images.enumerated() {
            let folder = folders[index]
            try ReportFiles.makeDirectory(directory + "/" + folder)
            let base = scaled(item.image, longestSide: options.displaySize)
            let cellBase = scaled(item.image, longestSide: options.gridCellSize)
            func save(_ image: RGBImage, _ file: String) throws -> String {
                let path = directory + "/" + folder + "/" + file
                try ReportFiles.writePNG(image, to: path)
                pngPaths.append(path)
                return folder + "/" + file
            }
            let input = try save(base, "input.png")
            // The image's shared scale: the range of all its CLS maps over layers and heads.
            var low = Float.infinity, high = -Float.infinity
            for layer in 0..<snapshot.layers {
                for head in 0..<snapshot.heads {
                    for v in snapshot.clsMap(layer: layer, image: index, head: head).values { low = min(low, v); high = max(high, v) }
                }
            }
            var layerStyle = options.style
            if options.sharedScale { layerStyle.normalisation = .fixed(low: low, high: high) }
            // Layers are drawn and encoded in parallel; each writes only its own files and slot.
            var results = [Result<(files: [String], row: [RGBImage?]), Error>?](repeating: nil, count: snapshot.layers)
            results.withUnsafeMutableBufferPointer { slots in
                Parallel.forEach(snapshot.layers) { layer in
                    slots[layer] = Result {
                        var files: [String] = [], row: [RGBImage?] = []
                        let maps = (0..<snapshot.heads).map { snapshot.clsMap(layer: layer, image: index, head: $0) }
                            + [snapshot.headMeanMap(layer: layer, image: index)]
                        for (k, map) in maps.enumerated() {
                            let file = k < snapshot.heads ? String(format: "layer%02d_head%02d.png", layer, k)
                                                          : String(format: "layer%02d_mean.png", layer)
                            try ReportFiles.writePNG(Overlay.blend(map, over: base, style: layerStyle),
                                                     to: directory + "/" + folder + "/" + file)
                            files.append(folder + "/" + file)
                            row.append(Overlay.blend(map, over: cellBase, style: layerStyle))
                        }
                        return (files, row)
                    }
                }
            }
            var layerFiles: [[String]] = []
            var gridRows: [[RGBImage?]] = []
            for result in results {
                let (files, row) = try result!.get()
                layerFiles.append(files)
                gridRows.append(row)
                pngPaths += files.map { directory + "/" + $0 }
            }
            // The head means of every layer, on the image's shared scale, as an animated PNG.
            let animation = folder + "/layers.png"
            try AtomicFile.write(try LayerAnimation.encode((0..<snapshot.layers).map {
                Overlay.blend(snapshot.headMeanMap(layer: $0, image: index), over: base, style: layerStyle)
            }), to: directory + "/" + animation)
            pngPaths.append(directory + "/" + animation)
            let rolloutMap = snapshot.rolloutMap(image: index)
            let rollout = try save(Overlay.blend(rolloutMap, over: base, style: options.style), "rollout.png")
            // Rollout and the input get columns of their own (first row), so no head label sits over them.
            for row in gridRows.indices {
                gridRows[row] += row == 0 ? [Overlay.blend(rolloutMap, over: cellBase, style: options.style), cellBase] : [nil, nil]
            }
            let grid = GridImage.tile(gridRows, spacing: 4,
                                      rowLabels: (0..<snapshot.layers).map { "L\($0)" },
                                      columnLabels: (0..<snapshot.heads).map { "H\($0)" } + ["MEAN", "ROLLOUT", "INPUT"])
            // The bar gives the layer maps' scale (shared) or, per map, the widest range among them.
            let gridFile = try save(ColourBar.appended(below: grid, colormap: options.style.colormap,
                                                       low: options.sharedScale ? low : 0, high: options.sharedScale ? high : 1), "grid.png")
            // Raw attention (last layer, head mean) beside rollout beside every further method, each on its own scale.
            let lastMean = snapshot.headMeanMap(layer: snapshot.layers - 1, image: index)
            var compareCells: [RGBImage?] = [cellBase, Overlay.blend(lastMean, over: cellBase, style: options.style),
                                              Overlay.blend(rolloutMap, over: cellBase, style: options.style)]
            var compareLabels = ["INPUT", "L\(snapshot.layers - 1) MEAN", "ROLLOUT"]
            for method in options.methods where method.name != "head_min" {
                let map = ScalarMap(width: gridWidth, height: gridHeight, values: Array(
                    method.maps.data[(index * snapshot.patches)..<((index + 1) * snapshot.patches)]))
                compareCells.append(Overlay.blend(map, over: cellBase, style: options.style))
                compareLabels.append(method.name.uppercased().replacingOccurrences(of: "_", with: " "))
            }
            let compare = try save(ColourBar.appended(below: GridImage.tile([compareCells], spacing: 4, columnLabels: compareLabels),
                                                      colormap: options.style.colormap, low: 0, high: 1), "compare.png")
            let methodViews = try options.methods.map { method -> DumpPage.Method in
                let map = ScalarMap(width: gridWidth, height: gridHeight, values: Array(
                    method.maps.data[(index * snapshot.patches)..<((index + 1) * snapshot.patches)]))
                return DumpPage.Method(name: method.name, caption: method.caption,
                                       file: try save(Overlay.blend(map, over: base, style: options.style), method.name + ".png"))
            }
            pages.append(DumpPage.Image(
                name: item.name, label: item.label, prediction: item.prediction, input: input,
                layers: layerFiles, rollout: rollout, grid: gridFile, compare: compare, animation: animation, methods: methodViews,
                scale: options.sharedScale ? [low, high] : nil,
                clsEntropy: perLayerHead(snapshot.clsEntropy, snapshot, image: index),
                rowEntropy: perLayerHead(snapshot.rowEntropy, snapshot, image: index),
                distance: perLayerHead(snapshot.distance, snapshot, image: index)))
        }
        try writeTables(snapshot, names: images.map(\.name), to: directory)
        try ReportFiles.writeText(ExplainPlots.entropy(snapshot), to: directory + "/entropy.svg")
        try ReportFiles.writeText(ExplainPlots.distance(snapshot), to: directory + "/distance.svg")
        try writeArrays(snapshot, images: images, attentions: options.storeFullMaps ? attentions : [],
                        methods: options.methods, to: directory + "/attention.h5")
        let page = DumpPage(layers: snapshot.layers, heads: snapshot.heads, grid: [gridHeight, gridWidth],
                            rolloutFusion: options.rollout.fusion.rawValue, rolloutDiscard: options.rollout.discardRatio,
                            colormap: options.style.colormap.rawValue, colourBar: ColourBar.css(options.style.colormap),
                            scoreboard: options.scoreboard ? "faithfulness.svg" : nil, images: pages)
        let indexPath = directory + "/index.html"
        try ReportFiles.writeText(try page.html(), to: indexPath)
        return AttentionDumpSummary(directory: directory, indexPath: indexPath, pngPaths: pngPaths, snapshot: snapshot)
    }

    /// Nearest-neighbour scaling so that the longest side is `longestSide`.
    static func scaled(_ image: RGBImage, longestSide: Int) -> RGBImage {
        let longest = max(image.width, image.height)
        let w = max(1, image.width * longestSide / longest), h = max(1, image.height * longestSide / longest)
        return (w == image.width && h == image.height) ? image : Overlay.scaledNearest(image, width: w, height: h)
    }

    static func perLayerHead(_ t: Tensor, _ s: AttentionSnapshot, image: Int) -> [[Float]] {
        (0..<s.layers).map { l in (0..<s.heads).map { h in
            AttentionSnapshot.value(t, layer: l, image: image, head: h, images: s.images, heads: s.heads) } }
    }

    struct Table: Encodable {
        let images: [String]
        let layers: Int
        let heads: Int
        let unit: String
        /// [image][layer][head]
        let values: [String: [[[Float]]]]
    }

    /// entropy.csv/json (CLS-row and mean-row entropy, nats) and distance.csv/json (patches).
    static func writeTables(_ s: AttentionSnapshot, names: [String], to directory: String) throws {
        func nested(_ t: Tensor) -> [[[Float]]] { (0..<s.images).map { perLayerHead(t, s, image: $0) } }
        var entropyCSV = "image,layer,head,cls_entropy_nats,mean_row_entropy_nats\n"
        var distanceCSV = "image,layer,head,mean_distance_patches\n"
        for b in 0..<s.images {
            let name = csvField(names[b])
            for l in 0..<s.layers {
                for h in 0..<s.heads {
                    let v = { (t: Tensor) in ReportFiles.format(AttentionSnapshot.value(t, layer: l, image: b, head: h, images: s.images, heads: s.heads)) }
                    entropyCSV += "\(name),\(l),\(h),\(v(s.clsEntropy)),\(v(s.rowEntropy))\n"
                    distanceCSV += "\(name),\(l),\(h),\(v(s.distance))\n"
                }
            }
        }
        try ReportFiles.writeText(entropyCSV, to: directory + "/entropy.csv")
        try ReportFiles.writeText(distanceCSV, to: directory + "/distance.csv")
        try ReportFiles.writeText(try ReportFiles.json(Table(images: names, layers: s.layers, heads: s.heads, unit: "nats",
            values: ["cls_entropy": nested(s.clsEntropy), "mean_row_entropy": nested(s.rowEntropy)])), to: directory + "/entropy.json")
        try ReportFiles.writeText(try ReportFiles.json(Table(images: names, layers: s.layers, heads: s.heads, unit: "patches",
            values: ["mean_distance": nested(s.distance)])), to: directory + "/distance.json")
    }

    public static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// attention.h5: the measures (same names and shapes as AttentionSnapshot), the images and,
    /// when given, the full maps `attention/layerLL` `[B, H, T, T]`; gzip level 4.
    static func writeArrays(_ s: AttentionSnapshot, images: [ExplainedImage], attentions: [Tensor],
                            methods: [MethodMap] = [], to path: String) throws {
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", "vittrain-attention-dump")
            try file.setAttribute("grid", [Int64(s.gridHeight), Int64(s.gridWidth)])
            try file.setAttribute("names", try ReportFiles.json(images.map(\.name)))
            try file.write(s.cls.data, shape: s.cls.shape, to: "cls", compression: 4)
            try file.write(s.headMean.data, shape: s.headMean.shape, to: "head_mean", compression: 4)
            try file.write(s.rollout.data, shape: s.rollout.shape, to: "rollout", compression: 4)
            try file.write(s.clsEntropy.data, shape: s.clsEntropy.shape, to: "entropy_cls", compression: 4)
            try file.write(s.rowEntropy.data, shape: s.rowEntropy.shape, to: "entropy_rows", compression: 4)
            try file.write(s.distance.data, shape: s.distance.shape, to: "distance", compression: 4)
            try file.write(s.registerShare.data, shape: s.registerShare.shape, to: "register_share", compression: 4)
            try file.setAttribute("tokens", try ReportFiles.json(s.layout.tokenNames.prefix(s.layout.prefixCount).map { $0 }))
            for method in methods {
                let array = method.stored ?? method.maps
                try file.write(array.data, shape: array.shape, to: method.name, compression: 4)
            }
            for (index, item) in images.enumerated() {
                try file.write(item.image.pixels, shape: [item.image.height, item.image.width, 3],
                               to: String(format: "images/%03d", index), compression: 4)
            }
            for (layer, a) in attentions.enumerated() {
                try file.write(a.data, shape: a.shape, to: String(format: "attention/layer%02d", layer), compression: 4)
            }
        }
    }
}
