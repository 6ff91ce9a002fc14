"""Checks that vittrain and huggingface_hub share one cache, both ways, against the local Hub
stand-in (Scripts/hub_test_server.py) serving the interop fixture as test-org/tiny-vit:

  1. huggingface_hub downloads model.safetensors + config.json; `vittrain import --from hf:…`
     then finds them with HF_HUB_OFFLINE unset and makes no request (a cache hit);
  2. vittrain downloads into an empty cache; huggingface_hub then loads both files offline
     (HF_HUB_OFFLINE=1) and scan_cache_dir() reports the repository with no warnings.

Usage: /work/venv/bin/python Scripts/check_hub_cache_interop.py [.build/debug/vittrain]
Needs huggingface_hub (any virtualenv with transformers has it); not run by CI.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "interop", "hf")
REPO = "test-org/tiny-vit"


def hf(env, code):
    """Runs huggingface_hub in a fresh interpreter, since it reads HF_* once at import."""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("huggingface_hub failed: " + out.stderr.strip().splitlines()[-1])
    return out.stdout.strip()


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "vittrain")
    with tempfile.TemporaryDirectory() as tmp:
        port_file, log = os.path.join(tmp, "port"), os.path.join(tmp, "log")
        server = subprocess.Popen([sys.executable, os.path.join(ROOT, "Scripts", "hub_test_server.py"),
                                   "--repo", f"{REPO}={FIXTURE}", "--port-file", port_file, "--log", log,
                                   "--lifetime", "60"])
        try:
            for _ in range(200):
                if os.path.exists(port_file):
                    break
                time.sleep(0.05)
            endpoint = "http://127.0.0.1:" + open(port_file).read()
            base = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
            base.update(HF_ENDPOINT=endpoint, no_proxy="127.0.0.1,localhost", HF_HUB_DISABLE_TELEMETRY="1")

            # 1. Python first, vittrain reads its cache without a request.
            env = dict(base, HF_HOME=os.path.join(tmp, "python-first"))
            hf(env, "from huggingface_hub import hf_hub_download as d; "
                    f"[d('{REPO}', f) for f in ('model.safetensors', 'config.json')]")
            before = len(open(log).readlines())
            run = subprocess.run([binary, "import", "--from", f"hf:{REPO}", "--out", os.path.join(tmp, "a.h5")],
                                 env=env, capture_output=True, text=True)
            after = len(open(log).readlines())
            print(f"1. huggingface_hub cached it; vittrain import: exit {run.returncode}, "
                  f"{after - before} requests  {run.stdout.strip() or run.stderr.strip()}")
            ok1 = run.returncode == 0 and after == before

            # 2. vittrain first, huggingface_hub reads its cache offline.
            env = dict(base, HF_HOME=os.path.join(tmp, "vittrain-first"))
            run = subprocess.run([binary, "import", "--from", f"hf:{REPO}", "--out", os.path.join(tmp, "b.h5")],
                                 env=env, capture_output=True, text=True)
            report = json.loads(hf(dict(env, HF_HUB_OFFLINE="1"), (
                "import json; from huggingface_hub import hf_hub_download as d, scan_cache_dir; "
                f"paths = [d('{REPO}', f) for f in ('model.safetensors', 'config.json')]; "
                "info = scan_cache_dir(); "
                "print(json.dumps({'sizes': [len(open(p, 'rb').read()) for p in paths], "
                "'repos': [r.repo_id for r in info.repos], 'warnings': [str(w) for w in info.warnings], "
                "'files': sorted(f.file_name for r in info.repos for rev in r.revisions for f in rev.files), "
                "'refs': sorted(ref for r in info.repos for rev in r.revisions for ref in rev.refs)}))")))
            expected = [os.path.getsize(os.path.join(FIXTURE, f)) for f in ("model.safetensors", "config.json")]
            print(f"2. vittrain cached it (exit {run.returncode}); huggingface_hub offline: {report}")
            ok2 = (run.returncode == 0 and report["sizes"] == expected and report["repos"] == [REPO]
                   and not report["warnings"] and report["refs"] == ["main"]
                   and report["files"] == ["config.json", "model.safetensors"])
        finally:
            server.terminate()
            server.wait()
    print("cache interop:", "ok" if ok1 and ok2 else "FAILED")
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
