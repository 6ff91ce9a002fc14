// Vision Transformer presets, HybridViT and position-embedding resampling.
@_exported import NN
