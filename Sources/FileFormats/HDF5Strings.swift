// String datasets in an HDF5File (class names, image file names, the JSON config): written as
// 1-d variable-length UTF-8 (h5py reads them with .asstr()), read back from vlen or fixed strings.
import CHDF5
import Foundation

extension HDF5File {
    /// Writes `strings` as a 1-d variable-length UTF-8 string dataset at `path` (replacing it).
    public func write(strings: [String], to path: String) throws {
        try withHDF5 {
            let id = try openFileID()
            try requireWritable()
            let full = Self.fullPath(path)
            guard full != "/" else { throw FileFormatError(file: self.path, message: "cannot write a dataset at the root '/'") }
            if exists(full) {
                guard try objectKind(full) == .dataset else {
                    throw FileFormatError(file: self.path, message: "'\(full)' is a group; cannot replace it with a dataset")
                }
                if H5Ldelete(id, full, hid_t(H5P_DEFAULT)) < 0 { throw error("cannot replace dataset", full) }
            }
            let type = try variableUTF8Type()
            defer { H5Tclose(type) }
            var dims = [hsize_t(strings.count)]
            let space = H5Screate_simple(1, &dims, nil)
            if space < 0 { throw error("cannot create dataspace for", full) }
            defer { H5Sclose(space) }
            let lcpl = try intermediateGroupsLinkList()
            defer { H5Pclose(lcpl) }
            let dset = H5Dcreate2(id, full, type, space, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            if dset < 0 { throw error("cannot create dataset", full) }
            defer { H5Dclose(dset) }
            guard !strings.isEmpty else { return }
            // HDF5 wants an array of C string pointers that stay valid during the call.
            let cStrings = strings.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            var pointers = cStrings.map { UnsafePointer<CChar>($0) }
            if H5Dwrite(dset, type, vt_H5S_ALL(), vt_H5S_ALL(), hid_t(H5P_DEFAULT), &pointers) < 0 {
                throw error("cannot write dataset", full)
            }
        }
    }

    /// Reads a string dataset of any rank (variable- or fixed-length) as a flat row-major list.
    public func readStrings(_ path: String) throws -> [String] {
        try withHDF5 {
            let dset = try openDataset(path)
            defer { H5Dclose(dset) }
            let fileType = H5Dget_type(dset)
            if fileType < 0 { throw error("cannot read the type of dataset", path) }
            defer { H5Tclose(fileType) }
            guard H5Tget_class(fileType) == H5T_STRING else {
                throw FileFormatError(file: self.path, message: "dataset '\(Self.fullPath(path))' does not hold strings")
            }
            let space = H5Dget_space(dset)
            if space < 0 { throw error("cannot read the dataspace of", path) }
            defer { H5Sclose(space) }
            let count = Int(H5Sget_simple_extent_npoints(space))
            if count <= 0 { return [] }
            if H5Tis_variable_str(fileType) > 0 {
                let memType = try variableUTF8Type()
                defer { H5Tclose(memType) }
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                if H5Dread(dset, memType, vt_H5S_ALL(), vt_H5S_ALL(), hid_t(H5P_DEFAULT), &pointers) < 0 {
                    throw error("cannot read dataset", path)
                }
                let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
                _ = H5Dvlen_reclaim(memType, space, hid_t(H5P_DEFAULT), &pointers)
                return strings
            }
            let size = H5Tget_size(fileType)
            let memType = H5Tcopy(fileType)
            if memType < 0 { throw error("cannot read the type of dataset", path) }
            defer { H5Tclose(memType) }
            var buffer = [UInt8](repeating: 0, count: count * size)
            if H5Dread(dset, memType, vt_H5S_ALL(), vt_H5S_ALL(), hid_t(H5P_DEFAULT), &buffer) < 0 {
                throw error("cannot read dataset", path)
            }
            // Fixed-length strings are NUL-terminated or NUL-padded within `size` bytes each.
            return (0..<count).map { i in
                String(decoding: buffer[(i * size)..<((i + 1) * size)].prefix { $0 != 0 }, as: UTF8.self)
            }
        }
    }

    func variableUTF8Type() throws -> hid_t {
        let type = H5Tcopy(vt_H5T_C_S1())
        if type < 0 || H5Tset_size(type, vt_H5T_VARIABLE()) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0 {
            throw error("cannot make a string type")
        }
        return type
    }
}
