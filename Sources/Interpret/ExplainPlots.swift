// SVG plots of a dump's measures, averaged over its images: CLS-row entropy per layer and head
// with the uniform level ln T drawn (a head at that line attends to nothing in particular), and
// mean attention distance per head against depth (Fig. 7 of Dosovitskiy et al. 2021). Layers from 0.

import Foundation
import Tensor

public enum ExplainPlots {
    /// Points (layer, value) per head of a `[L, B, H]` measure, averaged over the B images.
    static func perHead(_ t: Tensor, _ s: AttentionSnapshot) -> [[Double]] {
        (0..<s.layers).map { l in (0..<s.heads).map { h in
            (0..<s.images).reduce(0.0) { $0 + Double(AttentionSnapshot.value(t, layer: l, image: $1, head: h, images: s.images, heads: s.heads)) } / Double(s.images)
        } }
    }

    /// A scatter of `values[layer][head]` against the layer, with an optional dashed reference line.
    static func scatter(title: String, yLabel: String, values: [[Double]], reference: (value: Double, label: String)?) -> String {
        let w = 480.0, h = 280.0, left = 60.0, top = 36.0, right = 20.0, bottom = 48.0
        let pw = w - left - right, ph = h - top - bottom
        let all = values.flatMap { $0 } + (reference.map { [$0.value] } ?? [])
        let high = max(all.max() ?? 1, 1e-6) * 1.05
        let layers = values.count
        func x(_ l: Int) -> Double { left + (layers > 1 ? pw * Double(l) / Double(layers - 1) : pw / 2) }
        func y(_ v: Double) -> Double { top + ph * (1 - v / high) }
        let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(w / 2)\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">\(title)</text>\n"
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"#444\"/>\n"
        for tick in 0...4 {
            let v = high * Double(tick) / 4
            s += "<text x=\"\(left - 6)\" y=\"\(String(format: "%.1f", y(v) + 4))\" text-anchor=\"end\">\(String(format: "%.2f", v))</text>\n"
        }
        for l in 0..<layers {
            s += "<text x=\"\(String(format: "%.1f", x(l)))\" y=\"\(top + ph + 16)\" text-anchor=\"middle\">\(l)</text>\n"
        }
        s += "<text x=\"\(left + pw / 2)\" y=\"\(h - 8)\" text-anchor=\"middle\">layer (from 0)</text>\n"
        s += "<text transform=\"translate(16,\(top + ph / 2)) rotate(-90)\" text-anchor=\"middle\">\(yLabel)</text>\n"
        if let reference {
            s += "<line x1=\"\(left)\" y1=\"\(String(format: "%.1f", y(reference.value)))\" x2=\"\(left + pw)\" y2=\"\(String(format: "%.1f", y(reference.value)))\" stroke=\"#888\" stroke-dasharray=\"6,4\"/>\n"
            s += "<text x=\"\(left + pw - 4)\" y=\"\(String(format: "%.1f", y(reference.value) - 4))\" text-anchor=\"end\" fill=\"#555\">\(reference.label)</text>\n"
        }
        for (l, row) in values.enumerated() {
            for (head, v) in row.enumerated() {
                let jitter = (Double(head) - Double(row.count - 1) / 2) * min(6, pw / Double(max(layers, 1)) / Double(max(row.count, 1)))
                s += "<circle cx=\"\(String(format: "%.1f", x(l) + jitter))\" cy=\"\(String(format: "%.1f", y(v)))\" r=\"3.5\" fill=\"\(colours[head % colours.count])\"><title>layer \(l) head \(head): \(String(format: "%.3f", v))</title></circle>\n"
            }
        }
        return s + "</svg>\n"
    }

    /// entropy.svg: CLS-row entropy (nats) per layer and head, with ln T (uniform attention).
    public static func entropy(_ s: AttentionSnapshot) -> String {
        let t = Double(s.patches + 1)
        return scatter(title: "CLS attention entropy per head (mean over \(s.images) image\(s.images == 1 ? "" : "s"))",
                       yLabel: "entropy (nats)", values: perHead(s.clsEntropy, s),
                       reference: (log(t), String(format: "uniform: ln %d = %.2f", s.patches + 1, log(t))))
    }

    /// distance.svg: mean attention distance (patches) per head against depth.
    public static func distance(_ s: AttentionSnapshot) -> String {
        scatter(title: "Mean attention distance per head (mean over \(s.images) image\(s.images == 1 ? "" : "s"))",
                yLabel: "distance (patches)", values: perHead(s.distance, s), reference: nil)
    }
}

extension ExplainPlots {
    /// similarity.svg: the CLS and rollout-weighted cosine similarities as two labelled heatmaps on
    /// one scale from −1 to 1, with its colour bar.
    public static func similarity(_ e: ImageEmbeddings, colormap: Colormap = .jet) -> String {
        let n = e.names.count, cell = max(14.0, min(40.0, 360.0 / Double(max(n, 1))))
        let label = Double(min(220, 7 * (e.names.map(\.count).max() ?? 4) + 8))
        let panel = cell * Double(n)
        let width = label + 2 * panel + 60, height = 40 + label + panel + 70
        func colour(_ v: Float) -> String {
            let (r, g, b) = colormap.rgb(index: Colormap.index((v + 1) / 2))
            return "rgb(\(r),\(g),\(b))"
        }
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (k, (title, matrix)) in [("CLS embeddings", e.clsSimilarity), ("rollout-weighted embeddings", e.rolloutSimilarity)].enumerated() {
            let x0 = label + Double(k) * (panel + 40), y0 = 40 + label
            s += "<text x=\"\(x0 + panel / 2)\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">cosine similarity, \(title)</text>\n"
            for (i, name) in e.names.enumerated() {
                let c = String(format: "%.1f", x0 + cell * (Double(i) + 0.5))
                s += "<text transform=\"translate(\(c),\(y0 - 4)) rotate(-90)\">\(escape(name))</text>\n"
                if k == 0 {
                    s += "<text x=\"\(x0 - 4)\" y=\"\(String(format: "%.1f", y0 + cell * (Double(i) + 0.5) + 4))\" text-anchor=\"end\">\(escape(name))</text>\n"
                }
                for j in 0..<n {
                    s += "<rect x=\"\(String(format: "%.1f", x0 + cell * Double(j)))\" y=\"\(String(format: "%.1f", y0 + cell * Double(i)))\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(colour(matrix[i][j]))\"><title>\(escape(name)) · \(escape(e.names[j])): \(String(format: "%.3f", matrix[i][j]))</title></rect>\n"
                }
            }
        }
        // Colour bar from −1 to 1.
        let barY = 40 + label + panel + 24, barX = label, barW = 2 * panel + 40
        s += "<defs><linearGradient id=\"bar\">" + (0...10).map { k in
            "<stop offset=\"\(k * 10)%\" stop-color=\"\(colour(Float(k) / 5 - 1))\"/>" }.joined() + "</linearGradient></defs>\n"
        s += "<rect x=\"\(barX)\" y=\"\(barY)\" width=\"\(barW)\" height=\"12\" fill=\"url(#bar)\"/>\n"
        s += "<text x=\"\(barX)\" y=\"\(barY + 26)\">−1</text><text x=\"\(barX + barW / 2)\" y=\"\(barY + 26)\" text-anchor=\"middle\">0</text><text x=\"\(barX + barW)\" y=\"\(barY + 26)\" text-anchor=\"end\">1</text>\n"
        return s + "</svg>\n"
    }
}
