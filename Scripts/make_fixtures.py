#!/usr/bin/env python3
"""Regenerates the test fixtures under Tests/Fixtures from PyTorch / timm references.

Usage (from the repository root):
    python3 Scripts/make_fixtures.py                # every module in Scripts/fixtures/
    python3 Scripts/make_fixtures.py model_parity   # only the named modules

Python is only a fixture generator: torch is never a runtime or test dependency. If the running
interpreter lacks torch/timm/safetensors/h5py/numpy, the script creates a throwaway venv
    python3 -m venv /tmp/vittrain-fixtures-venv
    /tmp/vittrain-fixtures-venv/bin/pip install torch timm safetensors h5py numpy transformers
and re-runs itself with it. Set VITTRAIN_FIXTURES_PYTHON to use an existing interpreter instead.

Every module in Scripts/fixtures/ (not starting with "_") writes its files into out_dir: one that
defines `main(out_dir)` is imported and called; any other is run as a script with out_dir as its
first argument. The results are committed, so tests never need Python.
"""
import importlib.util
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE_MODULES = os.path.join(ROOT, "Scripts", "fixtures")
OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures")
VENV = "/tmp/vittrain-fixtures-venv"
REQUIREMENTS = ["torch", "timm", "safetensors", "h5py", "numpy", "transformers"]


def have_requirements():
    return all(importlib.util.find_spec(name) is not None for name in REQUIREMENTS)


def reexec_with_venv():
    python = os.environ.get("VITTRAIN_FIXTURES_PYTHON")
    if not python:
        python = os.path.join(VENV, "bin", "python")
        if not os.path.exists(python):
            subprocess.check_call([sys.executable, "-m", "venv", VENV])
            subprocess.check_call([python, "-m", "pip", "install", "--quiet"] + REQUIREMENTS)
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        sys.exit("the interpreter %s lacks one of %s" % (python, REQUIREMENTS))
    os.execv(python, [python] + sys.argv)


def load_module(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location("fixtures_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return name, module


def main():
    if not have_requirements():
        reexec_with_venv()
    wanted = set(sys.argv[1:])
    os.makedirs(OUT_DIR, exist_ok=True)
    files = sorted(f for f in os.listdir(FIXTURE_MODULES) if f.endswith(".py") and not f.startswith("_"))
    ran = []
    for file in files:
        name = os.path.splitext(file)[0]
        if wanted and name not in wanted:
            continue
        path = os.path.join(FIXTURE_MODULES, file)
        print("fixtures: %s" % name, flush=True)
        with open(path) as source:
            has_main = "\ndef main(" in source.read()
        if has_main:
            load_module(path)[1].main(OUT_DIR)
        else:
            subprocess.check_call([sys.executable, path, OUT_DIR])
        ran.append(name)
    missing = wanted - set(ran)
    if missing:
        sys.exit("no fixture module named %s in %s" % (sorted(missing), FIXTURE_MODULES))


if __name__ == "__main__":
    main()
