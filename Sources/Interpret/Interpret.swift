// Attention capture, rollout, entropy, colormaps, overlays and the HTML report.
@_exported import Models
