// The per-run attention record (HDF5, readable with h5py): the probe images, labels and optional
// object masks, then per epoch the CLS attention of every layer and head, the rollout, per-head
// entropy and distance (and optionally full maps) under epochs/<epoch, 4 digits>/, gzip-compressed.
// Legend: L layers, B probe images, H heads, N patches, T = 1 + N.

import Foundation
import FileFormats
import Tensor

/// An attention record on disk. Every append rewrites the file through `AtomicFile` (copy,
/// append to the copy, rename), so an interrupted append leaves the previous record intact.
///
/// Layout: root attributes `format = "vittrain-attention-record"`, `version`, `grid` [gh, gw],
/// `layers`, `heads`, `class_names` (JSON); `probe/images` uint8 [B, H, W, 3], `probe/labels`
/// int64 [B], `probe/masks` uint8 [B, H, W] (optional); per epoch `epochs/0007/cls` float32
/// [L, B, H, N], `rollout` [B, N], `entropy` [L, B, H] (CLS row, nats), `distance` [L, B, H]
/// (patches), optional `entropy_rows` [L, B, H] and `full/layerLL` [B, H, T, T]; attribute `epoch`.
public final class AttentionRecord {
    public static let format = "vittrain-attention-record"
    public static let version = 1
    /// Name of the record inside a run directory.
    public static let defaultFileName = "attention_record.h5"

    public let path: String
    public let gridHeight: Int, gridWidth: Int
    public let layers: Int, heads: Int
    public let probeCount: Int
    public let classNames: [String]

    public var patches: Int { gridHeight * gridWidth }

    private init(path: String, grid: (Int, Int), layers: Int, heads: Int, probeCount: Int, classNames: [String]) {
        self.path = path
        (gridHeight, gridWidth) = grid
        self.layers = layers
        self.heads = heads
        self.probeCount = probeCount
        self.classNames = classNames
    }

    /// Creates (or replaces) the record with its probe images (all the same size), labels and
    /// optional masks (one `height × width` byte mask per image, non-zero = object).
    @discardableResult
    public static func create(at path: String, probes: [RGBImage], labels: [Int], masks: [[UInt8]]? = nil,
                              classNames: [String] = [], gridHeight: Int, gridWidth: Int,
                              layers: Int, heads: Int) throws -> AttentionRecord {
        guard let first = probes.first else { throw InterpretError("\(path): an attention record needs at least one probe image") }
        guard probes.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw InterpretError("\(path): probe images must share one size, expected \(first.width)×\(first.height)")
        }
        guard labels.count == probes.count else {
            throw InterpretError("\(path): \(probes.count) probe images but \(labels.count) labels")
        }
        if let masks = masks {
            guard masks.count == probes.count, masks.allSatisfy({ $0.count == first.width * first.height }) else {
                throw InterpretError("\(path): masks must be \(probes.count) × \(first.height)×\(first.width) bytes")
            }
        }
        guard gridHeight > 0, gridWidth > 0, layers > 0, heads > 0 else {
            throw InterpretError("\(path): grid \(gridHeight)×\(gridWidth), \(layers) layers and \(heads) heads must all be positive")
        }
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", format)
            try file.setAttribute("version", version)
            try file.setAttribute("grid", [Int64(gridHeight), Int64(gridWidth)])
            try file.setAttribute("layers", layers)
            try file.setAttribute("heads", heads)
            try file.setAttribute("class_names", try ReportFiles.json(classNames))
            try file.write(probes.flatMap(\.pixels), shape: [probes.count, first.height, first.width, 3],
                           to: "probe/images", compression: 4)
            try file.write(labels.map(Int64.init), shape: [labels.count], to: "probe/labels")
            if let masks = masks {
                try file.write(masks.flatMap { $0 }, shape: [masks.count, first.height, first.width],
                               to: "probe/masks", compression: 4)
            }
            try file.createGroup("epochs")
        }
        return AttentionRecord(path: path, grid: (gridHeight, gridWidth), layers: layers, heads: heads,
                               probeCount: probes.count, classNames: classNames)
    }

    /// Opens an existing record, checking its format.
    public static func open(_ path: String) throws -> AttentionRecord {
        guard FileManager.default.fileExists(atPath: path) else {
            throw InterpretError("\(path): no attention record here")
        }
        let file = try HDF5File.open(path)
        defer { file.close() }
        guard file.hasAttribute("format"), try file.stringAttribute("format") == format else {
            throw InterpretError("\(path): not an attention record (expected attribute format = \"\(format)\")")
        }
        let grid = try file.int64sAttribute("grid")
        guard grid.count == 2 else { throw InterpretError("\(path): attribute grid must hold 2 values, got \(grid.count)") }
        let names = try JSONDecoder().decode([String].self, from: Data(try file.stringAttribute("class_names").utf8))
        let probeShape = try file.shape(of: "probe/images")
        return AttentionRecord(path: path, grid: (Int(grid[0]), Int(grid[1])), layers: try file.intAttribute("layers"),
                               heads: try file.intAttribute("heads"), probeCount: probeShape.first ?? 0, classNames: names)
    }

    // MARK: appending

    /// Appends (or replaces) one epoch. Shapes: `clsAttention` [L, B, H, N], `rollout` [B, N],
    /// `entropy` and `distance` [L, B, H], `rowEntropy` [L, B, H], `fullMaps` L × [B, H, T, T].
    public func append(epoch: Int, clsAttention: Tensor, rollout: Tensor, entropy: Tensor, distance: Tensor,
                       rowEntropy: Tensor? = nil, fullMaps: [Tensor]? = nil) throws {
        let (l, b, h, n) = (layers, probeCount, heads, patches)
        func check(_ t: Tensor, _ shape: [Int], _ name: String) throws {
            guard t.shape == shape else {
                throw InterpretError("\(path): epoch \(epoch) \(name) has shape \(t.shape), expected \(shape)")
            }
        }
        guard epoch >= 0, epoch <= 9999 else { throw InterpretError("\(path): epoch \(epoch) must be in 0...9999") }
        try check(clsAttention, [l, b, h, n], "clsAttention")
        try check(rollout, [b, n], "rollout")
        try check(entropy, [l, b, h], "entropy")
        try check(distance, [l, b, h], "distance")
        if let rowEntropy = rowEntropy { try check(rowEntropy, [l, b, h], "rowEntropy") }
        if let maps = fullMaps {
            guard maps.count == l else { throw InterpretError("\(path): epoch \(epoch) has \(maps.count) full maps, expected \(l) layers") }
            for (i, m) in maps.enumerated() { try check(m, [b, h, n + 1, n + 1], "full map of layer \(i)") }
        }
        let group = AttentionRecord.group(epoch)
        try HDF5File.updateAtomically(path) { file in
            if file.exists(group) { try file.remove(group) }
            try file.write(clsAttention.data, shape: clsAttention.shape, to: group + "/cls", compression: 4)
            try file.write(rollout.data, shape: rollout.shape, to: group + "/rollout", compression: 4)
            try file.write(entropy.data, shape: entropy.shape, to: group + "/entropy", compression: 4)
            try file.write(distance.data, shape: distance.shape, to: group + "/distance", compression: 4)
            if let rowEntropy = rowEntropy {
                try file.write(rowEntropy.data, shape: rowEntropy.shape, to: group + "/entropy_rows", compression: 4)
            }
            for (i, m) in (fullMaps ?? []).enumerated() {
                try file.write(m.data, shape: m.shape, to: group + String(format: "/full/layer%02d", i), compression: 4)
            }
            try file.setAttribute("epoch", epoch, on: group)
        }
    }

    /// Appends one epoch from a snapshot of the probe images' forward pass.
    public func append(epoch: Int, snapshot: AttentionSnapshot, fullMaps: [Tensor]? = nil) throws {
        try append(epoch: epoch, clsAttention: snapshot.cls, rollout: snapshot.rollout, entropy: snapshot.clsEntropy,
                   distance: snapshot.distance, rowEntropy: snapshot.rowEntropy, fullMaps: fullMaps)
    }

    static func group(_ epoch: Int) -> String { String(format: "epochs/%04d", epoch) }

    // MARK: reading

    /// One epoch's arrays.
    public struct Epoch {
        public let epoch: Int
        public let cls: Tensor        // [L, B, H, N]
        public let rollout: Tensor    // [B, N]
        public let entropy: Tensor    // [L, B, H]
        public let distance: Tensor   // [L, B, H]
        public let rowEntropy: Tensor?
    }

    /// The epochs stored, ascending.
    public func epochs() throws -> [Int] {
        let file = try HDF5File.open(path)
        defer { file.close() }
        guard file.exists("epochs") else { return [] }
        return try file.children(of: "epochs").compactMap { Int($0) }.sorted()
    }

    public func read(epoch: Int) throws -> Epoch {
        let file = try HDF5File.open(path)
        defer { file.close() }
        let group = AttentionRecord.group(epoch)
        guard file.exists(group) else { throw InterpretError("\(path): no epoch \(epoch) in the attention record") }
        func tensor(_ name: String) throws -> Tensor {
            let (shape, values) = try file.readFloats(group + "/" + name)
            return Tensor(shape: shape, data: values)
        }
        let epochData = Epoch(epoch: epoch, cls: try tensor("cls"), rollout: try tensor("rollout"), entropy: try tensor("entropy"),
                              distance: try tensor("distance"),
                              rowEntropy: file.exists(group + "/entropy_rows") ? try tensor("entropy_rows") : nil)
        guard epochData.cls.shape == [layers, probeCount, heads, patches], epochData.rollout.shape == [probeCount, patches] else {
            throw InterpretError("\(path): epoch \(epoch) arrays have shapes \(epochData.cls.shape) and \(epochData.rollout.shape), expected [\(layers), \(probeCount), \(heads), \(patches)] and [\(probeCount), \(patches)]")
        }
        return epochData
    }

    /// The full maps stored for an epoch (empty when none were stored).
    public func fullMaps(epoch: Int) throws -> [Tensor] {
        let file = try HDF5File.open(path)
        defer { file.close() }
        let group = AttentionRecord.group(epoch) + "/full"
        guard file.exists(group) else { return [] }
        return try file.children(of: group).map {
            let (shape, values) = try file.readFloats(group + "/" + $0)
            return Tensor(shape: shape, data: values)
        }
    }

    public func probeImages() throws -> [RGBImage] {
        let file = try HDF5File.open(path)
        defer { file.close() }
        let (shape, bytes) = try file.readUInt8("probe/images")
        guard shape.count == 4, shape[3] == 3 else { throw InterpretError("\(path): probe/images has shape \(shape), expected [B, H, W, 3]") }
        let size = shape[1] * shape[2] * 3
        return (0..<shape[0]).map { RGBImage(width: shape[2], height: shape[1], pixels: Array(bytes[($0 * size)..<(($0 + 1) * size)])) }
    }

    public func probeLabels() throws -> [Int] {
        let file = try HDF5File.open(path)
        defer { file.close() }
        return try file.readInt64("probe/labels").values.map(Int.init)
    }

    /// The object masks (`height × width` bytes per probe), or nil if the record has none.
    public func probeMasks() throws -> [[UInt8]]? {
        let file = try HDF5File.open(path)
        defer { file.close() }
        guard file.exists("probe/masks") else { return nil }
        let (shape, bytes) = try file.readUInt8("probe/masks")
        let size = shape.dropFirst().reduce(1, *)
        return (0..<shape[0]).map { Array(bytes[($0 * size)..<(($0 + 1) * size)]) }
    }
}
