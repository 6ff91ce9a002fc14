"""A Compact Convolutional Transformer (Hassani et al. 2021) in PyTorch, built from timm's Block,
with vittrain's parameter names, so that a state dict moves between the two unchanged:

  patch_embed.tokenizer.convs.{i}.weight   the first layers − 1 tokenizer convs (no bias)
  patch_embed.proj.weight                  the last tokenizer conv, to the embedding width
  pos_embed [1, T, D], blocks.{i}.*, norm.*, seq_pool.{weight,bias}, head.{weight,bias}

Each tokenizer stage is conv → ReLU → 3×3 max pool at stride 2 (padding 1); conv stride
max(1, k//2 − 1), padding max(1, k//2), as Sources/Models/ConvTokenizer.swift. The encoder is
timm's pre-norm Block (GELU, no qkv bias for the presets), then LayerNorm, then sequence pooling
(softmax over the tokens of Linear(D, 1), a weighted sum) and the head. Used by
Scripts/fixtures/cct_parity.py (the parity reference) and Scripts/timm_recipe.py (training).
"""
import torch
import torch.nn as nn
from timm.layers import trunc_normal_
from timm.models.vision_transformer import Block

# vittrain's presets (Sources/Models/ViTPresets.swift): width, depth, heads, MLP ratio, tokenizer
# layers and kernel, and the paper's attention dropout and stochastic depth.
PRESETS = {
    "cct-7-3x1": dict(embed_dim=256, depth=7, num_heads=4, mlp_ratio=2.0, layers=1, kernel=3,
                      attn_drop_rate=0.1, drop_path_rate=0.1),
    "cct-2-3x2": dict(embed_dim=128, depth=2, num_heads=2, mlp_ratio=1.0, layers=2, kernel=3,
                      attn_drop_rate=0.1, drop_path_rate=0.1),
}


def from_config(model_section, in_chans, num_classes):
    """The CCT a vittrain config's `model` section describes (preset, then its overrides)."""
    args = dict(PRESETS[model_section["arch"]], img_size=32, in_chans=in_chans, num_classes=num_classes)
    for key in ("img_size", "in_chans", "embed_dim", "depth", "num_heads", "mlp_ratio", "qkv_bias",
                "drop_rate", "attn_drop_rate", "drop_path_rate"):
        if key in model_section:
            args[key] = model_section[key]
    # The tokenizer's shape keys (vittrain's ConvTokenizerConfig).
    for key, arg in (("conv_layers", "layers"), ("conv_kernel", "kernel"), ("conv_channels", "channels")):
        if key in model_section:
            args[arg] = model_section[key]
    return CCT(**args)


class PatchEmbed(nn.Module):
    """The convolutional tokenizer under vittrain's names: tokenizer.convs.{i} and proj."""

    def __init__(self, in_chans, embed_dim, layers, kernel, channels=64, pool=True):
        super().__init__()
        stride, padding = max(1, kernel // 2 - 1), max(1, kernel // 2)
        widths = [in_chans] + [channels] * (layers - 1)
        self.tokenizer = nn.Module()
        self.tokenizer.convs = nn.ModuleList(nn.Conv2d(widths[i], widths[i + 1], kernel, stride, padding, bias=False)
                                             for i in range(layers - 1))
        self.proj = nn.Conv2d(widths[-1], embed_dim, kernel, stride, padding, bias=False)
        self.pool = pool

    def stage(self, conv, x):
        x = torch.relu(conv(x))
        return nn.functional.max_pool2d(x, 3, 2, 1) if self.pool else x

    def forward(self, x):
        for conv in self.tokenizer.convs:
            x = self.stage(conv, x)
        return self.stage(self.proj, x).flatten(2).transpose(1, 2)     # [B, h·w, D]


class CCT(nn.Module):
    def __init__(self, img_size=32, in_chans=3, num_classes=10, embed_dim=128, depth=2, num_heads=2,
                 mlp_ratio=1.0, layers=2, kernel=3, channels=64, qkv_bias=False, drop_rate=0.0, attn_drop_rate=0.0,
                 drop_path_rate=0.0, norm_eps=1e-6):
        super().__init__()
        self.patch_embed = PatchEmbed(in_chans, embed_dim, layers, kernel, channels)
        with torch.no_grad():
            tokens = self.patch_embed(torch.zeros(1, in_chans, img_size, img_size)).shape[1]
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        norm = lambda d, **kw: nn.LayerNorm(d, eps=norm_eps, **kw)
        rates = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
        self.blocks = nn.Sequential(*[Block(embed_dim, num_heads, mlp_ratio, qkv_bias=qkv_bias, proj_drop=drop_rate,
                                            attn_drop=attn_drop_rate, drop_path=rates[i], norm_layer=norm)
                                      for i in range(depth)])
        self.norm = norm(embed_dim)
        self.seq_pool = nn.Linear(embed_dim, 1)
        self.head = nn.Linear(embed_dim, num_classes)
        trunc_normal_(self.pos_embed, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias) if m.bias is not None else None
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward_features(self, x):
        x = self.pos_drop(self.patch_embed(x) + self.pos_embed)
        x = self.norm(self.blocks(x))
        weights = torch.softmax(self.seq_pool(x).squeeze(-1), dim=-1)   # [B, T]
        return torch.einsum("bt,btd->bd", weights, x)

    def forward(self, x):
        return self.head(self.forward_features(x))
