// Where the Hub is and where its files are kept, from the same environment variables as
// huggingface_hub (constants.py): HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_TOKEN.

import Foundation

public struct HubSettings {
    /// e.g. `https://huggingface.co` (no trailing slash).
    public var endpoint: String
    /// The `hub/` cache folder that holds `models--ORG--NAME/`.
    public var cacheDirectory: String
    public var offline: Bool
    /// Sent as `Authorization: Bearer …` to the endpoint (never to the CDN it redirects to).
    public var token: String?
    /// Seconds to wait for the metadata request (HF_HUB_ETAG_TIMEOUT) and for silence while downloading.
    public var metadataTimeout: Int
    public var downloadTimeout: Int

    public init(endpoint: String, cacheDirectory: String, offline: Bool = false, token: String? = nil,
                metadataTimeout: Int = 10, downloadTimeout: Int = 10) {
        self.endpoint = endpoint
        self.cacheDirectory = cacheDirectory
        self.offline = offline
        self.token = token
        self.metadataTimeout = metadataTimeout
        self.downloadTimeout = downloadTimeout
    }

    /// The settings huggingface_hub would use in this environment.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> HubSettings {
        func value(_ key: String) -> String? {
            guard let v = env[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        func flag(_ key: String) -> Bool { ["1", "on", "yes", "true"].contains(value(key)?.lowercased() ?? "") }
        let home = value("HOME") ?? NSHomeDirectory()
        let hfHome = value("HF_HOME") ?? ((value("XDG_CACHE_HOME") ?? "\(home)/.cache") + "/huggingface")
        let cache = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") ?? "\(hfHome)/hub"
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        // As huggingface_hub: HF_TOKEN first, then the token file `huggingface-cli login` writes.
        let tokenFile = value("HF_TOKEN_PATH") ?? "\(hfHome)/token"
        let stored = (try? String(contentsOfFile: tokenFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let token = value("HF_TOKEN") ?? (stored?.isEmpty == false ? stored : nil)
        return HubSettings(endpoint: endpoint, cacheDirectory: cache,
                           offline: flag("HF_HUB_OFFLINE") || flag("TRANSFORMERS_OFFLINE"),
                           token: token,
                           metadataTimeout: value("HF_HUB_ETAG_TIMEOUT").flatMap { Int($0) } ?? 10,
                           downloadTimeout: value("HF_HUB_DOWNLOAD_TIMEOUT").flatMap { Int($0) } ?? 10)
    }
}
