// Reading and writing a ViT as .safetensors: timm names, or Hugging Face ViT names (detected on
// read, chosen on write). Load errors carry the file name in front of the key-level message.

import FileFormats

extension VisionTransformer {
    /// Loads a timm- or Hugging Face-named ViT checkpoint (F32, F16 or BF16) by path.
    /// Integer tensors (PyTorch's `num_batches_tracked`) are skipped. See `load` for the options.
    /// - Throws: `FileFormatError` for an unreadable file, `ModelLoadError.file` for a mismatch.
    @discardableResult
    public func loadSafetensors(_ path: String, strict: Bool = true, skip: [String] = [],
                                resamplePositionEmbedding: Bool = true) throws -> LoadReport {
        let (tensors, _) = try Safetensors.read(path, skippingUnsupportedDTypes: true)
        var state: StateDictionary = [:]
        for (name, tensor) in tensors { state[name] = (tensor.shape, tensor.values) }
        if HuggingFaceViT.isHuggingFace(state.keys) { state = HuggingFaceViT.timmState(from: state) }
        do {
            return try load(state, strict: strict, skip: skip, resamplePositionEmbedding: resamplePositionEmbedding)
        } catch let error as ModelLoadError {
            throw ModelLoadError.file(path, error)
        }
    }

    /// Writes every parameter and buffer as F32 .safetensors, atomically, in timm names or (with
    /// `huggingFaceNames`) in Hugging Face `ViTForImageClassification` names.
    public func saveSafetensors(_ path: String, huggingFaceNames: Bool = false,
                                metadata: [String: String] = ["format": "pt"]) throws {
        var state = stateDictionary()
        if huggingFaceNames { state = HuggingFaceViT.huggingFaceState(from: state) }
        let ordered = state.keys.sorted().map { (name: $0, shape: state[$0]!.shape, values: state[$0]!.values) }
        try Safetensors.write(ordered, metadata: metadata, to: path)
    }
}
