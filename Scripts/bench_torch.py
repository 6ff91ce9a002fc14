#!/usr/bin/env python3
# PyTorch/timm side of `Scripts/bench_vs_torch.sh`: the same VisionTransformer, batch and thread
# count as `vittrain bench`, timed the same way (one warm-up, then median/min/max images/s of
# training steps — forward, cross-entropy, backward, AdamW — and of no-grad eval forwards).
import argparse
import contextlib
import json
import resource
import statistics
import sys
import time

import torch
import timm.models.vision_transformer as vt


def parse():
    p = argparse.ArgumentParser(description="timm ViT throughput on CPU")
    p.add_argument("--arch", default="vit-tiny", help="label only; the shape comes from the options below")
    p.add_argument("--img-size", type=int, default=32)
    p.add_argument("--patch-size", type=int, default=4)
    p.add_argument("--embed-dim", type=int, default=192)
    p.add_argument("--depth", type=int, default=12)
    p.add_argument("--heads", type=int, default=3)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--drop-path", type=float, default=0.0, help="stochastic depth rate (timm drop_path_rate)")
    p.add_argument("--frozen-blocks", type=int, default=0,
                   help="freeze patch embedding, tokens and the first N blocks")
    p.add_argument("--mode", choices=["both", "train", "eval"], default="both")
    p.add_argument("--bf16", action="store_true",
                   help="run forwards under torch.autocast('cpu', dtype=torch.bfloat16) (fp32 weights and optimizer)")
    p.add_argument("--json", action="store_true")
    return p.parse_args()


def summary(rates):
    return {"median": statistics.median(rates) if rates else 0.0,
            "min": min(rates, default=0.0), "max": max(rates, default=0.0)}


def main():
    a = parse()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = vt.VisionTransformer(img_size=a.img_size, patch_size=a.patch_size, num_classes=a.classes,
                                 embed_dim=a.embed_dim, depth=a.depth, num_heads=a.heads,
                                 mlp_ratio=4.0, qkv_bias=True, drop_path_rate=a.drop_path)
    if a.frozen_blocks > 0:
        frozen = [model.patch_embed, *model.blocks[:a.frozen_blocks]]
        for m in frozen:
            for prm in m.parameters():
                prm.requires_grad_(False)
        model.cls_token.requires_grad_(False)
        model.pos_embed.requires_grad_(False)
    params = [prm for prm in model.parameters() if prm.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.05)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randn(a.batch, 3, a.img_size, a.img_size)
    y = torch.randint(0, a.classes, (a.batch,))

    # Autocast is PyTorch's own bf16 mixed precision: matmuls (and some other ops) in bf16.
    precision = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.bf16 else contextlib.nullcontext

    train_rates, eval_rates = [], []
    if a.mode in ("both", "train"):
        model.train()
        for i in range(a.steps + 1):
            start = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            with precision():
                loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            if i > 0:
                train_rates.append(a.batch / (time.perf_counter() - start))
    if a.mode in ("both", "eval"):
        model.eval()
        with torch.no_grad(), precision():
            for i in range(a.steps + 1):
                start = time.perf_counter()
                model(x)
                if i > 0:
                    eval_rates.append(a.batch / (time.perf_counter() - start))

    result = {"arch": a.arch, "batch_size": a.batch, "threads": torch.get_num_threads(),
              "torch": torch.__version__, "frozen_blocks": a.frozen_blocks, "bf16_autocast": a.bf16,
              "train_images_per_second": summary(train_rates),
              "eval_images_per_second": summary(eval_rates),
              "peak_resident_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if a.json:
        print(json.dumps(result, sort_keys=True))
    else:
        t, e = result["train_images_per_second"], result["eval_images_per_second"]
        mode = ", bf16 autocast" if a.bf16 else ""
        print(f"torch {torch.__version__} {a.arch} batch {a.batch}, {result['threads']} threads{mode}")
        print(f"  train step   {t['median']:.1f} images/s (min {t['min']:.1f}, max {t['max']:.1f})")
        print(f"  eval forward {e['median']:.1f} images/s (min {e['min']:.1f}, max {e['max']:.1f})")
        print(f"  peak memory  {result['peak_resident_mb']:.1f} MB resident")


if __name__ == "__main__":
    sys.exit(main())
