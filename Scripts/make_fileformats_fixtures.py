"""Writes the small HDF5 fixture that FileFormatsTests reads: a file made by h5py, as users' own
datasets and checkpoints inspected in Python would be. Run from the repository root:
    /work/venv-torch/bin/python Scripts/make_fileformats_fixtures.py
"""
import os

import h5py
import numpy as np

OUT = os.path.join("Tests", "Fixtures", "FileFormats")
os.makedirs(OUT, exist_ok=True)

path = os.path.join(OUT, "h5py_written.h5")
with h5py.File(path, "w") as f:
    f.attrs["format"] = "made-by-h5py"                 # variable-length UTF-8 str
    f.attrs["fixed"] = np.bytes_(b"fixed-ascii")       # fixed-length ASCII string
    f.attrs["count"] = np.int32(42)
    f.attrs["scale"] = np.float32(0.5)
    f.attrs["history"] = np.array([1.0, 0.5, 0.25])
    # 4 images of 2x2 RGB, value = 10*n + 3*(y*2+x) + channel
    images = np.array([[[[10 * n + 3 * (y * 2 + x) + c for c in range(3)] for x in range(2)]
                        for y in range(2)] for n in range(4)], dtype=np.uint8)
    f.create_dataset("images", data=images, chunks=(1, 2, 2, 3), compression="gzip", compression_opts=6)
    f.create_dataset("labels", data=np.array([3, 1, 4, 1], dtype=np.int64))
    f.create_dataset("half", data=np.array([1.5, -2.0, 0.099975586], dtype=np.float16))
    f.create_dataset("group/sub/x", data=np.arange(6, dtype=np.float32).reshape(2, 3))
    # Compressible enough that the (optional) LZF filter is really applied to the chunks.
    f.create_dataset("lzf", data=np.zeros(10000, dtype=np.float32), compression="lzf")
    f.create_dataset("names", data=np.array([b"cat", b"dog"]))
print("wrote", path)

# A safetensors file written by the reference implementation, with F32, F16 and BF16 tensors.
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

st_path = os.path.join(OUT, "reference.safetensors")
save_file({
    "head.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4,       # 0, .25, ..., 1.25
    "blocks.0.norm1.weight": torch.tensor([1.0, -2.5, 65504.0], dtype=torch.float16),
    "pos_embed": torch.tensor([[[0.15625, -3.0e38, 1.0]]], dtype=torch.bfloat16),  # shape [1, 1, 3]
    "cls_token": torch.zeros(1, 1, 0),                                              # empty
}, st_path, metadata={"format": "pt", "note": "made by safetensors.torch"})
print("wrote", st_path)
