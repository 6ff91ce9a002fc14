// An open HDF5 file (libhdf5 1.10, serial): create/open with clear errors, "/"-separated paths,
// groups and their listing. Datasets live in HDF5Datasets.swift, attributes in HDF5Attributes.swift.
import CHDF5
import Foundation

/// The serial HDF5 build is not thread-safe, so every call into the library holds this lock
/// (recursive: public methods call each other). Data loaders may read from several threads.
let hdf5Lock = NSRecursiveLock()

/// HDF5 prints its error stack to stderr by default and closes open files at exit; we turn both
/// off once, before the first call (see vt_H5_prepare), and report errors ourselves (lazy
/// globals are initialised exactly once, thread-safely).
private let hdf5Prepared: Void = { vt_H5_prepare() }()

/// Runs `body` with the HDF5 lock held and library error printing off.
func withHDF5<R>(_ body: () throws -> R) rethrows -> R {
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    _ = hdf5Prepared
    return try body()
}

/// The HDF5 error stack as one line (and clears it); empty when there is none.
func hdf5ErrorText() -> String {
    var buffer = [CChar](repeating: 0, count: 600)
    vt_H5_last_error(&buffer, buffer.count)
    let text = String(cString: buffer)
    // OS failures come with a long record ("file write failed: time = ..., errno = 28, error
    // message = 'No space left on device', buf = ..."); keep only the OS reason.
    // The API-level description is what precedes the record (" (…" or ", errno = …").
    if let start = text.range(of: "error message = '"),
       let end = text[start.upperBound...].firstIndex(of: "'") {
        let cut = [text.range(of: " ("), text.range(of: ", errno = ")].compactMap { $0?.lowerBound }.min()
        let outer = cut.map { String(text[..<$0]) } ?? "system error"
        return "\(outer) (\(text[start.upperBound..<end]))"
    }
    return text
}

/// An HDF5 file opened for reading or writing. Closed on `deinit` or by `close()`.
///
/// Paths are "/"-separated from the root ("model/blocks.0.attn.qkv.weight"); a leading "/" is
/// optional. Writing a dataset creates its parent groups as needed.
public final class HDF5File {
    /// The file's path as given to `create` or `open`.
    public let path: String
    /// Whether the file was created or opened for writing.
    public let isWritable: Bool
    var fileID: hid_t
    /// Whether the file's global heaps are damaged (see HDF5GlobalHeapCheck); checked once, when a
    /// variable-length string is first read.
    lazy var globalHeapDamage: String? = HDF5GlobalHeapCheck.damage(in: path)

    private init(path: String, fileID: hid_t, writable: Bool) {
        self.path = path
        self.fileID = fileID
        self.isWritable = writable
    }

    deinit { close() }

    /// Creates a new file at `path`, replacing any existing file.
    public static func create(_ path: String) throws -> HDF5File {
        try withHDF5 {
            // Checksummed metadata (the HDF5 1.8+ format: v2 superblock and object headers): a
            // damaged file then fails a checksum instead of reaching libhdf5 1.10 code paths that
            // fuzzing showed to segfault on corrupt metadata.
            let fapl = H5Pcreate(vt_H5P_FILE_ACCESS())
            defer { if fapl >= 0 { H5Pclose(fapl) } }
            let checksummed = fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110) >= 0
            let id = H5Fcreate(path, vt_H5F_ACC_TRUNC(), hid_t(H5P_DEFAULT), checksummed ? fapl : hid_t(H5P_DEFAULT))
            if id < 0 {
                throw FileFormatError(file: path, message: "cannot create HDF5 file: \(hdf5ErrorText())")
            }
            return HDF5File(path: path, fileID: id, writable: true)
        }
    }

    /// Opens an existing HDF5 file. A missing, non-HDF5 or truncated file is a `FileFormatError`.
    public static func open(_ path: String, writable: Bool = false) throws -> HDF5File {
        try withHDF5 {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw FileFormatError(file: path, message: "no such file")
            }
            if isDirectory.boolValue {
                throw FileFormatError(file: path, message: "is a directory, expected an HDF5 file")
            }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw FileFormatError(file: path, message: "file is not readable (permission denied)")
            }
            let signature = H5Fis_hdf5(path)
            if signature == 0 {
                throw FileFormatError(file: path, message: "not an HDF5 file (no HDF5 signature found)")
            }
            let id = H5Fopen(path, writable ? vt_H5F_ACC_RDWR() : vt_H5F_ACC_RDONLY(), hid_t(H5P_DEFAULT))
            if id < 0 {
                let reason = hdf5ErrorText()
                // HDF5's own reason says "truncated file" for a cut-off copy; say what it means.
                let hint = reason.contains("truncated") ? "the file is truncated (incomplete copy or interrupted write)"
                    : reason.isEmpty ? "the file is damaged or not readable" : reason
                throw FileFormatError(file: path, message: "cannot open HDF5 file: \(hint)")
            }
            return HDF5File(path: path, fileID: id, writable: writable)
        }
    }

    /// Flushes and closes the file; later calls on this object throw. Safe to call twice.
    /// Use `closeChecked()` after writing to learn whether the final flush reached the disk.
    public func close() {
        withHDF5 {
            if fileID >= 0 {
                _ = H5Fclose(fileID)
                fileID = -1
                _ = hdf5ErrorText()
            }
        }
    }

    /// Closes the file and throws if HDF5 could not flush it (e.g. "No space left on device").
    public func closeChecked() throws {
        try withHDF5 {
            guard fileID >= 0 else { return }
            let status = H5Fclose(fileID)
            fileID = -1
            if status < 0 { throw error("cannot flush and close the file") }
        }
    }

    /// Creates an HDF5 file at a temporary path next to `path`, lets `body` fill it, closes it and
    /// renames it over `path` (see `AtomicFile`). If anything fails, the old file is untouched;
    /// errors name `path`, not the temporary file.
    public static func writeAtomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
        try replaceAtomically(path, open: { try HDF5File.create($0) }, body)
    }

    /// Copies the HDF5 file at `path` to a temporary file, lets `body` change the copy, closes it
    /// and renames it over `path`; as `writeAtomically`, a failure leaves the old file untouched.
    public static func updateAtomically(_ path: String, _ body: (HDF5File) throws -> Void) throws {
        try replaceAtomically(path, open: { temporary in
            try copyWholeFile(from: path, to: temporary, reportAs: path)
            return try HDF5File.open(temporary, writable: true)
        }, body)
    }

    /// The shared part of the atomic writers: the final close is checked, because a flush refused
    /// there (disk full) would otherwise rename an incomplete file over a good one.
    private static func replaceAtomically(_ path: String, open: (_ temporary: String) throws -> HDF5File,
                                          _ body: (HDF5File) throws -> Void) throws {
        try AtomicFile.write(to: path) { temporary in
            do {
                let file = try open(temporary)
                do {
                    try body(file)
                    try file.closeChecked()
                } catch {
                    file.close()
                    throw error
                }
            } catch let error as FileFormatError where error.file == temporary {
                throw FileFormatError(file: path, message: error.message.replacingOccurrences(of: temporary, with: path))
            }
        }
    }

    /// Writes buffered data to disk without closing.
    public func flush() throws {
        try withHDF5 {
            let id = try openFileID()
            if H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 { throw error("cannot flush the file") }
        }
    }

    // MARK: groups and paths

    /// Whether a group or dataset exists at `path`. A missing intermediate group gives `false`.
    public func exists(_ path: String) -> Bool {
        withHDF5 {
            guard fileID >= 0 else { return false }
            let parts = Self.components(path)
            var prefix = ""
            for part in parts {
                prefix += "/" + part
                // Checking each level keeps HDF5 from failing on a missing intermediate group.
                if H5Lexists(fileID, prefix, hid_t(H5P_DEFAULT)) <= 0 { _ = hdf5ErrorText(); return false }
                if H5Oexists_by_name(fileID, prefix, hid_t(H5P_DEFAULT)) <= 0 { _ = hdf5ErrorText(); return false }
            }
            return true
        }
    }

    /// Names of the groups and datasets directly under `group` ("/" is the root), sorted.
    public func children(of group: String = "/") throws -> [String] {
        try withHDF5 {
            let gid = try openGroup(group)
            defer { H5Gclose(gid) }
            var info = H5G_info_t()
            if H5Gget_info(gid, &info) < 0 { throw error("cannot list group", group) }
            var names: [String] = []
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(H5P_DEFAULT))
                if length < 0 { throw error("cannot read a link name", group) }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                _ = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, hid_t(H5P_DEFAULT))
                names.append(String(cString: buffer))
            }
            return names.sorted()
        }
    }

    /// Paths ("/a/b") of every dataset at any depth under `group`, sorted.
    public func datasetPaths(under group: String = "/") throws -> [String] {
        try withHDF5 {
            let base = Self.fullPath(group)
            var found: [String] = []
            for name in try children(of: base) {
                let child = base == "/" ? "/" + name : base + "/" + name
                switch try objectKind(child) {
                case .dataset: found.append(child)
                case .group: found += try datasetPaths(under: child)
                case .other: break
                }
            }
            return found.sorted()
        }
    }

    /// Creates the group at `path` and any missing parents; an existing group is left as is.
    public func createGroup(_ path: String) throws {
        try withHDF5 {
            let id = try openFileID()
            let full = Self.fullPath(path)
            if full == "/" { return }
            if exists(full) {
                if try objectKind(full) == .group { return }
                throw FileFormatError(file: self.path, message: "'\(full)' exists and is not a group")
            }
            let lcpl = try intermediateGroupsLinkList()
            defer { H5Pclose(lcpl) }
            let gid = H5Gcreate2(id, full, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            if gid < 0 { throw error("cannot create group", full) }
            H5Gclose(gid)
        }
    }

    /// Whether `path` is a group (true) or a dataset (false). Throws if missing.
    public func isGroup(_ path: String) throws -> Bool {
        try withHDF5 {
            _ = try openFileID()
            guard exists(path) else { throw FileFormatError(file: self.path, message: "'\(Self.fullPath(path))' not found") }
            return try objectKind(Self.fullPath(path)) == .group
        }
    }

    /// Removes the link at `path` (a dataset or a whole group). Missing paths are an error.
    public func remove(_ path: String) throws {
        try withHDF5 {
            let id = try openFileID()
            let full = Self.fullPath(path)
            guard exists(full) else { throw FileFormatError(file: self.path, message: "cannot remove '\(full)': not found") }
            if H5Ldelete(id, full, hid_t(H5P_DEFAULT)) < 0 { throw error("cannot remove", full) }
        }
    }

    // MARK: helpers shared by the dataset and attribute files

    enum ObjectKind { case group, dataset, other }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// "a/b" → "/a/b", "" and "/" → "/".
    static func fullPath(_ path: String) -> String {
        "/" + components(path).joined(separator: "/")
    }

    func openFileID() throws -> hid_t {
        if fileID < 0 { throw FileFormatError(file: path, message: "file is closed") }
        return fileID
    }

    func requireWritable() throws {
        if !isWritable { throw FileFormatError(file: path, message: "file is open read-only") }
    }

    /// A FileFormatError naming the file and `objectPath`, with HDF5's own reason appended.
    func error(_ what: String, _ objectPath: String? = nil) -> FileFormatError {
        let reason = hdf5ErrorText()
        var message = what
        if let objectPath { message += " '\(Self.fullPath(objectPath))'" }
        if !reason.isEmpty { message += ": \(reason)" }
        return FileFormatError(file: path, message: message)
    }

    func objectKind(_ full: String) throws -> ObjectKind {
        let oid = H5Oopen(try openFileID(), full, hid_t(H5P_DEFAULT))
        if oid < 0 { throw error("cannot open object", full) }
        defer { H5Oclose(oid) }
        switch H5Iget_type(oid) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    func openGroup(_ path: String) throws -> hid_t {
        let id = try openFileID()
        let full = Self.fullPath(path)
        guard exists(full) else { throw FileFormatError(file: self.path, message: "group '\(full)' not found") }
        guard try objectKind(full) == .group else {
            throw FileFormatError(file: self.path, message: "'\(full)' is a dataset, not a group")
        }
        let gid = H5Gopen2(id, full, hid_t(H5P_DEFAULT))
        if gid < 0 { throw error("cannot open group", full) }
        return gid
    }

    /// A link-creation property list that makes missing parent groups on the way.
    func intermediateGroupsLinkList() throws -> hid_t {
        let lcpl = H5Pcreate(vt_H5P_LINK_CREATE())
        if lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0 { throw error("cannot set up link creation") }
        return lcpl
    }
}
