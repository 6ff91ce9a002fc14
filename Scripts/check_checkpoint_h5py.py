"""Opens a vittrain checkpoint with h5py and checks that its `model/` datasets are exactly timm's
state dict: the same names and shapes as timm's VisionTransformer built from the checkpoint's
`model_config`, loadable with `load_state_dict(strict=True)`.

Usage: python Scripts/check_checkpoint_h5py.py Checkpoints/quickstart/best.h5
(needs h5py, torch and timm, e.g. from the throwaway venv of Scripts/make_fixtures.py)
"""
import json
import sys

import h5py
import timm
import torch


def main(path):
    with h5py.File(path, "r") as f:
        print("format:", f.attrs["format"], "version:", f.attrs["version"], "epoch:", f.attrs["epoch"], "step:", f.attrs["step"])
        config = json.loads(f.attrs["model_config"])
        state = {name: torch.from_numpy(f["model"][name][()]) for name in f["model"]}
    model = timm.models.vision_transformer.VisionTransformer(
        img_size=config["imageSize"], patch_size=config["patchSize"], in_chans=config["inChannels"],
        num_classes=config["numClasses"], embed_dim=config["embedDim"], depth=config["depth"],
        num_heads=config["numHeads"], mlp_ratio=config["mlpRatio"], qkv_bias=config["qkvBias"])
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        wrong = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
        sys.exit(f"{path}: differs from timm's state dict: missing {missing}, extra {extra}, shapes {wrong}")
    model.load_state_dict(state, strict=True)
    print(f"{path}: {len(state)} datasets under model/ have timm's names and shapes; timm loads them (strict)")


if __name__ == "__main__":
    main(sys.argv[1])
