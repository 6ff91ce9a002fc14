// Learning curves for the training report: train / val (and EMA val) loss and accuracy from a run's
// metrics.jsonl, plotted against epoch and against wall time (`wall_time_s`), as standalone SVGs,
// so time to accuracy is seen, not only logged.

import Foundation

public enum LearningCurves {
    /// One epoch line of metrics.jsonl.
    public struct Point: Equatable {
        public var epoch: Double
        public var wallTime: Double?
        public var values: [String: Double]
    }

    /// The series drawn, with their metrics.jsonl keys and colours.
    static let series: [(key: String, label: String, colour: String)] = [
        ("train", "train", "#1f77b4"), ("val", "val", "#d62728"), ("ema_val", "EMA val", "#2ca02c")]

    /// Epoch lines of a metrics log. Lines that are not JSON objects are an error naming the line.
    public static func read(_ path: String) throws -> [Point] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw InterpretError("\(path): cannot read the metrics log")
        }
        var points: [Point] = []
        for (number, line) in text.split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw InterpretError("\(path): line \(number + 1) is not a JSON object")
            }
            guard object["kind"] as? String == "epoch", let epoch = (object["epoch"] as? NSNumber)?.doubleValue else { continue }
            var values: [String: Double] = [:]
            for (key, value) in object { if let n = value as? NSNumber { values[key] = n.doubleValue } }
            points.append(Point(epoch: epoch, wallTime: values["wall_time_s"], values: values))
        }
        // A resumed run may log an epoch again; the last line of an epoch wins.
        var byEpoch: [Double: Point] = [:]
        for p in points { byEpoch[p.epoch] = p }
        return byEpoch.values.sorted { $0.epoch < $1.epoch }
    }

    /// One chart: `metric` ("loss" or "accuracy") of each series against epoch or wall time.
    public static func svg(_ points: [Point], metric: String, againstWallTime: Bool) -> String {
        let (w, h) = (440.0, 270.0), (left, right, top, bottom) = (56.0, 16.0, 44.0, 40.0)
        let xs: [Double?] = points.map { againstWallTime ? $0.wallTime.map { $0 / 60 } : $0.epoch }
        var lines: [(label: String, colour: String, points: [(Double, Double)])] = []
        for s in series {
            let key = "\(s.key)_\(metric)"
            let scale = metric == "accuracy" ? 100.0 : 1
            let pts = zip(xs, points).compactMap { x, p in x.flatMap { x in p.values[key].map { (x, $0 * scale) } } }
            if !pts.isEmpty { lines.append((s.label, s.colour, pts)) }
        }
        let xLabel = againstWallTime ? "wall time (minutes)" : "epoch"
        let yLabel = metric == "accuracy" ? "accuracy (%)" : "loss"
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(Int(w / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">\(yLabel) vs \(xLabel)</text>\n"
        let all = lines.flatMap(\.points)
        guard !all.isEmpty else {
            return out + "<text x=\"\(Int(w / 2))\" y=\"\(Int(h / 2))\" text-anchor=\"middle\">no \(metric) values yet</text>\n</svg>\n"
        }
        let x0 = againstWallTime ? 0 : min(all.map(\.0).min()!, 1), x1 = max(all.map(\.0).max()!, x0 + 1e-9)
        var y0 = all.map(\.1).min()!, y1 = all.map(\.1).max()!
        if y1 - y0 < 1e-9 { y0 -= 0.5; y1 += 0.5 }
        let pad = (y1 - y0) * 0.05
        y0 -= pad; y1 += pad
        if metric == "accuracy" { y0 = max(0, y0); y1 = min(100, y1) }
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (w - left - right) }
        func py(_ y: Double) -> Double { h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        out += "<g stroke=\"#999\" stroke-width=\"1\"><line x1=\"\(f(left))\" y1=\"\(f(h - bottom))\" x2=\"\(f(w - right))\" y2=\"\(f(h - bottom))\"/>"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(h - bottom))\"/></g>\n"
        for (xv, text) in ticks(x0, x1, integers: !againstWallTime) {
            out += "<text x=\"\(f(px(xv)))\" y=\"\(f(h - bottom + 14))\" text-anchor=\"middle\">\(text)</text>\n"
        }
        for (yv, text) in ticks(y0, y1, integers: false) {
            out += "<text x=\"\(f(left - 4))\" y=\"\(f(py(yv) + 4))\" text-anchor=\"end\">\(text)</text>"
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(yv)))\" x2=\"\(f(w - right))\" y2=\"\(f(py(yv)))\" stroke=\"#eee\"/>\n"
        }
        out += "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 6))\" text-anchor=\"middle\">\(xLabel)</text>\n"
        out += "<text transform=\"translate(14 \(f((top + h - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(yLabel)</text>\n"
        for (i, line) in lines.enumerated() {
            let coords = line.points.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
            out += "<polyline class=\"series\" data-series=\"\(line.label)\" fill=\"none\" stroke=\"\(line.colour)\" stroke-width=\"2\" points=\"\(coords)\"/>\n"
            for p in line.points { out += "<circle cx=\"\(f(px(p.0)))\" cy=\"\(f(py(p.1)))\" r=\"2.5\" fill=\"\(line.colour)\"/>" }
            // The legend is a row above the plot, so it never hides a curve.
            let lx = left + Double(i) * 90, ly = top - 14
            out += "\n<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 14))\" y2=\"\(f(ly))\" stroke=\"\(line.colour)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(f(lx + 18))\" y=\"\(f(ly + 4))\">\(line.label)</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Axis ticks at a 1-2-5 step giving about five ticks, labelled with as many decimals as the
    /// step needs (whole numbers only when `integers`, as for epochs).
    static func ticks(_ lo: Double, _ hi: Double, integers: Bool) -> [(Double, String)] {
        let raw = max((hi - lo) / 5, 1e-12)
        let magnitude = pow(10, floor(log10(raw)))
        var step = ([1.0, 2, 5, 10].first { $0 * magnitude >= raw } ?? 10) * magnitude
        if integers { step = max(1, step.rounded()) }
        let decimals = max(0, Int(-floor(log10(step))))
        var out: [(Double, String)] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 {
            out.append((v, String(format: "%.\(decimals)f", v)))
            v += step
        }
        return out
    }

    /// Writes the four charts into `directory` and returns an HTML section that shows them.
    public static func writeCharts(metrics path: String, to directory: String) throws -> String {
        let points = try read(path)
        var images = ""
        for metric in ["loss", "accuracy"] {
            for wall in [false, true] {
                let name = "curve_\(metric)_\(wall ? "time" : "epoch").svg"
                try ReportFiles.writeText(svg(points, metric: metric, againstWallTime: wall), to: directory + "/" + name)
                images += "<img src=\"\(name)\" alt=\"\(metric) vs \(wall ? "wall time" : "epoch")\">\n"
            }
        }
        let last = points.last
        let summary = last.map { p -> String in
            let acc = p.values["val_accuracy"].map { String(format: "val acc %.2f%%", 100 * $0) } ?? "no val accuracy"
            let ema = p.values["ema_val_accuracy"].map { String(format: ", EMA val acc %.2f%%", 100 * $0) } ?? ""
            let time = p.wallTime.map { String(format: " after %.1f minutes", $0 / 60) } ?? ""
            return "Epoch \(Int(p.epoch)): \(acc)\(ema)\(time)."
        } ?? "No epoch has finished yet."
        return "<h2>Learning curves</h2>\n<p class=\"note\">\(summary) From metrics.jsonl; wall time counts training and evaluation over every session of the run.</p>\n<div class=\"row\">\n\(images)</div>\n"
    }
}
