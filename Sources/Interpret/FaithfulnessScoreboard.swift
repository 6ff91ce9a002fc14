// The faithfulness scoreboard of `vittrain explain`: deletion and insertion AUC (Petsiuk et al.
// 2018) of every method's map on every image, plus a random patch order as the baseline, written
// as faithfulness.csv, printed as a table of means and drawn as faithfulness.svg (mean curves).

import Foundation
import Models
import Tensor

public struct FaithfulnessScoreboard {
    public struct Row {
        public let method: String
        /// Per image.
        public let curves: [FaithfulnessCurves]
        public var deletionAUC: Double { curves.map(\.deletionAUC).reduce(0, +) / Double(curves.count) }
        public var insertionAUC: Double { curves.map(\.insertionAUC).reduce(0, +) / Double(curves.count) }
    }

    public let rows: [Row]
    public let imageNames: [String]
    public let step: Int

    /// Scores each map of `methods` (each `[B, N]`) on `images` `[B, C, H, W]` for `targets`, and a
    /// seeded random order per image.
    public init(model: VisionTransformer, images: Tensor, imageNames: [String], targets: [Int],
                methods: [(name: String, maps: Tensor)], step: Int = 1, seed: UInt64 = 0) throws {
        let b = images.shape[0]
        let per = images.shape.dropFirst().reduce(1, *)
        let n = model.gridSize.height * model.gridSize.width
        func image(_ i: Int) -> Tensor {
            Tensor(shape: [1] + Array(images.shape.dropFirst()), data: Array(images.data[(i * per)..<((i + 1) * per)]))
        }
        var rows: [Row] = []
        for (name, maps) in methods {
            guard maps.shape == [b, n] else {
                throw InterpretError("faithfulness: method \(name) has maps \(maps.shape), expected [\(b), \(n)]")
            }
            rows.append(Row(method: name, curves: try (0..<b).map { i in
                try Faithfulness.curves(model: model, image: image(i), order: Faithfulness.order(Array(maps.data[(i * n)..<((i + 1) * n)])),
                                        target: targets[i], step: step)
            }))
        }
        rows.append(Row(method: "random", curves: try (0..<b).map { i in
            try Faithfulness.curves(model: model, image: image(i), order: Faithfulness.randomOrder(count: n, seed: seed &+ UInt64(i)),
                                    target: targets[i], step: step)
        }))
        self.rows = rows
        self.imageNames = imageNames
        self.step = step
    }

    /// Means over the images: one line per method.
    public var table: String {
        var lines = ["faithfulness (Petsiuk et al. 2018; \(imageNames.count) image\(imageNames.count == 1 ? "" : "s"), \(step) patch\(step == 1 ? "" : "es") per step)",
                     "method        deletion AUC ↓  insertion AUC ↑"]
        for row in rows {
            lines.append(row.method.padding(toLength: 14, withPad: " ", startingAt: 0)
                + String(format: "%14.4f  %15.4f", row.deletionAUC, row.insertionAUC))
        }
        return lines.joined(separator: "\n")
    }

    public var csv: String {
        var text = "image,method,deletion_auc,insertion_auc\n"
        for row in rows {
            for (name, c) in zip(imageNames, row.curves) {
                text += "\(AttentionDump.csvField(name)),\(row.method),\(ReportFiles.format(Float(c.deletionAUC))),\(ReportFiles.format(Float(c.insertionAUC)))\n"
            }
        }
        return text
    }

    /// Two panels (deletion, insertion): the mean curve of each method over the images, with its AUC in the legend.
    public var svg: String {
        let panelW = 360.0, panelH = 240.0, margin = 48.0
        let colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(2 * panelW + 3 * margin))\" height=\"\(Int(panelH + 2 * margin + 18 * Double(rows.count)))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (panel, title) in ["deletion (lower is better)", "insertion (higher is better)"].enumerated() {
            let x0 = margin + Double(panel) * (panelW + margin), y0 = margin
            s += "<text x=\"\(x0 + panelW / 2)\" y=\"\(y0 - 12)\" text-anchor=\"middle\" font-weight=\"bold\">\(title)</text>\n"
            s += "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(panelW)\" height=\"\(panelH)\" fill=\"none\" stroke=\"#444\"/>\n"
            for tick in 0...4 {
                let f = Double(tick) / 4
                s += "<text x=\"\(x0 - 6)\" y=\"\(y0 + panelH * (1 - f) + 4)\" text-anchor=\"end\">\(String(format: "%.2f", f))</text>\n"
                s += "<text x=\"\(x0 + panelW * f)\" y=\"\(y0 + panelH + 16)\" text-anchor=\"middle\">\(String(format: "%.0f%%", 100 * f))</text>\n"
            }
            s += "<text x=\"\(x0 + panelW / 2)\" y=\"\(y0 + panelH + 32)\" text-anchor=\"middle\">share of patches \(panel == 0 ? "removed" : "revealed")</text>\n"
            if panel == 0 {
                s += "<text transform=\"translate(\(x0 - 36),\(y0 + panelH / 2)) rotate(-90)\" text-anchor=\"middle\">class probability</text>\n"
            }
            for (r, row) in rows.enumerated() {
                let curves = row.curves.map { panel == 0 ? $0.deletion : $0.insertion }
                guard let count = curves.first?.count, count > 1 else { continue }
                let mean = (0..<count).map { k in curves.reduce(0.0) { $0 + Double($1[k]) } / Double(curves.count) }
                let points = mean.enumerated().map { k, v in
                    String(format: "%.1f,%.1f", x0 + panelW * Double(k) / Double(count - 1), y0 + panelH * (1 - min(max(v, 0), 1)))
                }.joined(separator: " ")
                let dash = row.method == "random" ? " stroke-dasharray=\"5,4\"" : ""
                s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colours[r % colours.count])\" stroke-width=\"2\"\(dash)/>\n"
            }
        }
        for (r, row) in rows.enumerated() {
            let y = margin + panelH + 52 + 18 * Double(r)
            s += "<line x1=\"\(margin)\" y1=\"\(y - 4)\" x2=\"\(margin + 24)\" y2=\"\(y - 4)\" stroke=\"\(colours[r % colours.count])\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(margin + 30)\" y=\"\(y)\">\(row.method): deletion AUC \(String(format: "%.4f", row.deletionAUC)), insertion AUC \(String(format: "%.4f", row.insertionAUC))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// faithfulness.csv, faithfulness.txt (the table) and faithfulness.svg in `directory`.
    public func write(to directory: String) throws {
        try ReportFiles.makeDirectory(directory)
        try ReportFiles.writeText(csv, to: directory + "/faithfulness.csv")
        try ReportFiles.writeText(table + "\n", to: directory + "/faithfulness.txt")
        try ReportFiles.writeText(svg, to: directory + "/faithfulness.svg")
    }
}
