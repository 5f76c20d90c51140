#!/usr/bin/env python3
"""The GPU path's dry run, on a machine without a GPU (CTest gpu.bundle_dry_run; issue 14: "the packaging step and
the bundle's self-containment check run in the test suite here, so the GPU path cannot rot between GPU runs").

1. `tools/gpu-verify pack` into <build>/gpu-bundle (its own build tree <source>/build-gpu-bundle: sm_90, portable
   x86-64): builds, stages, checks every binary's libraries resolve to the bundle or to what the device provides,
   runs every gpu test binary (each test must skip with "no CUDA device"), lists the CUDA benchmarks, runs the
   report's CUDA rows, archives.
2. `tools/gpu-verify run --dry-run` on that archive, exactly as on the device but without nvidia-smi: every stage
   runs, the results JSON is complete, and the verdict is "vacuous" (exit 3), never "passed".
3. The check catches what it exists for: a bundle with a carried library removed, and one whose binary was
   changed after the manifest, both fail `check-bundle`.

usage: gpu_bundle_dry_run.py <build dir> [--no-build]
"""

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "gpu-verify"


def fail(msg: str) -> None:
    print(f"gpu_bundle_dry_run: FAIL: {msg}", flush=True)
    sys.exit(1)


def main() -> int:
    build = Path(sys.argv[1]).resolve()
    dest = build / "gpu-bundle"
    # The bundle's build tree sits beside the source tree's build/ (ROOT/build-gpu-bundle, pack's default), at the
    # same depth, so ccache (base_dir) reuses every translation unit whose flags match the main build's.
    pack = [sys.executable, str(TOOL), "pack", "--build", str(ROOT / "build-gpu-bundle"), "--dest", str(dest),
            "--jobs", "2"]
    if "--no-build" in sys.argv:
        pack.append("--no-build")
    print("$ " + " ".join(pack), flush=True)
    if subprocess.run(pack).returncode != 0:
        fail("tools/gpu-verify pack failed")
    manifest = json.loads((dest / "manifest.json").read_text())
    tests = [t for b in manifest["binaries"] if b["kind"] == "test" for t in b["tests"]]
    families = sorted(b["family"] for b in manifest["binaries"] if b["kind"] == "test")
    sanitizer = {b["family"]: b["sanitizer_tests"] for b in manifest["binaries"] if b["kind"] == "test"}
    print(f"bundle: {len(tests)} gpu tests, families {families}, archive "
          f"{(dest / 'seqref-gpu-bundle.tar.xz').stat().st_size / 2**20:.1f} MiB", flush=True)
    if len(families) < 9 or any(not v for v in sanitizer.values()):
        fail(f"every CUDA family needs a test binary with a *Sanitizer* case: {sanitizer}")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "run"
        run = [sys.executable, str(TOOL), "run", "--dest", str(dest), "--dry-run", "--workdir", str(work)]
        print("$ " + " ".join(run), flush=True)
        rc = subprocess.run(run).returncode
        result = json.loads((work / "gpu-verify.json").read_text())
        if rc != 3 or result.get("exit_code") != 3 or result.get("ok"):
            fail(f"a run without a GPU must be vacuous (exit 3), got exit {rc}, ok={result.get('ok')}")
        got = result["tests"]
        if sorted(got) != sorted(tests):
            fail(f"results for {len(got)} tests, the manifest lists {len(tests)}")
        # without a device a gpu test skips with "no CUDA device", or passes if it checks the no-device path
        # (argument checks, "throws without a device"); none fails
        odd = [t for t, v in got.items() if not (v["status"] == "passed" or (
            v["status"] == "skipped" and "no CUDA device" in (v.get("detail") or "")))]
        skipped = sum(v["status"] == "skipped" for v in got.values())
        if odd or skipped < len(got) - 5:
            fail(f"without a device gpu tests skip with 'no CUDA device': odd {odd[:5]}, {skipped} of {len(got)} skipped")
        runs = result["sanitizer"]["runs"]
        if len(runs) != 2 * len(families) or any(not r["status"].startswith("unavailable") for r in runs):
            fail(f"one memcheck and one racecheck run per family, 'unavailable' here: {runs}")
        rows = result["report"]["rows"]
        if not rows or any(r["backend"] != "cuda" or r["status"] != "skipped" for r in rows):
            fail(f"the report's CUDA rows, each skipped without a device: {rows[:3]}")
        benches = result["bench"]["binaries"]
        if not benches or any(b["status"] != "ran" for b in benches.values()):
            fail(f"every bench binary with CUDA benchmarks runs (each benchmark skips): {benches}")
        if "peers" in result and result["peers"].get("status") not in ("ran",) and \
                not str(result["peers"].get("status", "")).startswith("not in the bundle"):
            fail(f"peers: {result['peers']}")
        print(f"dry run: {result['counts']}, sanitizer {result['sanitizer']['status']}, {len(rows)} report rows, "
              f"bench {sorted(benches)}, peers {result.get('peers', {}).get('status')}, "
              f"stages {result['stages']}", flush=True)

        # 3. the check must fail on a broken bundle
        for breakage in ("remove a carried library", "change a binary after the manifest"):
            broken = Path(tmp) / "broken"
            shutil.rmtree(broken, ignore_errors=True)
            with tarfile.open(dest / "seqref-gpu-bundle.tar.xz") as tar:
                tar.extractall(broken)
            stage = broken / "bundle"
            if breakage.startswith("remove"):
                # the library and its manifest entry: only the resolution check (ldd: it now resolves to Debian's
                # copy outside the bundle, which the GPU machine does not have) can catch it
                victim = next(p for p in (stage / "lib").iterdir() if p.name.startswith("libbenchmark"))
                victim.unlink()
                m = json.loads((stage / "manifest.json").read_text())
                m["files"] = [f for f in m["files"] if f["path"] != f"lib/{victim.name}"]
                (stage / "manifest.json").write_text(json.dumps(m))
            else:
                victim = next((stage / "bin").glob("*_cuda_test"))
                with open(victim, "ab") as f:
                    f.write(b"\0")
            with tarfile.open(broken / "seqref-gpu-bundle.tar.xz", "w:xz", preset=0) as tar:
                tar.add(stage, arcname="bundle")
            r = subprocess.run([sys.executable, str(TOOL), "check-bundle", "--dest", str(broken), "--quick"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                fail(f"check-bundle passed a bundle after: {breakage} ({victim.name})")
            print(f"check-bundle refuses a bundle after '{breakage}': {r.stderr.strip().splitlines()[0]}")
            if breakage.startswith("remove") and "not to the bundle" not in r.stderr:
                fail(f"the removed library was not caught by the resolution check: {r.stderr}")
    print("gpu_bundle_dry_run: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
