// Numeric datasets in an HDF5File: typed writes (optionally gzip-compressed in chunks), whole and
// row-range (hyperslab over axis 0) reads with HDF5 converting any stored numeric type on read.
import CHDF5
import Foundation

/// The stored element type of a dataset.
public enum HDF5ElementType: String, Equatable, Sendable, CaseIterable {
    case float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, other

    /// Bytes per element (0 for `other`).
    public var byteCount: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        case .other: return 0
        }
    }

    /// The native in-memory HDF5 type for this element type.
    var nativeType: hid_t {
        switch self {
        case .float32: return vt_H5T_NATIVE_FLOAT()
        case .float64: return vt_H5T_NATIVE_DOUBLE()
        case .int8: return vt_H5T_NATIVE_INT8()
        case .int16: return vt_H5T_NATIVE_INT16()
        case .int32: return vt_H5T_NATIVE_INT32()
        case .int64: return vt_H5T_NATIVE_INT64()
        case .uint8: return vt_H5T_NATIVE_UINT8()
        case .uint16: return vt_H5T_NATIVE_UINT16()
        case .uint32: return vt_H5T_NATIVE_UINT32()
        case .uint64: return vt_H5T_NATIVE_UINT64()
        case .other: return -1
        }
    }
}

/// A Swift number type that maps to an HDF5 native type (Swift `Int` is stored as int64).
public protocol HDF5Element {
    static var hdf5ElementType: HDF5ElementType { get }
    init()
}
extension Float: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float32 } }
extension Double: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float64 } }
extension Int8: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int8 } }
extension Int16: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int16 } }
extension Int32: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int32 } }
extension Int64: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int64 } }
extension Int: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int64 } }
extension UInt8: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint8 } }
extension UInt16: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint16 } }
extension UInt32: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint32 } }
extension UInt64: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint64 } }

/// Target size of one compressed chunk; whole trailing slices up to this many bytes.
private let chunkByteBudget = 1 << 20

extension HDF5File {
    // MARK: writing

    /// Writes `values` (row-major, `shape` may be [] for a scalar or contain 0 for an empty
    /// dataset) to the dataset at `path`, creating parent groups and replacing an existing
    /// dataset there. `compression` is a gzip level 0...9 (stored in ~1 MB chunks).
    public func write<T: HDF5Element>(_ values: [T], shape: [Int], to path: String, compression: Int? = nil) throws {
        try withHDF5 {
            let id = try openFileID()
            try requireWritable()
            let full = Self.fullPath(path)
            guard full != "/" else { throw FileFormatError(file: self.path, message: "cannot write a dataset at the root '/'") }
            if let bad = shape.first(where: { $0 < 0 }) {
                throw FileFormatError(file: self.path, message: "dataset '\(full)': negative dimension \(bad) in shape \(shape)")
            }
            let count = shape.reduce(1, *)
            guard count == values.count else {
                throw FileFormatError(file: self.path, message:
                    "dataset '\(full)': shape \(shape) holds \(count) values but \(values.count) were given")
            }
            if let level = compression, !(0...9).contains(level) {
                throw FileFormatError(file: self.path, message: "dataset '\(full)': gzip level \(level) is not in 0...9")
            }
            if exists(full) {
                guard try objectKind(full) == .dataset else {
                    throw FileFormatError(file: self.path, message: "'\(full)' is a group; cannot replace it with a dataset")
                }
                if H5Ldelete(id, full, hid_t(H5P_DEFAULT)) < 0 { throw error("cannot replace dataset", full) }
            }

            let space = try makeSpace(shape, for: full)
            defer { H5Sclose(space) }
            let dcpl = H5Pcreate(vt_H5P_DATASET_CREATE())
            if dcpl < 0 { throw error("cannot create dataset properties", full) }
            defer { H5Pclose(dcpl) }
            // Chunking needs rank ≥ 1 and no zero-sized axis (chunks must fit inside fixed dims).
            if let level = compression, !shape.isEmpty, count > 0 {
                var chunk = Self.chunkShape(shape, elementBytes: T.hdf5ElementType.byteCount).map { hsize_t($0) }
                if H5Pset_chunk(dcpl, Int32(shape.count), &chunk) < 0 || H5Pset_deflate(dcpl, UInt32(level)) < 0 {
                    throw error("cannot set up gzip compression for", full)
                }
            }
            let lcpl = try intermediateGroupsLinkList()
            defer { H5Pclose(lcpl) }
            let type = T.hdf5ElementType.nativeType
            let dset = H5Dcreate2(id, full, type, space, lcpl, dcpl, hid_t(H5P_DEFAULT))
            if dset < 0 { throw error("cannot create dataset", full) }
            defer { H5Dclose(dset) }
            if count > 0 {
                let status = values.withUnsafeBytes { raw in
                    H5Dwrite(dset, type, vt_H5S_ALL(), vt_H5S_ALL(), hid_t(H5P_DEFAULT), raw.baseAddress)
                }
                if status < 0 { throw error("cannot write dataset", full) }
            }
        }
    }

    /// Chunk dimensions: whole trailing slices, as many leading rows as fit in ~1 MB.
    static func chunkShape(_ shape: [Int], elementBytes: Int) -> [Int] {
        var remaining = max(1, chunkByteBudget / max(1, elementBytes))
        var chunk = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            chunk[axis] = max(1, min(shape[axis], remaining))
            remaining = max(1, remaining / chunk[axis])
        }
        return chunk
    }

    private func makeSpace(_ shape: [Int], for full: String) throws -> hid_t {
        let space: hid_t
        if shape.isEmpty {
            space = H5Screate(H5S_SCALAR)
        } else {
            var dims = shape.map { hsize_t($0) }
            space = H5Screate_simple(Int32(shape.count), &dims, nil)
        }
        if space < 0 { throw error("cannot create dataspace for", full) }
        return space
    }

    // MARK: inspecting

    /// The shape of the dataset at `path` ([] for a scalar).
    public func shape(of path: String) throws -> [Int] {
        try withHDF5 {
            let dset = try openDataset(path)
            defer { H5Dclose(dset) }
            return try datasetShape(dset, path)
        }
    }

    /// The stored element type of the dataset at `path`.
    public func elementType(of path: String) throws -> HDF5ElementType {
        try withHDF5 {
            let dset = try openDataset(path)
            defer { H5Dclose(dset) }
            let type = H5Dget_type(dset)
            if type < 0 { throw error("cannot read the type of dataset", path) }
            defer { H5Tclose(type) }
            return Self.elementType(ofType: type)
        }
    }

    static func elementType(ofType type: hid_t) -> HDF5ElementType {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            return size == 4 ? .float32 : size == 8 ? .float64 : .other
        case H5T_INTEGER:
            let unsigned = H5Tget_sign(type) == H5T_SGN_NONE
            switch size {
            case 1: return unsigned ? .uint8 : .int8
            case 2: return unsigned ? .uint16 : .int16
            case 4: return unsigned ? .uint32 : .int32
            case 8: return unsigned ? .uint64 : .int64
            default: return .other
            }
        default:
            return .other
        }
    }

    // MARK: reading

    /// Reads the whole dataset, converting from any stored integer or float type to `T`.
    public func read<T: HDF5Element>(_ path: String, as: T.Type = T.self) throws -> (shape: [Int], values: [T]) {
        try withHDF5 {
            let dset = try openDataset(path)
            defer { H5Dclose(dset) }
            try requireReadableNumbers(dset, path)
            let shape = try datasetShape(dset, path)
            let count = try plausibleCount(dset, path, shape: shape, as: T.self)
            var values = [T](repeating: T(), count: count)
            if count > 0 {
                let status = values.withUnsafeMutableBytes { raw in
                    H5Dread(dset, T.hdf5ElementType.nativeType, vt_H5S_ALL(), vt_H5S_ALL(), hid_t(H5P_DEFAULT), raw.baseAddress)
                }
                if status < 0 { throw error("cannot read dataset", path) }
            }
            return (shape, values)
        }
    }

    /// Reads rows `range` of axis 0 (all of the other axes), converting to `T`. Row-major, so the
    /// result holds `range.count × (product of the other dimensions)` values.
    public func readRows<T: HDF5Element>(_ path: String, range: Range<Int>, as: T.Type = T.self) throws -> [T] {
        try withHDF5 {
            let dset = try openDataset(path)
            defer { H5Dclose(dset) }
            try requireReadableNumbers(dset, path)
            let shape = try datasetShape(dset, path)
            guard let rows = shape.first else {
                throw FileFormatError(file: self.path, message: "dataset '\(Self.fullPath(path))' is a scalar; cannot read rows")
            }
            guard range.lowerBound >= 0, range.upperBound <= rows else {
                throw FileFormatError(file: self.path, message:
                    "dataset '\(Self.fullPath(path))': rows \(range) out of range 0..<\(rows)")
            }
            let rowSize = try plausibleCount(dset, path, shape: shape, as: T.self) / max(rows, 1)
            var values = [T](repeating: T(), count: range.count * rowSize)
            if values.isEmpty { return values }
            let fileSpace = H5Dget_space(dset)
            if fileSpace < 0 { throw error("cannot read the dataspace of", path) }
            defer { H5Sclose(fileSpace) }
            var start = [hsize_t](repeating: 0, count: shape.count)
            start[0] = hsize_t(range.lowerBound)
            var count = shape.map { hsize_t($0) }
            count[0] = hsize_t(range.count)
            if H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil) < 0 {
                throw error("cannot select rows \(range) of", path)
            }
            let memSpace = H5Screate_simple(Int32(count.count), &count, nil)
            if memSpace < 0 { throw error("cannot create memory dataspace for", path) }
            defer { H5Sclose(memSpace) }
            let status = values.withUnsafeMutableBytes { raw in
                H5Dread(dset, T.hdf5ElementType.nativeType, memSpace, fileSpace, hid_t(H5P_DEFAULT), raw.baseAddress)
            }
            if status < 0 { throw error("cannot read rows \(range) of dataset", path) }
            return values
        }
    }

    /// Whole dataset as Float (converted from any stored numeric type).
    public func readFloats(_ path: String) throws -> (shape: [Int], values: [Float]) { try read(path, as: Float.self) }
    /// Whole dataset as UInt8 (converted; out-of-range values are clipped by HDF5).
    public func readUInt8(_ path: String) throws -> (shape: [Int], values: [UInt8]) { try read(path, as: UInt8.self) }
    /// Whole dataset as Int64.
    public func readInt64(_ path: String) throws -> (shape: [Int], values: [Int64]) { try read(path, as: Int64.self) }
    /// Whole dataset as Int32.
    public func readInt32(_ path: String) throws -> (shape: [Int], values: [Int32]) { try read(path, as: Int32.self) }
    /// Whole dataset as Double.
    public func readDoubles(_ path: String) throws -> (shape: [Int], values: [Double]) { try read(path, as: Double.self) }
    /// Rows `range` of axis 0 as UInt8 (e.g. a chunk of an N×H×W×C image array).
    public func readUInt8Rows(_ path: String, range: Range<Int>) throws -> [UInt8] { try readRows(path, range: range, as: UInt8.self) }
    /// Rows `range` of axis 0 as Float.
    public func readFloatRows(_ path: String, range: Range<Int>) throws -> [Float] { try readRows(path, range: range, as: Float.self) }

    // MARK: helpers

    func openDataset(_ path: String) throws -> hid_t {
        let id = try openFileID()
        let full = Self.fullPath(path)
        guard full != "/", exists(full) else {
            throw FileFormatError(file: self.path, message: "dataset '\(full)' not found")
        }
        guard try objectKind(full) == .dataset else {
            throw FileFormatError(file: self.path, message: "'\(full)' is a group, not a dataset")
        }
        let dset = H5Dopen2(id, full, hid_t(H5P_DEFAULT))
        if dset < 0 { throw error("cannot open dataset", full) }
        return dset
    }

    private func datasetShape(_ dset: hid_t, _ path: String) throws -> [Int] {
        let space = H5Dget_space(dset)
        if space < 0 { throw error("cannot read the dataspace of", path) }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        if rank < 0 { throw error("cannot read the rank of", path) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0, H5Sget_simple_extent_dims(space, &dims, nil) < 0 { throw error("cannot read the shape of", path) }
        return dims.map { Int($0) }
    }

    /// The number of values `shape` holds, after refusing shapes a damaged header can claim: a
    /// count that overflows, or one far beyond what the file stores (deflate expands at most about
    /// 1032×), so a corrupt dimension is an error instead of a huge allocation.
    private func plausibleCount<T>(_ dset: hid_t, _ path: String, shape: [Int], as: T.Type) throws -> Int {
        let type = H5Dget_type(dset)
        if type < 0 { throw error("cannot read the type of dataset", path) }
        let storedSize = H5Tget_size(type)
        H5Tclose(type)
        var count = 1
        var overflow = false
        for extent in shape + [max(storedSize, MemoryLayout<T>.stride)] where !overflow {
            (count, overflow) = count.multipliedReportingOverflow(by: extent)
        }
        let stored = Int(clamping: H5Dget_storage_size(dset))
        let (limit, limitOverflow) = stored.multipliedReportingOverflow(by: 1100)
        if overflow || (count > 256 << 20 && !limitOverflow && count > limit) {
            throw FileFormatError(file: self.path, message:
                "dataset '\(Self.fullPath(path))' claims shape \(shape) but the file stores only \(stored) bytes for it; the file is damaged")
        }
        return shape.reduce(1, *)
    }

    /// Checks that the dataset holds numbers and that every compression filter it uses is
    /// available (h5py's LZF, for instance, is not part of libhdf5).
    private func requireReadableNumbers(_ dset: hid_t, _ path: String) throws {
        try requireNumeric(dset, path)
        let dcpl = H5Dget_create_plist(dset)
        if dcpl < 0 { throw error("cannot read the storage properties of", path) }
        defer { H5Pclose(dcpl) }
        let filters = H5Pget_nfilters(dcpl)
        guard filters > 0 else { return }
        for index in 0..<UInt32(filters) {
            var flags: UInt32 = 0
            var count = 0
            var name = [CChar](repeating: 0, count: 256)
            var config: UInt32 = 0
            let filter = H5Pget_filter2(dcpl, index, &flags, &count, nil, name.count, &name, &config)
            if filter < 0 { throw error("cannot read the filters of", path) }
            if H5Zfilter_avail(filter) <= 0 {
                _ = hdf5ErrorText()
                let label = String(cString: name)
                throw FileFormatError(file: self.path, message:
                    "dataset '\(Self.fullPath(path))' uses compression filter \(filter)\(label.isEmpty ? "" : " (\(label))"), which this HDF5 library lacks; re-save it with gzip or no compression")
            }
        }
    }

    private func requireNumeric(_ dset: hid_t, _ path: String) throws {
        let type = H5Dget_type(dset)
        if type < 0 { throw error("cannot read the type of dataset", path) }
        defer { H5Tclose(type) }
        let cls = H5Tget_class(type)
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
            throw FileFormatError(file: self.path, message:
                "dataset '\(Self.fullPath(path))' does not hold integers or floats (HDF5 type class \(cls.rawValue))")
        }
    }
}
