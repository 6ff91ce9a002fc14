// The huggingface_hub cache layout, so files a Python user already has are found and ours are
// found by Python:
//   <cache>/models--ORG--NAME/blobs/<etag>                  the file's bytes (etag = sha256 for LFS files)
//   <cache>/models--ORG--NAME/snapshots/<commit>/<file>     → ../../blobs/<etag> (relative symlink)
//   <cache>/models--ORG--NAME/refs/<revision>               the commit a branch or tag pointed at
//   <cache>/models--ORG--NAME/.no_exist/<commit>/<file>     empty: the Hub said the file is absent

import FileFormats
import Foundation

public struct HubCache {
    public let root: String
    public let reference: HubReference

    public init(root: String, reference: HubReference) {
        self.root = root
        self.reference = reference
    }

    /// `models--ORG--NAME`, huggingface_hub's `repo_folder_name`.
    public var repoFolder: String {
        (root as NSString).appendingPathComponent((["models"] + reference.repoID.split(separator: "/").map(String.init))
            .joined(separator: "--"))
    }

    func blob(_ etag: String) -> String { "\(repoFolder)/blobs/\(etag)" }
    func snapshot(_ commit: String) -> String { "\(repoFolder)/snapshots/\(commit)" }
    func pointer(_ commit: String, _ file: String) -> String { "\(snapshot(commit))/\(file)" }
    func refFile(_ revision: String) -> String { "\(repoFolder)/refs/\(revision)" }
    func noExistMarker(_ commit: String, _ file: String) -> String { "\(repoFolder)/.no_exist/\(commit)/\(file)" }

    /// The commit the reference's revision names, as far as the cache knows.
    public func cachedCommit() -> String? {
        if reference.isCommitHash { return reference.revision }
        guard let text = try? String(contentsOfFile: refFile(reference.revision), encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubReference.isCommitHash(commit) ? commit : nil
    }

    /// The snapshot folder if it holds every `required` file and each `optional` one is either there
    /// or known to be absent; nil otherwise. Broken symlinks (a deleted blob) count as missing.
    public func cachedSnapshot(required: [String], optional: [String]) -> String? {
        guard let commit = cachedCommit() else { return nil }
        let fm = FileManager.default
        guard required.allSatisfy({ fm.fileExists(atPath: pointer(commit, $0)) }) else { return nil }
        guard optional.allSatisfy({ fm.fileExists(atPath: pointer(commit, $0)) || fm.fileExists(atPath: noExistMarker(commit, $0)) })
        else { return nil }
        return snapshot(commit)
    }

    /// Links `snapshots/<commit>/<file>` to its blob with a relative path, as huggingface_hub does,
    /// so the cache folder can be moved. Replaces a stale link atomically (link beside, rename).
    func link(commit: String, file: String, etag: String) throws {
        let target = pointer(commit, file)
        try makeDirectory((target as NSString).deletingLastPathComponent)
        let depth = file.split(separator: "/").count + 1          // snapshots/<commit>/[sub/]file
        let relative = String(repeating: "../", count: depth) + "blobs/\(etag)"
        let temporary = "\(target).link-\(getpid())"
        unlink(temporary)
        guard symlink(relative, temporary) == 0, rename(temporary, target) == 0 else {
            let reason = systemReason()
            unlink(temporary)
            throw HubError(target, "cannot link the cached file: \(reason)")
        }
    }

    /// Records which commit a branch or tag named (atomically; nothing for a commit hash).
    func recordRef(commit: String) throws {
        guard reference.revision != commit else { return }
        let path = refFile(reference.revision)
        if (try? String(contentsOfFile: path, encoding: .utf8)) == commit { return }
        try makeDirectory((path as NSString).deletingLastPathComponent)
        do {
            try AtomicFile.write(Foundation.Data(commit.utf8), to: path)
        } catch {
            throw HubError(path, "cannot record the revision in the cache: \(error)")
        }
    }

    /// Remembers that the Hub has no `file` at `commit`, so offline runs need not ask again.
    func recordAbsent(commit: String, file: String) throws {
        let marker = noExistMarker(commit, file)
        try makeDirectory((marker as NSString).deletingLastPathComponent)
        guard FileManager.default.createFile(atPath: marker, contents: nil) else {
            throw HubError(marker, "cannot write in the cache: \(systemReason())")
        }
    }

    /// After a failed download: removes the folders it created if they stayed empty, so a refused
    /// file leaves no trace (rmdir refuses non-empty folders, so nothing else is touched).
    func removeEmptyFolders() {
        let fm = FileManager.default
        for name in ["blobs", "refs", ".no_exist"] { rmdir("\(repoFolder)/\(name)") }
        for commit in (try? fm.contentsOfDirectory(atPath: "\(repoFolder)/snapshots")) ?? [] {
            rmdir(snapshot(commit))
        }
        rmdir("\(repoFolder)/snapshots")
        rmdir(repoFolder)
    }

    /// `mkdir -p` with the OS's reason on failure (Foundation's would be an NSCocoaErrorDomain code).
    func makeDirectory(_ path: String) throws {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/\(component)"
            if mkdir(built, 0o755) != 0 && errno != EEXIST {
                throw HubError(built, "cannot create the cache folder (\(systemReason())); set HF_HOME or HF_HUB_CACHE to a writable folder")
            }
        }
    }
}
