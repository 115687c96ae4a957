#!/usr/bin/env python3
"""meshgate benchmark: products/s, wall time and peak memory on synthetic meshes.

For 1k and 10k products (bench/gen_mesh.py), with 1 and 2 threads, it times
`meshgate check --parse-only` (discover + read + parse: the baseline) and the
full `meshgate check` with the shipped policy library (best of --runs), and
reports peak RSS; `check` uses the default evaluator (the interpreter), `check-vm`
`--evaluator vm`. With the Go OPA engine available (bench/opa_eval.py), it
also evaluates the same policies on the same parsed inputs
(`meshgate inspect --bundle`) and compares evaluation time.

usage: bench/run.py [--sizes 1000,10000] [--runs 3] [--no-opa]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "meshgate"
WORK = ROOT / "target" / "bench"


def timed(args):
    """Run, return (wall seconds, peak RSS MiB) measured by /usr/bin/time."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        sys.exit(f"failed ({p.returncode}): {' '.join(args)}\n{p.stderr[-2000:]}")
    rss_kb = int(p.stderr.strip().splitlines()[-1])
    return wall, rss_kb / 1024


def best(args, runs):
    results = [timed(args) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-opa", action="store_true")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print(f"{'products':>8} {'mode':<10} {'threads':>7} {'wall s':>8} {'products/s':>11} {'peak MiB':>9}")
    for n in [int(s) for s in a.sizes.split(",")]:
        mesh = WORK / f"mesh-{n}"
        if not mesh.is_dir():
            subprocess.run([sys.executable, str(ROOT / "bench" / "gen_mesh.py"), str(n), str(mesh)], check=True)
        rows = {}
        for mode, extra in [("parse-only", ["--parse-only"]), ("check", []), ("check-vm", ["--evaluator", "vm"])]:
            for threads in (1, 2):
                args = [str(BIN), "check", str(mesh), "--format", "json", "--output", "/dev/null", "--threads", str(threads), *extra]
                wall, rss = best(args, a.runs)
                rows[(mode, threads)] = wall
                print(f"{n:>8} {mode:<10} {threads:>7} {wall:>8.3f} {n / wall:>11.0f} {rss:>9.1f}", flush=True)
        for mode in ("check", "check-vm"):
            for t in (1, 2):
                ratio = rows[(mode, t)] / rows[("parse-only", t)]
                print(f"{n:>8} {mode} / parse-only ({t} thread{'s' if t > 1 else ''}): {ratio:.2f}x")
            print(f"{n:>8} {mode} speed-up 1 -> 2 threads: {rows[(mode, 1)] / rows[(mode, 2)]:.2f}x")
        eval_1 = rows[("check", 1)] - rows[("parse-only", 1)]
        eval_vm = rows[("check-vm", 1)] - rows[("parse-only", 1)]
        print(f"{n:>8} meshgate evaluation only (check - parse-only, 1 thread): {eval_1:.3f} s interpreter, {eval_vm:.3f} s vm")
        if not a.no_opa:
            bundle = WORK / f"bundle-{n}.json"
            with open(bundle, "w") as f:
                subprocess.run([str(BIN), "inspect", "--bundle", str(mesh)], stdout=f, check=True)
            p = subprocess.run([sys.executable, str(ROOT / "bench" / "opa_eval.py"), "--timing-only", str(bundle)], capture_output=True, text=True)
            if p.returncode == 77:
                print(f"{n:>8} Go OPA: {p.stdout.strip() or p.stderr.strip()}")
            elif p.returncode != 0:
                print(f"{n:>8} Go OPA failed: {p.stderr[-500:]}")
            else:
                t = json.loads(p.stdout)["timing"]
                print(f"{n:>8} Go OPA evaluation (same policies, same parsed inputs, 1 thread): {t['eval_seconds']:.3f} s ({t['products_per_second']:.0f} products/s)")
                print(f"{n:>8} meshgate evaluation vs Go OPA: {t['eval_seconds'] / max(eval_1, 1e-9):.2f}x faster (interpreter), {t['eval_seconds'] / max(eval_vm, 1e-9):.2f}x (vm)")


if __name__ == "__main__":
    main()
