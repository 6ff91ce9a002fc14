// `hf:ORG/NAME[@REV]` → a local snapshot folder holding the repository's files, fetched into
// (or found in) the huggingface_hub cache. A complete cached snapshot is used without asking the
// Hub; otherwise each file's metadata is read, its blob downloaded and verified, and linked.

import Foundation

public struct HubClient {
    public let reference: HubReference
    public let settings: HubSettings
    public var showProgress: Bool

    public init(reference: HubReference, settings: HubSettings = .fromEnvironment(),
                showProgress: Bool = isatty(2) != 0) {
        self.reference = reference
        self.settings = settings
        self.showProgress = showProgress
    }

    public var cache: HubCache { HubCache(root: settings.cacheDirectory, reference: reference) }

    /// The snapshot folder holding every `required` file and those `optional` ones the repository
    /// has. Files are fetched in order, `required` first, all from the commit the first one names.
    public func snapshot(required: [String], optional: [String] = []) throws -> String {
        let cache = self.cache
        if let folder = cache.cachedSnapshot(required: required, optional: optional) { return folder }
        // Without the Hub, a snapshot with the required files will do (timm's create_model caches
        // model.safetensors alone), as huggingface_hub falls back to the cache when offline.
        let fallback = cache.cachedSnapshot(required: required, optional: [])
        if settings.offline {
            if let fallback { return fallback }
            throw HubError(reference.description, "not in the cache and HF_HUB_OFFLINE is set, so the Hub was not asked (looked in \(cache.repoFolder)); unset HF_HUB_OFFLINE on a connected machine, or copy the cache there")
        }
        do {
            return try fetch(required: required, optional: optional, cache: cache)
        } catch let unreachable as HubUnreachable {
            if let fallback { return fallback }
            throw HubError(reference.description, "cannot reach \(settings.endpoint) (\(unreachable.error.message)) and the files are not in the cache (looked in \(cache.repoFolder)); connect, or set HF_HOME / HF_HUB_CACHE to a cache that has them")
        } catch {
            cache.removeEmptyFolders()
            throw error
        }
    }

    /// Asks the Hub for each file and downloads the blobs the cache lacks.
    private func fetch(required: [String], optional: [String], cache: HubCache) throws -> String {
        var commit: String?
        var plan: [(file: String, meta: HubFileMetadata)] = []
        var absent: [String] = []
        for file in required + optional {
            do {
                // Pinning later files to the first one's commit keeps the snapshot consistent.
                let meta = try metadata(file, revision: commit ?? reference.revision)
                commit = commit ?? meta.commit
                plan.append((file, meta))
            } catch let missing as HubFileAbsent {
                guard optional.contains(file) else {
                    throw HubError(reference.description, "the repository has no \(file) at revision \(reference.revision) (HTTP 404); vittrain reads safetensors weights")
                }
                commit = commit ?? missing.commit
                absent.append(file)
            }
        }
        guard let commit else { throw HubError(reference.description, "the Hub named no commit for \(reference.revision)") }
        for (file, meta) in plan where !FileManager.default.fileExists(atPath: cache.pointer(commit, file)) {
            try downloadBlob(file, meta, cache: cache)
            try cache.link(commit: commit, file: file, etag: meta.etag)
        }
        for file in absent { try cache.recordAbsent(commit: commit, file: file) }
        try cache.recordRef(commit: commit)
        return cache.snapshot(commit)
    }

    /// The `Authorization` header for requests to the endpoint, if a token is set.
    var authorization: [String] { settings.token.map { ["Authorization: Bearer \($0)"] } ?? [] }
}

/// The files vittrain imports from a model repository.
public enum HubModelFiles {
    public static let weights = "model.safetensors"
    public static let config = "config.json"

    /// `path` itself, or for an `hf:` reference the cached snapshot folder holding
    /// `model.safetensors` (and `config.json` when the repository has one), downloaded first if need be.
    public static func localSource(_ path: String, settings: HubSettings = .fromEnvironment()) throws -> String {
        guard HubReference.isReference(path) else { return path }
        let client = HubClient(reference: try HubReference(parsing: path), settings: settings)
        return try client.snapshot(required: [weights], optional: [config])
    }
}
