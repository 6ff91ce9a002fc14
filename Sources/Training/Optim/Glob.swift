// Glob patterns on parameter paths ("head.*", "*.bias", "blocks.[0-3].*"), with fnmatch
// semantics: `*` crosses dots, so "blocks.*" matches every block parameter.

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

public enum Glob {
    /// Whether `path` matches the shell-style `pattern` (`*`, `?`, `[...]`).
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        fnmatch(pattern, path, 0) == 0
    }

    /// Whether any of `patterns` matches `path`.
    public static func matchesAny(_ patterns: [String], _ path: String) -> Bool {
        patterns.contains { matches($0, path) }
    }
}
