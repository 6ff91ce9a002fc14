// `vittrain report RUN_DIR`: "watch attention form during training". Reads the run's attention
// record and writes a static page with sliders over epochs and layers (and play buttons) showing
// the probe images' CLS maps per head, their head mean and the rollout, epoch by epoch, then the
// learning curves from metrics.jsonl (LearningCurves.swift).

import Foundation
import FileFormats
import Tensor

/// Options of the training report.
public struct TrainingReportOptions {
    /// Longest side of the probe images on the page (inputs are scaled by nearest neighbour).
    public var displaySize: Int
    public var colormap: Colormap
    /// Opacity of the heatmap over the image.
    public var alpha: Float
    /// At most this many epochs are rendered (evenly spaced, first and last always kept).
    public var maxEpochs: Int

    public init(displaySize: Int = 160, colormap: Colormap = .jet, alpha: Float = 0.5, maxEpochs: Int = 60) {
        self.displaySize = displaySize
        self.colormap = colormap
        self.alpha = alpha
        self.maxEpochs = maxEpochs
    }
}

/// What a report wrote.
public struct TrainingReportSummary {
    public let indexPath: String
    public let epochs: [Int]
    public let pngCount: Int
}

public enum TrainingReport {
    /// The report of a run directory: reads `RUN_DIR/attention_record.h5`, writes `RUN_DIR/attention_report/`.
    public static func write(runDirectory: String, options: TrainingReportOptions = TrainingReportOptions()) throws -> TrainingReportSummary {
        let record = runDirectory + "/" + AttentionRecord.defaultFileName
        let directory = runDirectory + "/attention_report", metrics = runDirectory + "/metrics.jsonl"
        let hasMetrics = FileManager.default.fileExists(atPath: metrics)
        guard FileManager.default.fileExists(atPath: record) || !hasMetrics else {
            // A run without attention snapshots still gets its learning curves.
            try ReportFiles.makeDirectory(directory)
            let curves = try LearningCurves.writeCharts(metrics: metrics, to: directory)
            let page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Training report</title>\n<style>\(ReportStyle.css)</style>\n</head>\n<body>\n<h1>Training report</h1>\n\(curves)</body>\n</html>\n"
            try ReportFiles.writeText(page, to: directory + "/index.html")
            return TrainingReportSummary(indexPath: directory + "/index.html", epochs: [], pngCount: 0)
        }
        let summary = try write(record: record, to: directory, options: options)
        if hasMetrics {
            // The curves go at the end of the attention page, outside its template.
            let curves = try LearningCurves.writeCharts(metrics: metrics, to: directory)
            let html = try String(contentsOfFile: summary.indexPath, encoding: .utf8)
            try ReportFiles.writeText(html.replacingOccurrences(of: "</body>", with: curves + "</body>"), to: summary.indexPath)
        }
        return summary
    }

    /// Writes `directory/index.html` and the map PNGs for the record at `record`.
    ///
    /// Maps are stored at the patch-grid resolution (gh × gw pixels, coloured; head maps on one scale
    /// per probe across epochs, rollout normalised per map)
    /// and scaled and blended over the probe image by the browser, which keeps a report of many
    /// epochs × layers × heads small. Files: `probeBB.png`, `maps/pBB/eEEEE/lLL_hHH.png`,
    /// `lLL_mean.png`, `rollout.png`.
    public static func write(record path: String, to directory: String,
                             options: TrainingReportOptions = TrainingReportOptions()) throws -> TrainingReportSummary {
        let record = try AttentionRecord.open(path)
        let allEpochs = try record.epochs()
        guard !allEpochs.isEmpty else { throw InterpretError("\(path): the attention record holds no epochs yet") }
        let epochs = sample(allEpochs, max: max(2, options.maxEpochs))
        let probes = try record.probeImages()
        let labels = try record.probeLabels()
        try ReportFiles.makeDirectory(directory)
        let style = OverlayStyle(colormap: options.colormap, alpha: 1, normalisation: .minMax)
        var pngCount = 0
        var probeFiles: [String] = []
        for (b, probe) in probes.enumerated() {
            let file = String(format: "probe%02d.png", b)
            try ReportFiles.writePNG(AttentionDump.scaled(probe, longestSide: options.displaySize), to: directory + "/" + file)
            probeFiles.append(file)
            pngCount += 1
        }
        var entropy: [[[Float]]] = []   // [epoch][layer][head], mean over probes
        var distance: [[[Float]]] = []
        // One colour scale per probe over all epochs, layers and heads (0 to its largest CLS weight),
        // so a still-uniform early epoch looks flat instead of as sharp as a trained one.
        var probeHigh = [Float](repeating: 0, count: record.probeCount)
        for epoch in epochs {
            let cls = try record.read(epoch: epoch).cls   // [L, B, H, N]
            let perProbe = record.heads * record.patches
            for (i, v) in cls.data.enumerated() {
                let b = (i / perProbe) % record.probeCount
                probeHigh[b] = max(probeHigh[b], v)
            }
        }
        for epoch in epochs {
            let data = try record.read(epoch: epoch)
            let (l, n, h, bCount) = (record.layers, record.patches, record.heads, record.probeCount)
            func map(_ values: ArraySlice<Float>, probe: Int? = nil) -> RGBImage {
                var drawn = style
                if let probe { drawn.normalisation = .fixed(low: 0, high: max(probeHigh[probe], .leastNormalMagnitude)) }
                return Overlay.heatmap(ScalarMap(width: record.gridWidth, height: record.gridHeight, values: Array(values)),
                                       width: record.gridWidth, height: record.gridHeight, style: drawn)
            }
            for b in 0..<bCount {
                let folder = String(format: "maps/p%02d/e%04d", b, epoch)
                try ReportFiles.makeDirectory(directory + "/" + folder)
                for layer in 0..<l {
                    var mean = [Float](repeating: 0, count: n)
                    for head in 0..<h {
                        let start = ((layer * bCount + b) * h + head) * n
                        let values = data.cls.data[start..<(start + n)]
                        for j in 0..<n { mean[j] += values[values.startIndex + j] / Float(h) }
                        try ReportFiles.writePNG(map(values, probe: b), to: directory + "/" + folder + String(format: "/l%02d_h%02d.png", layer, head))
                    }
                    try ReportFiles.writePNG(map(mean[...], probe: b), to: directory + "/" + folder + String(format: "/l%02d_mean.png", layer))
                    pngCount += h + 1
                }
                try ReportFiles.writePNG(map(data.rollout.data[(b * n)..<((b + 1) * n)]), to: directory + "/" + folder + "/rollout.png")
                pngCount += 1
            }
            func probeMean(_ t: Tensor) -> [[Float]] {
                (0..<l).map { layer in (0..<h).map { head in
                    (0..<bCount).reduce(Float(0)) { $0 + t.data[(layer * bCount + $1) * h + head] } / Float(bCount) } }
            }
            entropy.append(probeMean(data.entropy))
            distance.append(probeMean(data.distance))
        }
        let names = record.classNames
        let page = ReportPage(
            epochs: epochs, layers: record.layers, heads: record.heads, grid: [record.gridHeight, record.gridWidth],
            alpha: options.alpha, colormap: options.colormap.rawValue,
            probes: probeFiles.enumerated().map { b, file in
                ReportPage.Probe(image: file, label: labels[b] < names.count && labels[b] >= 0 ? names[labels[b]] : String(labels[b]))
            },
            entropy: entropy, distance: distance)
        let indexPath = directory + "/index.html"
        try ReportFiles.writeText(try page.html(), to: indexPath)
        return TrainingReportSummary(indexPath: indexPath, epochs: epochs, pngCount: pngCount)
    }

    /// At most `max` values of `values`, evenly spaced, first and last kept.
    static func sample(_ values: [Int], max: Int) -> [Int] {
        guard values.count > max else { return values }
        let picks = (0..<max).map { Int((Double($0) * Double(values.count - 1) / Double(max - 1)).rounded()) }
        return Array(Set(picks)).sorted().map { values[$0] }
    }
}
