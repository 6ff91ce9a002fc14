#!/usr/bin/env python3
"""The vittrain training recipe in PyTorch + timm, for a time-to-accuracy comparison on the same machine.

Reads a vittrain config (JSON) and trains the same model with timm's own pieces: VisionTransformer
(or, for the cct-* presets, Scripts/torch_cct.py's CCT made of timm's Blocks),
RandomCrop/flip + timm's rand_augment_transform (same config string, translate_const and fill as
timm's create_transform) + Normalize + timm's RandomErasing, timm's Mixup with SoftTargetCrossEntropy
(or LabelSmoothingCrossEntropy), AdamW without weight decay on 1-D parameters / pos_embed / cls_token,
linear warmup then cosine per step, and ModelEmaV3 (update every step). Writes one JSON line per epoch
(`wall_time_s`, train loss, val loss / accuracy, EMA val accuracy) like vittrain's metrics.jsonl, so
`python Scripts/timm_recipe.py --config Configs/fashion-mnist-tiny.json --epochs 2 --out torch.jsonl`
and the vittrain run's metrics.jsonl can be compared: our wall time to reach torch's accuracy, as a ratio.

Usage: /work/venv/bin/python Scripts/timm_recipe.py --config C [--epochs N] [--max-minutes M]
       [--data-root DIR] [--threads 2] [--subset N] [--out FILE]
--epochs N stops after N epochs but keeps the config's learning-rate schedule (train.epochs), so the
curve is the full run's first N epochs: compare it with `vittrain --config C --stop-after-epoch N`.
Only the datasets fashion-mnist (IDX .gz) and cifar10 (binary batches) are read. Smoke-tested with
`--subset 512 --epochs 2` on cifar10-fast.json (it runs; no accuracy figure is claimed from that).
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from timm.data import auto_augment
from timm.data.auto_augment import rand_augment_transform
from timm.data.mixup import Mixup
from timm.data.random_erasing import RandomErasing
from timm.loss import LabelSmoothingCrossEntropy, SoftTargetCrossEntropy
from timm.models.vision_transformer import VisionTransformer
from timm.utils.model_ema import ModelEmaV3
from torchvision import transforms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_cct  # noqa: E402  (Scripts/torch_cct.py)


def _posterize(img, bits_to_keep, **_):
    # Pillow ≥ 11 rejects posterize(bits=0), which timm's PosterizeIncreasing asks for at magnitude
    # 10 (reachable with mstd); older Pillow (and vittrain) return a black image there.
    if bits_to_keep <= 0:
        return Image.new(img.mode, img.size, 0)
    return auto_augment.posterize(img, bits_to_keep)


for _name in ("Posterize", "PosterizeIncreasing", "PosterizeOriginal"):
    auto_augment.NAME_TO_OP[_name] = _posterize

MEANS = {"fashion-mnist": ([0.2860], [0.3530]), "cifar10": ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])}


def load(dataset, root, train):
    if dataset == "fashion-mnist":
        root = root or "/usr/share/datasets/fashion-mnist"
        prefix = "train" if train else "t10k"
        with gzip.open(os.path.join(root, prefix + "-images-idx3-ubyte.gz")) as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
        with gzip.open(os.path.join(root, prefix + "-labels-idx1-ubyte.gz")) as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8)
        return images, labels.astype(np.int64), 10
    if dataset == "cifar10":
        root = root or "Datasets/cifar-10-batches-bin"
        names = ["data_batch_%d.bin" % i for i in range(1, 6)] if train else ["test_batch.bin"]
        raw = np.concatenate([np.fromfile(os.path.join(root, n), np.uint8).reshape(-1, 3073) for n in names])
        return raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), raw[:, 0].astype(np.int64), 10
    sys.exit("timm_recipe.py reads fashion-mnist and cifar10 only, not %r" % dataset)


class Images(torch.utils.data.Dataset):
    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.images[i])), self.labels[i]


def transforms_for(cfg, size, mean, std, train):
    d = cfg.get("data", {})
    aug = d.get("augmentation", {})
    steps = []
    if train and aug.get("random_crop"):
        steps.append(transforms.RandomCrop(size, padding=aug.get("padding", 4)))
    if train and aug.get("horizontal_flip"):
        steps.append(transforms.RandomHorizontalFlip())
    if train and d.get("auto_augment"):
        # timm's create_transform: translate_const = 0.45 × size, fill = the mean as uint8.
        hp = dict(translate_const=int(size * 0.45), img_mean=tuple(min(255, round(255 * m)) for m in mean))
        if d.get("train_interpolation", "random") != "random":
            hp["interpolation"] = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "nearest": Image.NEAREST}[d["train_interpolation"]]
        if len(mean) == 1:
            hp["img_mean"] = hp["img_mean"][0]
        steps.append(rand_augment_transform(d["auto_augment"], hp))
    steps += [transforms.ToTensor(), transforms.Normalize(mean, std)]
    if train and d.get("reprob", 0) > 0:
        steps.append(RandomErasing(d["reprob"], mode=d.get("remode", "pixel"), max_count=d.get("recount", 1), device="cpu"))
    return transforms.Compose(steps)


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or name.endswith(".bias") or name in ("pos_embed", "cls_token") else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def evaluate(model, loader):
    model.eval()
    loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss += torch.nn.functional.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            n += len(y)
    model.train()
    return loss / n, correct / n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True)
    p.add_argument("--epochs", type=int)
    p.add_argument("--max-minutes", type=float, help="stop after the epoch that passes this wall time")
    p.add_argument("--data-root")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--subset", type=int, help="use only the first N train and N val images (a smoke test)")
    p.add_argument("--out", default="timm_recipe.jsonl")
    args = p.parse_args()
    cfg = json.load(open(args.config))
    torch.set_num_threads(args.threads)
    m, d, o, s, t = (cfg.get(k, {}) for k in ("model", "data", "optim", "schedule", "train"))
    torch.manual_seed(t.get("seed", 0))
    dataset = d.get("dataset", "fashion-mnist")
    mean, std = d.get("mean") or MEANS[dataset][0], d.get("std") or MEANS[dataset][1]
    train_x, train_y, classes = load(dataset, args.data_root or d.get("root"), True)
    val_x, val_y, _ = load(dataset, args.data_root or d.get("val_root") or d.get("root"), False)
    if args.subset:
        train_x, train_y, val_x, val_y = train_x[:args.subset], train_y[:args.subset], val_x[:args.subset], val_y[:args.subset]
    size = m.get("img_size", train_x.shape[1])
    batch = t.get("batch_size", 128)
    train_loader = torch.utils.data.DataLoader(Images(train_x, train_y, transforms_for(cfg, size, mean, std, True)),
                                               batch_size=batch, shuffle=True, drop_last=True, num_workers=0)
    val_loader = torch.utils.data.DataLoader(Images(val_x, val_y, transforms_for(cfg, size, mean, std, False)),
                                             batch_size=batch, num_workers=0)
    if m.get("arch", "").startswith("cct-"):
        # timm has no CCT: the same model from timm's blocks, with vittrain's parameter names.
        model = torch_cct.from_config(m, len(mean), classes)
    else:
        model = VisionTransformer(img_size=size, patch_size=m.get("patch_size", 4), in_chans=m.get("in_chans", len(mean)),
                                  num_classes=classes, embed_dim=m.get("embed_dim", 192), depth=m.get("depth", 12),
                                  num_heads=m.get("num_heads", 3), mlp_ratio=m.get("mlp_ratio", 4.0),
                                  drop_rate=m.get("drop_rate", 0.0), attn_drop_rate=m.get("attn_drop_rate", 0.0),
                                  drop_path_rate=m.get("drop_path_rate", 0.0))
    optimizer = torch.optim.AdamW(param_groups(model, o.get("weight_decay", 0.05)), lr=o.get("lr", 1e-3),
                                  betas=tuple(o.get("betas", [0.9, 0.999])), eps=o.get("eps", 1e-8))
    epochs = args.epochs or t.get("epochs", 10)
    per_epoch = len(train_loader)
    total = t.get("max_steps") or cfg.get("train", {}).get("epochs", epochs) * per_epoch
    warmup = s.get("warmup_steps") or int(round(s.get("warmup_epochs", 0) * per_epoch))
    base, floor = o.get("lr", 1e-3), s.get("min_lr", 1e-6)

    def lr_at(step):
        if step < warmup:
            return base * (step + 1) / warmup
        if s.get("kind", "cosine") != "cosine":
            return base
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + 0.5 * (base - floor) * (1 + math.cos(math.pi * progress))
    smoothing = t.get("label_smoothing", 0.0)
    mixup = None
    if d.get("mixup", 0) > 0 or d.get("cutmix", 0) > 0 or d.get("cutmix_minmax"):
        mixup = Mixup(mixup_alpha=d.get("mixup", 0.0), cutmix_alpha=d.get("cutmix", 0.0), cutmix_minmax=d.get("cutmix_minmax"),
                      prob=d.get("mixup_prob", 1.0), switch_prob=d.get("mixup_switch_prob", 0.5),
                      mode=d.get("mixup_mode", "batch"), label_smoothing=smoothing, num_classes=classes)
        criterion = SoftTargetCrossEntropy()
    else:
        criterion = LabelSmoothingCrossEntropy(smoothing) if smoothing > 0 else torch.nn.CrossEntropyLoss()
    ema = ModelEmaV3(model, decay=t.get("model_ema_decay", 0.9998), use_warmup=t.get("model_ema_warmup", False)) \
        if t.get("model_ema") else None
    started, step = time.time(), 0
    with open(args.out, "w") as out:
        for epoch in range(1, epochs + 1):
            model.train()
            loss_sum, seen = 0.0, 0
            for x, y in train_loader:
                for g in optimizer.param_groups:
                    g["lr"] = lr_at(step)
                if mixup is not None:
                    x, y = mixup(x, y)
                loss = criterion(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                if t.get("grad_clip"):
                    torch.nn.utils.clip_grad_norm_(model.parameters(), t["grad_clip"])
                optimizer.step()
                step += 1
                if ema is not None:
                    ema.update(model, step=step)
                loss_sum += loss.item() * len(x)
                seen += len(x)
            line = {"kind": "epoch", "epoch": epoch, "step": step, "train_loss": loss_sum / seen}
            line["val_loss"], line["val_accuracy"] = evaluate(model, val_loader)
            if ema is not None:
                line["ema_val_loss"], line["ema_val_accuracy"] = evaluate(ema.module, val_loader)
            line["wall_time_s"] = time.time() - started
            out.write(json.dumps(line) + "\n")
            out.flush()
            print(json.dumps(line), flush=True)
            if args.max_minutes and line["wall_time_s"] > 60 * args.max_minutes:
                break


if __name__ == "__main__":
    main()
