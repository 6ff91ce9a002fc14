"""Opens every HDF5 file of a vittrain run directory with h5py (no torch needed) and reads all of
it: every attribute and dataset. Checkpoints must carry format "vittrain-checkpoint" and float32
`model/` datasets; the attention record must carry format "vittrain-attention-record". The kill
soak (Tests/CLITests/KillSoakTests.swift) runs it after every SIGKILL.

Usage: python Scripts/check_run_dir_h5py.py RUN_DIR   (prints one line; exit 1 on a problem)
Temporary files of interrupted writes (".name.tmp-…") are skipped: they are not part of the run.
"""
import os
import sys

import h5py
import numpy as np


def read_all(f):
    """Reads every attribute and dataset; returns the number of datasets."""
    count = 0
    for value in f.attrs.values():
        _ = value
    def visit(name, obj):
        nonlocal count
        for value in obj.attrs.values():
            _ = value
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            if data.dtype.kind == "f" and data.size and not np.isfinite(data).all():
                raise ValueError(f"{name} holds NaN or infinity")
            count += 1
    f.visititems(visit)
    return count


def check(path):
    name = os.path.basename(path)
    with h5py.File(path, "r") as f:
        datasets = read_all(f)
        fmt = f.attrs.get("format")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if name == "attention_record.h5":
            if fmt != "vittrain-attention-record":
                raise ValueError(f"format attribute is {fmt!r}")
        else:
            if fmt != "vittrain-checkpoint":
                raise ValueError(f"format attribute is {fmt!r}")
            for key in ("version", "config", "epoch", "step"):
                if key not in f.attrs:
                    raise ValueError(f"root attribute {key!r} missing")
            bad = [k for k in f["model"] if f["model"][k].dtype != np.float32]
            if bad:
                raise ValueError(f"model/{bad[0]} is {f['model'][bad[0]].dtype}, expected float32")
    return datasets


def main(directory):
    files = sorted(n for n in os.listdir(directory) if n.endswith(".h5") and not n.startswith("."))
    total = 0
    for name in files:
        try:
            total += check(os.path.join(directory, name))
        except Exception as error:  # one line naming the file, as vittrain's own messages
            print(f"h5py: {os.path.join(directory, name)}: {error}".replace("\n", " "))
            return 1
    print(f"h5py: {len(files)} files, {total} datasets read")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
