// Attributes on the root, a group or a dataset of an HDF5File: UTF-8 strings (variable length,
// read by h5py as str), scalars (int64, double) and 1-d numeric arrays.
import CHDF5
import Foundation

extension HDF5File {
    // MARK: writing

    /// Sets a string attribute (variable-length UTF-8) on the object at `path`, replacing any old one.
    public func setAttribute(_ name: String, _ value: String, on path: String = "/") throws {
        try withHDF5 {
            let type = try variableUTF8Type()
            defer { H5Tclose(type) }
            try createAttribute(name, on: path, type: type, shape: nil) { attr in
                value.withCString { cString -> herr_t in
                    var pointer: UnsafePointer<CChar>? = cString
                    return H5Awrite(attr, type, &pointer)
                }
            }
        }
    }

    /// Sets a scalar int64 attribute.
    public func setAttribute(_ name: String, _ value: Int, on path: String = "/") throws {
        try setNumericAttribute(name, [Int64(value)], scalar: true, on: path)
    }

    /// Sets a scalar float64 attribute.
    public func setAttribute(_ name: String, _ value: Double, on path: String = "/") throws {
        try setNumericAttribute(name, [value], scalar: true, on: path)
    }

    /// Sets a 1-d float64 array attribute.
    public func setAttribute(_ name: String, _ values: [Double], on path: String = "/") throws {
        try setNumericAttribute(name, values, scalar: false, on: path)
    }

    /// Sets a 1-d int64 array attribute.
    public func setAttribute(_ name: String, _ values: [Int64], on path: String = "/") throws {
        try setNumericAttribute(name, values, scalar: false, on: path)
    }

    private func setNumericAttribute<T: HDF5Element>(_ name: String, _ values: [T], scalar: Bool, on path: String) throws {
        try withHDF5 {
            let type = T.hdf5ElementType.nativeType
            try createAttribute(name, on: path, type: type, shape: scalar ? nil : [values.count]) { attr in
                if values.isEmpty { return 0 }
                return values.withUnsafeBytes { H5Awrite(attr, type, $0.baseAddress) }
            }
        }
    }

    /// Replaces attribute `name` on `path` with a new one of `type` (scalar when `shape` is nil).
    private func createAttribute(_ name: String, on path: String, type: hid_t, shape: [Int]?,
                                 write: (hid_t) -> herr_t) throws {
        try requireWritable()
        let object = try openObject(path)
        defer { H5Oclose(object) }
        let exists = H5Aexists(object, name)
        if exists < 0 { throw error("cannot check attribute '\(name)' on", path) }
        if exists > 0, H5Adelete(object, name) < 0 { throw error("cannot replace attribute '\(name)' on", path) }
        let space: hid_t
        if let shape {
            var dims = shape.map { hsize_t($0) }
            space = H5Screate_simple(Int32(dims.count), &dims, nil)
        } else {
            space = H5Screate(H5S_SCALAR)
        }
        if space < 0 { throw error("cannot create dataspace for attribute '\(name)' on", path) }
        defer { H5Sclose(space) }
        let attr = H5Acreate2(object, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        if attr < 0 { throw error("cannot create attribute '\(name)' on", path) }
        defer { H5Aclose(attr) }
        if write(attr) < 0 { throw error("cannot write attribute '\(name)' on", path) }
    }

    // MARK: reading

    /// Names of the attributes on `path`, sorted.
    public func attributeNames(on path: String = "/") throws -> [String] {
        try withHDF5 {
            let object = try openObject(path)
            defer { H5Oclose(object) }
            var info = H5O_info_t()
            if H5Oget_info(object, &info) < 0 { throw error("cannot inspect", path) }
            var names: [String] = []
            for index in 0..<info.num_attrs {
                let length = H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(H5P_DEFAULT))
                if length < 0 { throw error("cannot read an attribute name on", path) }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                _ = H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, hid_t(H5P_DEFAULT))
                names.append(String(cString: buffer))
            }
            return names.sorted()
        }
    }

    /// Whether `path` carries attribute `name`.
    public func hasAttribute(_ name: String, on path: String = "/") -> Bool {
        withHDF5 {
            guard let object = try? openObject(path) else { return false }
            defer { H5Oclose(object) }
            let found = H5Aexists(object, name)
            if found < 0 { _ = hdf5ErrorText() }
            return found > 0
        }
    }

    /// Whether `path` carries attribute `name`; throws when the object's header cannot be read
    /// (a damaged file: HDF5's checksum or format check failed), which `hasAttribute` reports as
    /// absent.
    public func attributeExists(_ name: String, on path: String = "/") throws -> Bool {
        try withHDF5 {
            let object: hid_t
            do { object = try openObject(path) } catch let error as FileFormatError {
                throw FileFormatError(file: self.path, message: "the file is damaged: \(error.message)")
            }
            defer { H5Oclose(object) }
            let found = H5Aexists(object, name)
            if found < 0 {
                let reason = hdf5ErrorText()
                throw FileFormatError(file: self.path, message: "the file is damaged: cannot read the header of '\(Self.fullPath(path))'\(reason.isEmpty ? "" : " (\(reason))")")
            }
            return found > 0
        }
    }

    /// A string attribute (variable- or fixed-length).
    public func stringAttribute(_ name: String, on path: String = "/") throws -> String {
        try withHDF5 {
            try withAttribute(name, on: path) { attr, fileType, count in
                guard H5Tget_class(fileType) == H5T_STRING else {
                    throw attributeError(name, path, "is not a string")
                }
                guard count == 1 else { throw attributeError(name, path, "holds \(count) values; expected one string") }
                if H5Tis_variable_str(fileType) > 0 {
                    if let damage = globalHeapDamage {  // libhdf5 would hang; see HDF5GlobalHeapCheck
                        throw attributeError(name, path, "cannot be read: \(damage)")
                    }
                    let memType = try variableUTF8Type()
                    defer { H5Tclose(memType) }
                    var pointer: UnsafeMutablePointer<CChar>? = nil
                    if H5Aread(attr, memType, &pointer) < 0 { throw error("cannot read attribute '\(name)' on", path) }
                    guard let pointer else { return "" }
                    defer { H5free_memory(pointer) }
                    return String(cString: pointer)
                }
                let size = H5Tget_size(fileType)
                // Read with the stored type itself: a NULLTERM memory type of the same size would
                // drop the last character of a NULLPAD string (h5py's np.bytes_ attributes).
                let memType = H5Tcopy(fileType)
                if memType < 0 { throw error("cannot read the type of attribute '\(name)' on", path) }
                defer { H5Tclose(memType) }
                var buffer = [UInt8](repeating: 0, count: size + 1)
                if H5Aread(attr, memType, &buffer) < 0 { throw error("cannot read attribute '\(name)' on", path) }
                // Fixed-length strings may be NUL-terminated or NUL/space padded.
                let bytes = buffer.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
        }
    }

    /// A scalar integer attribute (integer or float stored type; floats are converted).
    public func intAttribute(_ name: String, on path: String = "/") throws -> Int {
        let values: [Int64] = try numericAttribute(name, on: path)
        guard values.count == 1 else { throw attributeError(name, path, "holds \(values.count) values; expected one") }
        return Int(values[0])
    }

    /// A scalar float attribute (any numeric stored type).
    public func doubleAttribute(_ name: String, on path: String = "/") throws -> Double {
        let values: [Double] = try numericAttribute(name, on: path)
        guard values.count == 1 else { throw attributeError(name, path, "holds \(values.count) values; expected one") }
        return values[0]
    }

    /// A numeric attribute of any size as Double values (a scalar gives one value).
    public func doublesAttribute(_ name: String, on path: String = "/") throws -> [Double] {
        try numericAttribute(name, on: path)
    }

    /// A numeric attribute of any size as Int64 values (a scalar gives one value).
    public func int64sAttribute(_ name: String, on path: String = "/") throws -> [Int64] {
        try numericAttribute(name, on: path)
    }

    private func numericAttribute<T: HDF5Element>(_ name: String, on path: String) throws -> [T] {
        try withHDF5 {
            try withAttribute(name, on: path) { attr, fileType, count in
                let cls = H5Tget_class(fileType)
                guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
                    throw attributeError(name, path, "is not numeric")
                }
                var values = [T](repeating: T(), count: count)
                if count == 0 { return values }
                let status = values.withUnsafeMutableBytes { H5Aread(attr, T.hdf5ElementType.nativeType, $0.baseAddress) }
                if status < 0 { throw error("cannot read attribute '\(name)' on", path) }
                return values
            }
        }
    }

    /// Opens attribute `name` on `path` and hands `body` the attribute, its stored type and its
    /// number of elements.
    private func withAttribute<R>(_ name: String, on path: String, _ body: (hid_t, hid_t, Int) throws -> R) throws -> R {
        let object = try openObject(path)
        defer { H5Oclose(object) }
        let found = H5Aexists(object, name)
        if found < 0 { throw error("cannot check attribute '\(name)' on", path) }
        if found == 0 { throw attributeError(name, path, "not found") }
        let attr = H5Aopen(object, name, hid_t(H5P_DEFAULT))
        if attr < 0 { throw error("cannot open attribute '\(name)' on", path) }
        defer { H5Aclose(attr) }
        let type = H5Aget_type(attr)
        if type < 0 { throw error("cannot read the type of attribute '\(name)' on", path) }
        defer { H5Tclose(type) }
        let space = H5Aget_space(attr)
        if space < 0 { throw error("cannot read the dataspace of attribute '\(name)' on", path) }
        defer { H5Sclose(space) }
        let count = H5Sget_simple_extent_npoints(space)
        if count < 0 { throw error("cannot count attribute '\(name)' on", path) }
        return try body(attr, type, Int(count))
    }

    private func attributeError(_ name: String, _ path: String, _ what: String) -> FileFormatError {
        FileFormatError(file: self.path, message: "attribute '\(name)' on '\(Self.fullPath(path))' \(what)")
    }

    private func openObject(_ path: String) throws -> hid_t {
        let id = try openFileID()
        let full = Self.fullPath(path)
        guard exists(full) else { throw FileFormatError(file: self.path, message: "'\(full)' not found") }
        let object = H5Oopen(id, full, hid_t(H5P_DEFAULT))
        if object < 0 { throw error("cannot open", full) }
        return object
    }
}
