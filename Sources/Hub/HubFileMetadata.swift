// What the Hub says about one file before it is downloaded: a HEAD on
// `{endpoint}/{repo}/resolve/{revision}/{file}`, as huggingface_hub's get_hf_file_metadata.
// X-Repo-Commit names the snapshot; X-Linked-Etag (LFS: the sha256) or ETag names the blob;
// X-Linked-Size or Content-Length its size; an absolute Location is the CDN URL to GET.

import Foundation

struct HubFileMetadata {
    var commit: String
    var etag: String
    var size: Int64
    /// Where to GET the bytes (the CDN for LFS files).
    var downloadURL: String
    /// An LFS file, whose etag is the sha256 of its bytes.
    var isLFS: Bool
    /// Send the token with the GET: only when the bytes come from the endpoint's own host.
    var sendToken: Bool
}

/// The metadata request got no answer at all (no network, refused, timed out).
struct HubUnreachable: Error {
    let error: TransportError
}

/// The Hub's answer that a file is absent at a commit (it may be optional).
struct HubFileAbsent: Error {
    let commit: String?
}

extension HubClient {
    /// `{endpoint}/{repo}/resolve/{revision}/{file}`; the revision is escaped whole (refs/pr/1 → refs%2Fpr%2F1).
    func resolveURL(_ file: String, revision: String) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        let rev = revision.addingPercentEncoding(withAllowedCharacters: unreserved) ?? revision
        return "\(settings.endpoint)/\(reference.repoID)/resolve/\(rev)/\(file)"
    }

    /// HEADs `file` at `revision`, following only same-host (relative) redirects, at most five.
    func metadata(_ file: String, revision: String) throws -> HubFileMetadata {
        var url = resolveURL(file, revision: revision)
        for _ in 0..<5 {
            let response: HTTPResponse
            do {
                response = try HTTPRequest(method: .head, url: url, headers: authorization,
                                           timeout: settings.metadataTimeout).perform()
            } catch let error as TransportError {
                throw HubUnreachable(error: error)
            }
            if (300..<400).contains(response.status), let location = response[header: "location"], location.hasPrefix("/") {
                url = origin(of: url) + location       // a renamed repository: ask again on the same host
                continue
            }
            try checkStatus(response, file: file, revision: revision)
            guard let commit = response[header: "x-repo-commit"], HubReference.isCommitHash(commit) else {
                throw HubError(reference.description, "\(url) answered without an X-Repo-Commit header; is HF_ENDPOINT (\(settings.endpoint)) a Hugging Face Hub? (a proxy or firewall may be in the way)")
            }
            let linked = response[header: "x-linked-etag"]
            guard let etag = Self.normalizeETag(linked ?? response[header: "etag"]), !etag.isEmpty,
                  !etag.contains("/"), etag != "." && etag != ".." else {
                throw HubError(reference.description, "\(url) answered without an ETag; cannot name the file in the cache")
            }
            guard let size = (response[header: "x-linked-size"] ?? response[header: "content-length"]).flatMap({ Int64($0) }),
                  size >= 0 else {
                throw HubError(reference.description, "\(url) answered without the file's size (X-Linked-Size or Content-Length)")
            }
            let location = (300..<400).contains(response.status) ? response[header: "location"] ?? url : url
            return HubFileMetadata(commit: commit, etag: etag, size: size, downloadURL: location,
                                   isLFS: linked != nil, sendToken: origin(of: location) == origin(of: url))
        }
        throw HubError(reference.description, "more than five redirects from \(resolveURL(file, revision: revision))")
    }

    /// `W/"abc"` and `"abc"` → `abc`, as huggingface_hub's _normalize_etag.
    static func normalizeETag(_ etag: String?) -> String? {
        guard var text = etag?.trimmingCharacters(in: .whitespaces) else { return nil }
        if text.hasPrefix("W/") { text.removeFirst(2) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Turns the Hub's error answers into one line each (X-Error-Code as huggingface_hub reads it).
    func checkStatus(_ response: HTTPResponse, file: String, revision: String) throws {
        let status = response.status
        guard !(200..<400).contains(status) else { return }
        let code = response[header: "x-error-code"] ?? ""
        let serverMessage = response[header: "x-error-message"].map { ": \($0)" } ?? ""
        let name = reference.description
        let hasToken = settings.token != nil
        let tokenHint = hasToken ? "HF_TOKEN was sent: check that it can read this repository"
            : "set HF_TOKEN to a token that can read it (https://huggingface.co/settings/tokens)"
        switch (status, code) {
        case (404, "EntryNotFound"):
            throw HubFileAbsent(commit: response[header: "x-repo-commit"])
        case (404, "RevisionNotFound"):
            throw HubError(name, "the repository has no revision '\(revision)' on \(settings.endpoint) (HTTP 404); name a branch, tag or commit after '@'")
        case (401, _), (403, "GatedRepo"):
            throw HubError(name, "access refused by \(settings.endpoint) (HTTP \(status)\(serverMessage)): the repository is private or gated, or does not exist; \(tokenHint)")
        case (404, _):
            throw HubError(name, "repository not found on \(settings.endpoint) (HTTP 404\(serverMessage)); check the name" + (hasToken ? " (HF_TOKEN was sent)" : ", or set HF_TOKEN if it is private"))
        case (403, _):
            throw HubError(name, "access refused by \(settings.endpoint) (HTTP 403\(serverMessage)); \(tokenHint)")
        default:
            throw HubError(name, "\(settings.endpoint) answered HTTP \(status)\(serverMessage) for \(file); try again later")
        }
    }

    /// `scheme://host[:port]` of a URL.
    func origin(of url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else { return url }
        return "\(scheme)://\(host)" + (parts.port.map { ":\($0)" } ?? "")
    }
}
