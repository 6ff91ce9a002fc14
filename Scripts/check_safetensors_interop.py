"""Checks that the reference `safetensors` package reads a file written by vittrain. Usage:
    mkdir -p /tmp/interop && VITTRAIN_INTEROP_DIR=/tmp/interop \
        swift test -c release --filter HDF5InteropTests/testSwiftWrittenFilesReadBackHereAndInH5py
    /work/venv-torch/bin/python Scripts/check_safetensors_interop.py /tmp/interop/swift_written.safetensors
(The other direction, reading the reference package's output, is a committed fixture made by
Scripts/make_fileformats_fixtures.py and checked by SafetensorsTests.)
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

path = sys.argv[1]
tensors = load_file(path)
assert sorted(tensors) == ["cls_token", "empty", "head.weight"], sorted(tensors)
assert tensors["head.weight"].dtype == np.float32 and tensors["head.weight"].shape == (2, 3)
assert np.array_equal(tensors["head.weight"], np.arange(6, dtype=np.float32).reshape(2, 3) / 4)
assert np.array_equal(tensors["cls_token"], np.array([[[-1, 1e-8]]], dtype=np.float32))
assert tensors["empty"].shape == (0,)
with safe_open(path, framework="numpy") as f:
    assert f.metadata() == {"format": "pt", "note": "ünïcødé"}, f.metadata()
print("safetensors read", path, "OK")
