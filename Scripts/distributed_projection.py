#!/usr/bin/env python3
"""Projected data-parallel efficiency at 2, 8, 32 and 128 nodes (README "Distributed").

Inputs are two `vittrain bench --json` reports measured on this machine:
  --network  the distributed report of `mpirun -np 2 … vittrain bench` (bus bandwidth, latency)
  --compute  a single-process report (training GFLOP/s of one node)
Model: per-node step compute T_c = 3 × forward FLOPs × batch / GFLOP/s (backward ≈ 2 × forward);
ring allreduce T_ar(N) = 2(N−1)/N × gradient bytes / bus bandwidth + 2(N−1) × latency;
efficiency = T_c / (T_c + exposed), exposed = T_ar without overlap, or max(0, T_ar − backward)
with buckets overlapping the backward (≈ 2/3 of T_c), as vittrain's buckets do.
"""
import argparse
import json


def vit_forward_flops(dim, depth, mlp_ratio=4, image=224, patch=16):
    tokens = (image // patch) ** 2 + 1
    per_token = depth * (4 * dim * dim + 2 * mlp_ratio * dim * dim)  # qkv + proj + fc1 + fc2 MACs
    attention = depth * 2 * tokens * tokens * dim                    # q·k and attn·v MACs
    return 2 * (tokens * per_token + attention)


MODELS = {
    "ViT-Tiny/16 (5.7 M params)": (192, 12, 5_717_416),
    "ViT-B/16 (86.6 M params)": (768, 12, 86_567_656),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--network", required=True)
    parser.add_argument("--compute", required=True)
    parser.add_argument("--batch", type=int, default=64, help="images per node per step")
    args = parser.parse_args()
    network = json.load(open(args.network))
    compute = json.load(open(args.compute))
    bandwidth = network["bus_bandwidth_g_bs"] * 1e9
    latency = network["latency_us"] * 1e-6
    gflops = compute["train_gflops"]
    print(f"bus bandwidth {bandwidth / 1e9:.2f} GB/s, latency {latency * 1e6:.0f} µs, "
          f"{gflops:.1f} training GFLOP/s per node, batch {args.batch} per node\n")
    print("| model | step compute | 2 nodes | 8 nodes | 32 nodes | 128 nodes |")
    print("|---|---|---|---|---|---|")
    for name, (dim, depth, params) in MODELS.items():
        compute_s = 3 * vit_forward_flops(dim, depth) * args.batch / (gflops * 1e9)
        cells = []
        for n in (2, 8, 32, 128):
            allreduce = 2 * (n - 1) / n * params * 4 / bandwidth + 2 * (n - 1) * latency
            plain = compute_s / (compute_s + allreduce)
            overlapped = compute_s / (compute_s + max(0.0, allreduce - 2 / 3 * compute_s))
            cells.append(f"{100 * plain:.0f}% / {100 * overlapped:.0f}% ({allreduce:.2f} s)")
        print(f"| {name} | {compute_s:.1f} s | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
