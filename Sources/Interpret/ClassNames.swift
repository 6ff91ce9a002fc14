// Class names for predictions, in order of preference: the checkpoint's `class_names` attribute
// (JSON array, written by import from HF id2label or timm), the run's dataset, the ImageNet-1k
// names shipped with vittrain for a 1000-class head, else "class N".

import FileFormats
import Foundation

public enum ClassNames {
    public static let attributeName = "class_names"

    /// The checkpoint's own names, or nil when it has none. `source` names the file in errors.
    public static func read(from file: HDF5File, source: String) throws -> [String]? {
        guard file.hasAttribute(attributeName) else { return nil }
        let text = try file.stringAttribute(attributeName)
        guard let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw FileFormatError(file: source, message: "attribute '\(attributeName)' is not a JSON array of strings")
        }
        return names
    }

    /// `count` names from the first source that has exactly `count` of them.
    public static func resolve(count: Int, checkpoint: [String]?, dataset: [String]?) -> [String] {
        for candidate in [checkpoint, dataset, count == 1000 ? ImageNetClassNames.names : nil] {
            if let names = candidate, names.count == count { return names }
        }
        return (0..<count).map { "class \($0)" }
    }
}
