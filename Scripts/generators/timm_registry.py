#!/usr/bin/env python3
"""Writes Sources/Models/TimmRegistry.generated.swift: timm's registered ViT names and the
VisionTransformer arguments each entry point passes, captured by calling the entry points with
the model factories replaced by a recorder (so the table is timm's own, not retyped).

Usage: /path/to/venv/bin/python Scripts/generators/timm_registry.py   (needs timm; torch only to import it)
Names whose arguments vittrain cannot build (qk_norm, SwiGLU, RoPE, hybrid stems, …) are left out,
and the file lists how many were left out and why.
"""
import inspect
import os
import sys

import torch.nn as nn
import timm
import timm.models.vision_transformer as vt
import timm.models.deit as deit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Sources", "Models", "TimmRegistry.generated.swift")
PATTERNS = ["vit_*", "deit_*", "deit3_*"]

SUPPORTED = {"img_size", "patch_size", "embed_dim", "depth", "num_heads", "mlp_ratio", "qkv_bias",
             "init_values", "class_token", "no_embed_class", "reg_tokens", "pre_norm", "fc_norm",
             "global_pool", "norm_layer", "act_layer", "num_classes", "in_chans",
             # accepted and ignored: they change nothing at a fixed input size, or only the init
             "dynamic_img_size", "weight_init", "dynamic_img_pad"}


class Captured(Exception):
    pass


def capture(name):
    record = {}

    def create_vit(variant, pretrained=False, **kwargs):
        record.update(kwargs, _distilled=False)
        raise Captured

    def create_deit(variant, pretrained=False, distilled=False, **kwargs):
        record.update(kwargs, _distilled=distilled)
        raise Captured

    vt._create_vision_transformer, deit._create_vision_transformer = create_vit, create_vit
    deit._create_deit = create_deit
    entry = timm.models.model_entrypoint(name)
    if entry.__module__ not in (vt.__name__, deit.__name__):
        return {"_error": "another model class"}     # never build them: some are huge
    try:
        entry(pretrained=False)
    except Captured:
        return record
    except Exception as e:      # entry points of other model classes
        return {"_error": repr(e)}
    return {"_error": "did not reach a ViT factory"}


def eps_of(norm_layer):
    if norm_layer is None:
        return 1e-6                                  # timm's default partial(LayerNorm, eps=1e-6)
    if norm_layer is nn.LayerNorm:
        return 1e-5
    func = getattr(norm_layer, "func", None)
    if func is not None and issubclass(func, nn.LayerNorm):
        return norm_layer.keywords.get("eps", 1e-5)
    if inspect.isclass(norm_layer) and issubclass(norm_layer, nn.LayerNorm):
        return inspect.signature(norm_layer.__init__).parameters["eps"].default
    return None


ACTIVATIONS = {None: "gelu", "gelu": "gelu", "quick_gelu": "quickGELU", "gelu_tanh": "geluTanh"}


def swift_entry(name, a):
    unsupported = sorted(k for k in a if not k.startswith("_") and k not in SUPPORTED)
    if unsupported:
        return None, "arguments " + ",".join(unsupported)
    act = a.get("act_layer")
    act = act if isinstance(act, str) or act is None else getattr(act, "__name__", str(act))
    act = {"GELU": "gelu", "QuickGELU": "quick_gelu", "GELUTanh": "gelu_tanh"}.get(act, act)
    if act not in ACTIVATIONS:
        return None, "act_layer " + str(act)
    eps = eps_of(a.get("norm_layer"))
    if eps is None:
        return None, "norm_layer " + str(a.get("norm_layer"))
    pool = a.get("global_pool", "token")
    if pool not in ("token", "avg", "map"):
        return None, "global_pool " + repr(pool)
    # build_model_with_cfg fills img_size and num_classes from the default pretrained_cfg
    cfg = timm.models.get_pretrained_cfg(name)
    img = a.get("img_size", cfg.input_size[-1] if cfg is not None else 224)
    classes = a.get("num_classes", cfg.num_classes if cfg is not None else 1000)
    patch = a.get("patch_size", 16)
    if isinstance(img, (tuple, list)) or isinstance(patch, (tuple, list)):
        return None, "non-square size"
    fields = [
        f"imageSize: {img}", f"patchSize: {patch}", f"numClasses: {classes}", f"embedDim: {a.get('embed_dim', 768)}",
        f"depth: {a.get('depth', 12)}", f"numHeads: {a.get('num_heads', 12)}",
        f"mlpRatio: {float(a.get('mlp_ratio', 4.0))!r}", f"qkvBias: {str(a.get('qkv_bias', True)).lower()}",
        f"layerNormEps: {eps!r}", f"classToken: {str(a.get('class_token', True)).lower()}",
        f"registerTokens: {a.get('reg_tokens', 0)}", f"distilled: {str(a['_distilled']).lower()}",
        f"noEmbedClass: {str(a.get('no_embed_class', False)).lower()}", f"globalPool: .{pool}",
    ]
    if a.get("fc_norm") is not None:
        fields.append(f"fcNorm: {str(a['fc_norm']).lower()}")
    if a.get("pre_norm"):
        fields.append("preNorm: true")
    if a.get("init_values") is not None:
        fields.append(f"layerScaleInit: {float(a['init_values'])!r}")
    if ACTIVATIONS[act] != "gelu":
        fields.append(f"activation: .{ACTIVATIONS[act]}")
    return f'        ("{name}", ViTConfig({", ".join(fields)})),', None


def main():
    names = sorted(set(n for p in PATTERNS for n in timm.list_models(p)))
    lines, skipped = [], {}
    for name in names:
        a = capture(name)
        if "_error" in a:
            skipped.setdefault("not a plain ViT factory", []).append(name)
            continue
        line, why = swift_entry(name, a)
        if line is None:
            skipped.setdefault(why, []).append(name)
        else:
            lines.append(line)
    left_out = "\n".join(f"// - {why}: {len(v)} ({', '.join(v[:3])}{', …' if len(v) > 3 else ''})"
                         for why, v in sorted(skipped.items()))
    text = f"""// GENERATED by Scripts/generators/timm_registry.py from timm {timm.__version__}; do not edit.
// timm's registered ViT names with the VisionTransformer arguments their entry points pass
// ({len(lines)} names). Left out, with the reason (vittrain cannot build them yet):
{left_out}

extension TimmRegistry {{
    static let entries: [(name: String, config: ViTConfig)] = [
{chr(10).join(lines)}
    ]
}}
"""
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}: {len(lines)} names, {sum(map(len, skipped.values()))} left out")


if __name__ == "__main__":
    main()
