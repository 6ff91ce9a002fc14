// `hf:ORG/NAME[@REVISION]`: a model repository on the Hugging Face Hub, as the CLI and
// `init.checkpoint` spell it. The revision is a branch, a tag or a 40-hex commit (default main).

import Foundation

public struct HubReference: Equatable, CustomStringConvertible {
    public static let prefix = "hf:"

    /// `ORG/NAME` (a name without an organisation, such as `gpt2`, is allowed, as on the Hub).
    public let repoID: String
    public let revision: String

    /// True when `text` is meant as a Hub reference (so it is parsed, not opened as a path).
    public static func isReference(_ text: String) -> Bool { text.hasPrefix(prefix) }

    public init(parsing text: String) throws {
        guard text.hasPrefix(Self.prefix) else {
            throw HubError(text, "not a Hub reference; expected hf:ORG/NAME[@REVISION]")
        }
        let body = text.dropFirst(Self.prefix.count)
        let parts = body.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let repo = String(parts[0])
        let revision = parts.count > 1 ? String(parts[1]) : "main"
        let names = repo.split(separator: "/", omittingEmptySubsequences: false)
        // The Hub's own rule for names: letters, digits, '-', '_', '.', not starting with '-' or '.', no '--' or '..'.
        func valid(_ name: Substring) -> Bool {
            !name.isEmpty && name.count <= 96 && !name.hasPrefix("-") && !name.hasPrefix(".")
                && !name.contains("--") && !name.contains("..")
                && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }
        guard (1...2).contains(names.count), names.allSatisfy(valid) else {
            throw HubError(text, "'\(repo)' is not a repository name; expected hf:ORG/NAME[@REVISION] (letters, digits, '-', '_', '.')")
        }
        // A revision may hold '/' (refs/pr/1, a branch feature/x) but nothing that escapes a path.
        guard !revision.isEmpty, !revision.hasPrefix("/"), !revision.hasSuffix("/"),
              !revision.split(separator: "/").contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
              revision.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\\" }) else {
            throw HubError(text, "'\(revision)' is not a revision; expected a branch, a tag or a commit hash after '@'")
        }
        repoID = repo
        self.revision = revision
    }

    /// A full commit hash, which names one snapshot for ever (no refs lookup needed).
    public var isCommitHash: Bool { Self.isCommitHash(revision) }

    static func isCommitHash(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The last part of the name, e.g. `vit-base-patch16-224`.
    public var name: String { String(repoID.split(separator: "/").last ?? Substring(repoID)) }

    public var description: String { "\(Self.prefix)\(repoID)@\(revision)" }
}
