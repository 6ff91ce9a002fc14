#!/usr/bin/env python3
"""Checks that timm and transformers load vittrain's exports of every model family strictly and
give the reference logits: for each folder of Tests/Fixtures/families, `vittrain import` it,
`vittrain export --format timm` (and `--format hf` where transformers has a class), then build
the model from the written config.json alone (timm.create_model(architecture, **model_args) /
from_pretrained) with strict loading, and compare logits with expected.h5.

Usage: python Scripts/check_family_exports.py [path/to/vittrain]   (needs torch, timm, transformers, h5py)
Exit status 1 if any family fails; prints one line per family and format.
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import timm
import torch
from safetensors.torch import load_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAMILIES = os.path.join(ROOT, "Tests", "Fixtures", "families")
HF_FAMILIES = {"deit_distilled", "hf_deit_teacher", "plain"}


def timm_logits(folder, images):
    config = json.load(open(os.path.join(folder, "config.json")))
    model = timm.create_model(config["architecture"], pretrained=False, **config["model_args"]).eval()
    model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=True)
    with torch.no_grad():
        return model(images)


def hf_logits(folder, images):
    import transformers
    config = json.load(open(os.path.join(folder, "config.json")))
    cls = getattr(transformers, config["architectures"][0])
    model, info = cls.from_pretrained(folder, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    if problems:
        raise RuntimeError(f"transformers loading: {problems}")
    with torch.no_grad():
        out = model.eval()(pixel_values=images)
    return out.logits if hasattr(out, "logits") else out.last_hidden_state[:, 0]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "vittrain")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(os.listdir(FAMILIES)):
            folder = os.path.join(FAMILIES, name)
            expected = h5py.File(os.path.join(folder, "expected.h5"))
            images = torch.from_numpy(expected["images"][()])
            reference = torch.from_numpy(expected["logits"][()])
            ours = os.path.join(tmp, name + ".h5")
            subprocess.run([binary, "import", "--from", folder, "--out", ours], check=True, capture_output=True)
            for fmt in ["timm"] + (["hf"] if name in HF_FAMILIES else []):
                out = os.path.join(tmp, f"{name}-{fmt}")
                export = subprocess.run([binary, "export", "--checkpoint", ours, "--format", fmt,
                                         "--out", os.path.join(out, "model.safetensors")], capture_output=True, text=True)
                if export.returncode != 0:       # a family the format has no class for: refused in one line
                    print(f"{name:18s} {fmt:4s} refused by vittrain: {export.stderr.strip()[:160]}")
                    continue
                try:
                    logits = timm_logits(out, images) if fmt == "timm" else hf_logits(out, images)
                    error = ((logits - reference).abs().max() / reference.abs().max()).item()
                    ok = error < 1e-4
                    print(f"{name:18s} {fmt:4s} strict load ok, logits rel. error {error:.2e}{'' if ok else '  FAIL'}")
                except Exception as e:      # one line per failure, then go on
                    ok = False
                    print(f"{name:18s} {fmt:4s} FAIL: {str(e).splitlines()[0][:200]}")
                failures += 0 if ok else 1
    print(f"{failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
