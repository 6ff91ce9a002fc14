// A one-line download progress bar on stderr: bytes done / total, percent, rate and ETA.
// Redrawn in place with a carriage return, at most five times a second.

import Foundation

public final class DownloadProgress {
    private let label: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool

    public init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    /// Redraws if 0.2 s have passed (or `force`).
    public func update(done: Int64, total: Int64?, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r" + Self.line(label: label, done: done, total: total,
                                                                elapsed: now.timeIntervalSince(start))).utf8))
    }

    /// Ends the line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// The text of the bar, e.g. `cifar-10-binary.tar.gz [=====>    ] 45.2/162.6 MB  27.8%  5.1 MB/s  ETA 0:23`.
    static func line(label: String, done: Int64, total: Int64?, elapsed: TimeInterval) -> String {
        let mb = { (b: Int64) in String(format: "%.1f", Double(b) / 1_000_000) }
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let rateText = String(format: "%.1f MB/s", rate / 1_000_000)
        guard let total, total > 0 else {
            return "\(label) \(mb(done)) MB  \(rateText)"
        }
        let fraction = min(1, Double(done) / Double(total))
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "")
            + String(repeating: " ", count: max(0, width - filled - 1))
        var eta = "--:--"
        if rate > 0 {
            let seconds = Int((Double(total - done) / rate).rounded())
            eta = String(format: "%d:%02d", seconds / 60, seconds % 60)
        }
        return "\(label) [\(bar)] \(mb(done))/\(mb(total)) MB  \(String(format: "%5.1f", fraction * 100))%  \(rateText)  ETA \(eta)"
    }
}
