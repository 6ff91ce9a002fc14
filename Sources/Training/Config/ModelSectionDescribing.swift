// A model section that spells out a resolved architecture, for checkpoints made by `import`.

import Models

extension ModelSection {
    /// Names the closest preset and overrides every field, so the section alone rebuilds `config`.
    public init(describing config: ViTConfig) {
        self.init()
        arch = ViTPresets.names.first { name in
            guard let preset = ViTPresets.config(named: name) else { return false }
            return preset.embedDim == config.embedDim && preset.depth == config.depth && preset.hybrid == nil
                && preset.convTokenizer == config.convTokenizer
        } ?? (config.convTokenizer == nil ? "vit-tiny" : "cct-2-3x2")
        imgSize = config.imageSize
        patchSize = config.patchSize
        inChans = config.inChannels
        // A headless backbone (0 classes) leaves the count to the data it is fine-tuned on; the
        // config key itself must be positive.
        numClasses = config.numClasses > 0 ? config.numClasses : nil
        embedDim = config.embedDim
        depth = config.depth
        numHeads = config.numHeads
        mlpRatio = config.mlpRatio
        qkvBias = config.qkvBias
        layerNormEps = Double(config.layerNormEps)
        classToken = config.classToken
        regTokens = config.registerTokens
        distilled = config.distilled
        noEmbedClass = config.noEmbedClass
        globalPool = config.globalPool.rawValue
        fcNorm = config.usesFCNorm
        preNorm = config.preNorm
        initValues = config.layerScaleInit.map(Double.init)
        actLayer = config.activation.rawValue
        convLayers = config.convTokenizer?.layers
        convKernel = config.convTokenizer?.kernel
        convChannels = config.convTokenizer?.channels
    }
}
