// Class names for predictions, in order of preference: the checkpoint's `class_names` (root
// attribute, JSON array, written by import from HF id2label or timm; `Checkpoint.classNames`), the
// run's dataset, the ImageNet-1k names shipped with vittrain for a 1000-class head, else "class N".

public enum ClassNames {
    /// `count` names from the first source that has exactly `count` of them.
    public static func resolve(count: Int, checkpoint: [String]?, dataset: [String]?) -> [String] {
        for candidate in [checkpoint, dataset, count == 1000 ? ImageNetClassNames.names : nil] {
            if let names = candidate, names.count == count { return names }
        }
        return (0..<count).map { "class \($0)" }
    }
}
