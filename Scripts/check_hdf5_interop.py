"""Checks that h5py reads an HDF5 file written by vittrain's FileFormats module. The test
HDF5InteropTests.testSwiftWrittenFilesReadBackHereAndInH5py runs it with /usr/bin/python3 (Debian's
python3-h5py); by hand:
    mkdir -p /tmp/interop && VITTRAIN_INTEROP_DIR=/tmp/interop \
        swift test -c release --filter HDF5InteropTests/testSwiftWrittenFilesReadBackHereAndInH5py
    /work/venv-torch/bin/python Scripts/check_hdf5_interop.py /tmp/interop/swift_written.h5
"""
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "r") as f:
    assert f.attrs["format"] == "vittrain-checkpoint" and isinstance(f.attrs["format"], str), f.attrs["format"]
    assert f.attrs["config"] == '{"note": "ünïcødé"}', f.attrs["config"]
    assert f.attrs["epoch"] == 7 and f.attrs["epoch"].dtype == np.int64
    assert f.attrs["lr"] == 0.001
    assert list(f.attrs["losses"]) == [2.0, 1.5]
    assert list(f.attrs["steps"]) == [10, 20]
    w = f["model/blocks.0.attn.qkv.weight"]
    assert w.dtype == np.float32 and w.shape == (2, 3, 4) and w.compression == "gzip", (w.dtype, w.shape, w.compression)
    assert np.array_equal(w[...], np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert f["probe/labels"].dtype == np.uint8 and list(f["probe/labels"][...]) == [1, 2, 3]
    assert f["probe/labels"].attrs["unit"] == "nats"
    assert f["scalar"].shape == () and f["scalar"][()] == 0.5
print("h5py read", sys.argv[1], "OK")
