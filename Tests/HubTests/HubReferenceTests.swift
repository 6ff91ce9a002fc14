// hf: references, the HF_* environment as huggingface_hub reads it, and finding a snapshot that
// a Python user's huggingface_hub left in the cache (layout built here by hand, as it writes it).

import Hub
import XCTest

final class HubReferenceTests: XCTestCase {
    func testParsesNamesAndRevisions() throws {
        let plain = try HubReference(parsing: "hf:google/vit-base-patch16-224")
        XCTAssertEqual(plain.repoID, "google/vit-base-patch16-224")
        XCTAssertEqual(plain.revision, "main")
        XCTAssertEqual(plain.name, "vit-base-patch16-224")
        let timm = try HubReference(parsing: "hf:timm/vit_small_patch16_224.augreg_in21k_ft_in1k@refs/pr/3")
        XCTAssertEqual(timm.repoID, "timm/vit_small_patch16_224.augreg_in21k_ft_in1k")
        XCTAssertEqual(timm.revision, "refs/pr/3")
        XCTAssertFalse(timm.isCommitHash)
        let pinned = try HubReference(parsing: "hf:org/name@" + String(repeating: "ab", count: 20))
        XCTAssertTrue(pinned.isCommitHash)
        XCTAssertTrue(HubReference.isReference("hf:x/y"))
        XCTAssertFalse(HubReference.isReference("weights/hf.safetensors"))
    }

    func testRejectsBadReferencesWithOneLineNamingThem() {
        for bad in ["hf:", "hf:a/b/c", "hf:org/", "hf:../etc", "hf:org/na me", "hf:org/x--y", "hf:org/name@",
                    "hf:org/name@../../x", "hf:org/name@/abs", "hf:-org/name"] {
            XCTAssertThrowsError(try HubReference(parsing: bad), bad) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(bad + ": "), text)
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }

    func testEnvironmentAsHuggingFaceHubReadsIt() {
        let defaults = HubSettings.fromEnvironment(["HOME": "/home/u"])
        XCTAssertEqual(defaults.endpoint, "https://huggingface.co")
        XCTAssertEqual(defaults.cacheDirectory, "/home/u/.cache/huggingface/hub")
        XCTAssertFalse(defaults.offline)
        XCTAssertNil(defaults.token)
        XCTAssertEqual(HubSettings.fromEnvironment(["HOME": "/h", "XDG_CACHE_HOME": "/x"]).cacheDirectory, "/x/huggingface/hub")
        let set = HubSettings.fromEnvironment(["HOME": "/h", "HF_HOME": "/hf", "HF_ENDPOINT": "http://127.0.0.1:9/",
                                               "HF_HUB_OFFLINE": "1", "HF_TOKEN": "hf_abc"])
        XCTAssertEqual(set.cacheDirectory, "/hf/hub")
        XCTAssertEqual(set.endpoint, "http://127.0.0.1:9")
        XCTAssertTrue(set.offline)
        XCTAssertEqual(set.token, "hf_abc")
        XCTAssertEqual(HubSettings.fromEnvironment(["HF_HOME": "/hf", "HF_HUB_CACHE": "/c"]).cacheDirectory, "/c")
        XCTAssertTrue(HubSettings.fromEnvironment(["TRANSFORMERS_OFFLINE": "true"]).offline)
        XCTAssertFalse(HubSettings.fromEnvironment(["HF_HUB_OFFLINE": "0"]).offline)
    }

    /// A snapshot as huggingface_hub leaves it (refs/main, relative links into blobs/) is found;
    /// a broken link (blob deleted) or a missing optional file without a .no_exist marker is not.
    func testFindsASnapshotThatHuggingFaceHubWrote() throws {
        let root = NSTemporaryDirectory() + "hub-cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let reference = try HubReference(parsing: "hf:timm/vit_tiny_patch16_224.augreg_in21k")
        let commit = String(repeating: "0123456789", count: 4)
        let repo = "\(root)/models--timm--vit_tiny_patch16_224.augreg_in21k"
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(repo)/blobs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(repo)/refs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: "\(repo)/snapshots/\(commit)", withIntermediateDirectories: true)
        try commit.write(toFile: "\(repo)/refs/main", atomically: true, encoding: .utf8)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(repo)/blobs/aaaa"))
        try fm.createSymbolicLink(atPath: "\(repo)/snapshots/\(commit)/model.safetensors", withDestinationPath: "../../blobs/aaaa")
        let cache = HubCache(root: root, reference: reference)
        XCTAssertEqual(cache.repoFolder, repo)
        XCTAssertEqual(cache.cachedCommit(), commit)
        XCTAssertEqual(cache.cachedSnapshot(required: ["model.safetensors"], optional: []), "\(repo)/snapshots/\(commit)")
        // config.json neither cached nor known to be absent: not complete.
        XCTAssertNil(cache.cachedSnapshot(required: ["model.safetensors"], optional: ["config.json"]))
        try fm.createDirectory(atPath: "\(repo)/.no_exist/\(commit)", withIntermediateDirectories: true)
        fm.createFile(atPath: "\(repo)/.no_exist/\(commit)/config.json", contents: nil)
        XCTAssertNotNil(cache.cachedSnapshot(required: ["model.safetensors"], optional: ["config.json"]))
        // Another revision has no ref; a deleted blob breaks the link.
        XCTAssertNil(HubCache(root: root, reference: try HubReference(parsing: "hf:timm/vit_tiny_patch16_224.augreg_in21k@v2"))
            .cachedSnapshot(required: ["model.safetensors"], optional: []))
        try fm.removeItem(atPath: "\(repo)/blobs/aaaa")
        XCTAssertNil(cache.cachedSnapshot(required: ["model.safetensors"], optional: []))
    }
}
