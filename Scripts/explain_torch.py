#!/usr/bin/env python3
"""The methods of `vittrain explain` in PyTorch, timed against vittrain in the same run.

For a ViT (default timm vit_base_patch16_224, random weights: no download) and one 224-px image:
per-head CLS maps of every layer, attention rollout and Chefer et al. 2021 relevance for the top
class (one forward with the attention kept and one backward). The script saves the weights as
safetensors, imports them with `vittrain import`, runs `vittrain explain --method
attention,rollout,chefer2021 --no-score` on the same photo and reads vittrain's own timing line
("explained … in X s"), so model loading is excluded on both sides. Prints both and the ratio.

Usage: /work/venv/bin/python Scripts/explain_torch.py [--model vit_base_patch16_224] [--threads 2]
       [--repeats 3] [--vittrain .build/release/vittrain]
"""
import argparse
import os
import re
import subprocess
import tempfile
import time

import numpy as np
import timm
import torch
from PIL import Image
from safetensors.torch import save_file
from skimage import data as photos


def explain_torch(model, image):
    """CLS maps, rollout (mean fusion) and chefer2021 for the predicted class; returns the three."""
    kept = []

    def hook(module, inputs, output):
        output.retain_grad()
        kept.append(output)

    hooks = [b.attn.attn_drop.register_forward_hook(hook) for b in model.blocks]
    logits = model(image)
    target = int(logits.argmax(-1))
    model.zero_grad()
    logits[0, target].backward()   # fills .grad of every weight unless the caller froze them
    for h in hooks:
        h.remove()
    with torch.no_grad():
        cls_maps = torch.stack([a[0, :, 0, 1:] for a in kept])               # [L, H, N]
        t = kept[0].shape[-1]
        eye = torch.eye(t)
        r = eye.clone()
        for a in kept:
            fused = a[0].mean(0) + eye
            r = (fused / fused.sum(-1, keepdim=True)) @ r
        rollout = r[0, 1:]
        rel = eye.clone()
        for a in kept:
            cam = (a.grad[0] * a[0]).clamp(min=0).mean(0)
            rel = rel + cam @ rel
        relevance = rel[0, 1:]
    return cls_maps, rollout, relevance


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="vit_base_patch16_224")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vittrain", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "vittrain"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = timm.create_model(args.model, pretrained=False).eval()
    for block in model.blocks:
        block.attn.fused_attn = False
    work = tempfile.mkdtemp(prefix="explain-bench-")
    photo = os.path.join(work, "chelsea.jpg")
    Image.fromarray(photos.chelsea()).save(photo, quality=90)
    cfg = model.pretrained_cfg
    from timm.data import create_transform, resolve_data_config
    transform = create_transform(**resolve_data_config({}, model=model))
    image = transform(Image.open(photo).convert("RGB")).unsqueeze(0)

    def best_time(x):
        explain_torch(model, x)  # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            explain_torch(model, x)
            times.append(time.perf_counter() - start)
        return min(times)

    # As the usual torch code runs it (Chefer's notebooks): the backward also fills every weight's .grad.
    torch_s = best_time(image)
    print("torch %s: %.3f s (best of %d; %d threads; weight gradients computed)" % (args.model, torch_s, args.repeats, args.threads))
    # As vittrain runs it: weights frozen, so the backward computes the activations' gradients only.
    for p in model.parameters():
        p.requires_grad_(False)
    frozen_s = best_time(image.clone().requires_grad_(True))
    for p in model.parameters():
        p.requires_grad_(True)
    print("torch %s, weights frozen: %.3f s (best of %d)" % (args.model, frozen_s, args.repeats))

    weights = os.path.join(work, "model.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
    checkpoint = os.path.join(work, "model.h5")
    subprocess.check_call([args.vittrain, "import", "--from", weights, "--heads", str(model.blocks[0].attn.num_heads),
                           "--out", checkpoint])
    import h5py
    import json
    with h5py.File(checkpoint, "a") as f:
        f.attrs["pretrained_cfg"] = json.dumps({k: cfg.get(k) for k in ("input_size", "interpolation", "crop_pct", "crop_mode", "mean", "std")})
    ours = []
    for _ in range(args.repeats):
        out = subprocess.run([args.vittrain, "explain", "--checkpoint", checkpoint, photo, "--out", os.path.join(work, "out"),
                              "--method", "attention,rollout,chefer2021", "--no-score"],
                             capture_output=True, text=True, check=True, env=dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads)))
        found = re.search(r"explained \d+ images? in ([0-9.]+) s", out.stdout + out.stderr)
        ours.append(float(found.group(1)))
    vit_s = min(ours)
    print("vittrain %s: %.3f s (best of %d)" % (args.model, vit_s, args.repeats))
    print("ratio torch / vittrain: %.2f× (torch with weights frozen: %.2f×)" % (torch_s / vit_s, frozen_s / vit_s))


if __name__ == "__main__":
    main()
