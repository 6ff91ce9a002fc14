#!/usr/bin/env bash
# Runs `vittrain bench` and Scripts/bench_torch.py back to back on the same case (same model,
# batch and thread count) and prints one table with the ratios, so both sides see the same
# machine load. Each case runs its own copies of what it compares.
# Usage: Scripts/bench_vs_torch.sh [tiny] [base] [frozen] [gemm] [bf16]   (default: all)
# bf16: ViT-Tiny with train.matmul_precision=medium (bf16 GEMM inputs) against torch in fp32 and
# under torch.autocast(bfloat16).
# The target column is issue 18's (fp32 and the default precision, against torch eager fp32).
# Environment: THREADS (2), STEPS (10), ROUNDS (1: repeat each case), PYTHON (/work/venv-torch/bin/python),
# VITTRAIN (.build/release/vittrain), CIFAR (the CIFAR-10 binary folder; synthetic images of the same size when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
STEPS=${STEPS:-10}
ROUNDS=${ROUNDS:-1}
PYTHON=${PYTHON:-/work/venv-torch/bin/python}
CIFAR=${CIFAR:-/work/shared/datasets/cifar-10-batches-bin}
VT=${VITTRAIN:-.build/release/vittrain}
[ -x "$VT" ] || swift build -c release --product vittrain
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(tiny base frozen gemm bf16)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ -d "$CIFAR" ]; then TINY_DATA=(--set "data.root=$CIFAR"); else TINY_DATA=(--set data.dataset=synthetic); fi
TINY_OURS=(--config Configs/cifar10-tiny.json "${TINY_DATA[@]}")
TINY_TORCH=(--arch vit-tiny --img-size 32 --patch-size 4 --embed-dim 192 --depth 12 --heads 3 --classes 10
            --batch 128 --drop-path 0.1)
# ViT-Base/16 at 224 on synthetic images (the data do not change the arithmetic).
BASE_OURS=(--config Configs/quickstart.json --batch 8 --set model.arch=vit-base --set model.img_size=224
           --set model.patch_size=16 --set model.embed_dim=768 --set model.depth=12 --set model.num_heads=12
           --set model.num_classes=10 --set data.train_count=64 --set data.val_count=8)
BASE_TORCH=(--arch vit-base --img-size 224 --patch-size 16 --embed-dim 768 --depth 12 --heads 12 --classes 10 --batch 8)
FROZEN=(--set freeze.patch_embed=true --set freeze.position_embedding=true --set freeze.blocks=8)

ours() {   # ours NAME ARGS...
  local name=$1; shift
  "$VT" bench --json --steps "$STEPS" --set "train.threads=$THREADS" "$@" > "$OUT/$name.json"
}
torch_() { # torch_ NAME ARGS...
  local name=$1; shift
  "$PYTHON" Scripts/bench_torch.py --json --steps "$STEPS" --threads "$THREADS" "$@" > "$OUT/$name.json"
}

for round in $(seq "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    echo "round $round: $c" >&2
    case $c in
      tiny)   ours "tiny-ours-$round" "${TINY_OURS[@]}"; torch_ "tiny-torch-$round" "${TINY_TORCH[@]}" ;;
      base)   ours "base-ours-$round" "${BASE_OURS[@]}"; torch_ "base-torch-$round" "${BASE_TORCH[@]}" ;;
      frozen) ours "frozen-ours-$round" "${BASE_OURS[@]}" "${FROZEN[@]}"
              ours "frozen-base-ours-$round" "${BASE_OURS[@]}"
              torch_ "frozen-torch-$round" "${BASE_TORCH[@]}" --frozen-blocks 8 ;;
      gemm)   "$VT" bench --gemm --json --set "train.threads=$THREADS" --config Configs/quickstart.json \
                > "$OUT/gemm-$round.json"
              ours "gemm-base-ours-$round" "${BASE_OURS[@]}" ;;
      bf16)   ours "bf16-ours-$round" "${TINY_OURS[@]}" --set train.matmul_precision=medium
              torch_ "bf16-torch32-$round" "${TINY_TORCH[@]}"
              torch_ "bf16-torch16-$round" "${TINY_TORCH[@]}" --bf16 ;;
      *) echo "unknown case $c (tiny, base, frozen, gemm, bf16)" >&2; exit 2 ;;
    esac
  done
done

"$PYTHON" - "$OUT" "$ROUNDS" "${CASES[@]}" <<'PY'
import json, os, sys
out, rounds, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def load(name, r):
    p = os.path.join(out, f"{name}-{r}.json")
    return json.load(open(p)) if os.path.exists(p) else None
rows = []
def row(case, ours, torch, unit, target):
    ratio = ours / torch if torch else float("nan")
    rows.append((case, f"{ours:.1f}", f"{torch:.1f}" if torch else "-", f"{ratio:.2f}x", target, unit))
for r in range(1, rounds + 1):
    tag = f" (round {r})" if rounds > 1 else ""
    if "tiny" in cases:
        o, t = load("tiny-ours", r), load("tiny-torch", r)
        row("ViT-Tiny 32/4 b128 train" + tag, o["train_images_per_second"]["median"], t["train_images_per_second"]["median"], "images/s", ">= 1.5x")
        row("ViT-Tiny 32/4 b128 eval" + tag, o["eval_images_per_second"]["median"], t["eval_images_per_second"]["median"], "images/s", ">= 1.5x")
        rows.append(("ViT-Tiny peak memory" + tag, f"{o['peak_resident_mb']:.0f}", f"{t['peak_resident_mb']:.0f}", f"{o['peak_resident_mb']/t['peak_resident_mb']:.2f}x", "<= 0.6x", "MB"))
    if "base" in cases:
        o, t = load("base-ours", r), load("base-torch", r)
        row("ViT-Base 224/16 b8 train" + tag, o["train_images_per_second"]["median"], t["train_images_per_second"]["median"], "images/s", ">= 1.6x")
        rows.append(("ViT-Base peak memory" + tag, f"{o['peak_resident_mb']:.0f}", f"{t['peak_resident_mb']:.0f}", f"{o['peak_resident_mb']/t['peak_resident_mb']:.2f}x", "<= 0.6x", "MB"))
    if "frozen" in cases:
        f, b, t = load("frozen-ours", r), load("frozen-base-ours", r), load("frozen-torch", r)
        row("ViT-Base 8 frozen vs our unfrozen" + tag, f["train_images_per_second"]["median"], b["train_images_per_second"]["median"], "images/s", ">= 1.8x")
        row("ViT-Base 8 frozen vs torch frozen" + tag, f["train_images_per_second"]["median"], t["train_images_per_second"]["median"], "images/s", "-")
        rows.append(("ViT-Base frozen peak memory" + tag, f"{f['peak_resident_mb']:.0f}", f"{t['peak_resident_mb']:.0f}", f"{f['peak_resident_mb']/t['peak_resident_mb']:.2f}x", "<= 0.6x", "MB"))
    if "gemm" in cases:
        g, b = load("gemm", r), load("gemm-base-ours", r)
        row("ViT-Base train GFLOP/s vs sgemm 1024^3" + tag, b["train_gflops"], g["gemm_gflops"], "GFLOP/s", "-")
        tiny = load("tiny-ours", r)
        if tiny:   # the issue's target is on ViT-Tiny: run the tiny case in the same call
            row("ViT-Tiny train GFLOP/s vs sgemm 1024^3" + tag, tiny["train_gflops"], g["gemm_gflops"], "GFLOP/s", ">= 0.75x")
    if "bf16" in cases:
        o, t32, t16 = load("bf16-ours", r), load("bf16-torch32", r), load("bf16-torch16", r)
        for kind, key, target in (("train", "train_images_per_second", ">= 1.5x"), ("eval", "eval_images_per_second", ">= 1.5x")):
            row(f"ViT-Tiny b128 {kind}, ours bf16 vs torch fp32" + tag, o[key]["median"], t32[key]["median"], "images/s", target)
            row(f"ViT-Tiny b128 {kind}, ours bf16 vs torch autocast bf16" + tag, o[key]["median"], t16[key]["median"], "images/s", "-")
w = [max(len(str(x[i])) for x in rows + [("case", "ours", "torch/ref", "ratio", "target", "unit")]) for i in range(6)]
for line in [("case", "ours", "torch/ref", "ratio", "target", "unit")] + rows:
    print(" | ".join(str(v).ljust(w[i]) for i, v in enumerate(line)))
PY
