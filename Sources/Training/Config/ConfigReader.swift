// Strict reading of a JSON config: every key a section reads is recorded, and keys left over are
// errors that name their full dotted path. Types are checked with messages that say what was
// expected ("optim.lr: expected a number, got the string \"fast\""). Problems are collected, not
// thrown one by one, so a user sees every mistake in a config at once.

import Foundation

/// A problem in a config file or a `--set` override: one line naming the key.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    /// One line even when the key or a quoted value holds line breaks (they are shown escaped).
    public var description: String {
        Self.escapingLineBreaks(key.isEmpty ? message : "config key '\(key)': \(message)")
    }

    static func escapingLineBreaks(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Every problem found while reading a config, reported together.
public struct ConfigErrors: Error, CustomStringConvertible {
    public let problems: [ConfigError]
    public var description: String {
        problems.count == 1 ? problems[0].description
            : "\(problems.count) problems in the config: " + problems.map(\.description).joined(separator: "; ")
    }
}

/// Collects problems across all the readers of one config.
public final class ConfigProblems {
    public private(set) var list: [ConfigError] = []
    public init() {}
    public func add(_ error: ConfigError) { list.append(error) }
    public func throwIfAny() throws {
        if !list.isEmpty { throw ConfigErrors(problems: list) }
    }
}

/// Reads one JSON object (a config section) and remembers which keys were used. A value of the
/// wrong type is recorded as a problem and the default is used, so reading can go on.
public final class ConfigReader {
    private let object: [String: Any]
    private let path: String
    private var used = Set<String>()
    public let problems: ConfigProblems

    public init(_ object: [String: Any], path: String = "", problems: ConfigProblems = ConfigProblems()) {
        self.object = object
        self.path = path
        self.problems = problems
    }

    /// Whether the section holds `key` (explicitly, even as null).
    public func has(_ key: String) -> Bool { object[key] != nil }

    private func fail<T>(_ key: String, _ message: String, _ fallback: T) -> T {
        problems.add(ConfigError(key: keyPath(key), message))
        return fallback
    }

    /// Parses JSON text into the top-level reader.
    public static func parse(_ data: Foundation.Data, file: String) throws -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "invalid JSON"
            throw ConfigError(key: "", "\(file): not valid JSON (\(reason))")
        }
        guard let object = value as? [String: Any] else {
            throw ConfigError(key: "", "\(file): expected a JSON object at the top level")
        }
        return object
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func value(_ key: String) -> Any? {
        used.insert(key)
        guard let v = object[key], !(v is NSNull) else { return nil }
        return v
    }

    private func describe(_ v: Any) -> String {
        switch v {
        case let s as String: return "the string \"\(s)\""
        case let n as NSNumber where isBool(n): return "the boolean \(n.boolValue)"
        case let n as NSNumber: return "the number \(n)"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        default: return "\(v)"
        }
    }

    /// JSON booleans arrive as NSNumbers of ObjC type "c"; JSON numbers never have that type.
    private func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    public func double(_ key: String, default fallback: Double) -> Double {
        optionalDouble(key) ?? fallback
    }

    public func optionalDouble(_ key: String) -> Double? {
        guard let v = value(key) else { return nil }
        guard let n = v as? NSNumber, !isBool(v), n.doubleValue.isFinite else {
            return fail(key, "expected a number, got \(describe(v))", nil)
        }
        return n.doubleValue
    }

    public func float(_ key: String, default fallback: Float) -> Float {
        Float(double(key, default: Double(fallback)))
    }

    public func int(_ key: String, default fallback: Int) -> Int {
        optionalInt(key) ?? fallback
    }

    public func optionalInt(_ key: String) -> Int? {
        guard let v = value(key) else { return nil }
        guard let n = v as? NSNumber, !isBool(v), n.doubleValue == n.doubleValue.rounded(),
              abs(n.doubleValue) < 1e15 else {
            return fail(key, "expected an integer, got \(describe(v))", nil)
        }
        return n.intValue
    }

    public func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let v = value(key) else { return fallback }
        guard isBool(v), let n = v as? NSNumber else {
            return fail(key, "expected true or false, got \(describe(v))", fallback)
        }
        return n.boolValue
    }

    public func string(_ key: String, default fallback: String) -> String {
        optionalString(key) ?? fallback
    }

    public func optionalString(_ key: String) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v as? String else {
            return fail(key, "expected a string, got \(describe(v))", nil)
        }
        return s
    }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, _ choices: [String], default fallback: String) -> String {
        let s = string(key, default: fallback)
        guard choices.contains(s) else {
            return fail(key, "expected one of \(choices.joined(separator: ", ")), got \"\(s)\"", fallback)
        }
        return s
    }

    public func strings(_ key: String, default fallback: [String]) -> [String] {
        guard let v = value(key) else { return fallback }
        guard let array = v as? [Any], array.allSatisfy({ $0 is String }) else {
            return fail(key, "expected an array of strings, got \(describe(v))", fallback)
        }
        return array.map { $0 as! String }
    }

    public func doubles(_ key: String, default fallback: [Double]?) -> [Double]? {
        guard let v = value(key) else { return fallback }
        guard let array = v as? [Any], array.allSatisfy({ $0 is NSNumber && !isBool($0) }) else {
            return fail(key, "expected an array of numbers, got \(describe(v))", fallback)
        }
        return array.map { ($0 as! NSNumber).doubleValue }
    }

    /// A nested section; absent sections read as empty (all defaults).
    public func section(_ key: String) -> ConfigReader {
        let empty = ConfigReader([:], path: keyPath(key), problems: problems)
        guard let v = value(key) else { return empty }
        guard let object = v as? [String: Any] else {
            return fail(key, "expected an object, got \(describe(v))", empty)
        }
        return ConfigReader(object, path: keyPath(key), problems: problems)
    }

    /// An array of objects, each read by its own reader.
    public func sections(_ key: String) -> [ConfigReader] {
        guard let v = value(key) else { return [] }
        guard let array = v as? [Any], array.allSatisfy({ $0 is [String: Any] }) else {
            return fail(key, "expected an array of objects, got \(describe(v))", [])
        }
        return array.enumerated().map { index, element in
            ConfigReader(element as! [String: Any], path: "\(keyPath(key))[\(index)]", problems: problems)
        }
    }

    /// Records every key that no reader asked for.
    public func finish() {
        for unknown in object.keys.filter({ !used.contains($0) }).sorted() {
            let message = "unknown key (see Configs/README.md for the keys of each section)"
            // An empty key at the top level would print without any key at all; name it.
            problems.add(keyPath(unknown).isEmpty ? ConfigError(key: "", "config key '': \(message)")
                                                  : ConfigError(key: keyPath(unknown), message))
        }
    }

    /// Records a range problem unless `condition` holds.
    public func require(_ condition: Bool, _ key: String, _ expectation: String) {
        if !condition { problems.add(ConfigError(key: keyPath(key), expectation)) }
    }
}
