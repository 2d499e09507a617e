"""Speed benchmark: one command, the same way every time.

    python scripts/benchmark.py                 # full CPU run, writes benchmark.json
    python scripts/benchmark.py --quick         # smoke run (used by a slow test)
    python scripts/benchmark.py --device cuda --only ceiling,gpu_recipes
    python scripts/benchmark.py --markdown docs/benchmarks.md

Each area lives in scripts/benchmarks/<area>.py and exposes `run(quick, device) -> dict`.

Targets (issue #21), on any 2-core CPU of the development machine's size (results["targets"] says met or not):
  64 px GAN training step  >= 70 % of the all-core fp32 ceiling (ceiling.py measures it in the same run: the best
                           of torch's matmul and oneDNN's GEMM and 3x3 convolution)
  Lightning                <= 5 % slower than the bare PyTorch loop over the same step (median of adjacent pairs)
  swap, 64 px model        >= 25 fps end to end on 512x512 video with audio
  preprocess               >= 60 fps end to end on 512x512 video
With CUDA, gpu_recipes reports experiment=gpu_128 / gpu_256 (df, liae and variants): images/s and FLOP rate as a
fraction of the card's bf16 matmul rate measured in the same run; without, "no CUDA device".
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
AREAS = ["ceiling", "preprocess", "train", "train_options", "swap", "detectors", "generate_families", "gpu_recipes"]
# name -> (path into the results, ">=" or "<=", target)
TARGETS: dict[str, tuple[str, str, float]] = {
    "train 64 px GAN, % of the all-core fp32 ceiling": ("train.64px.gan.mfu_pct", ">=", 70.0),
    "Lightning over bare loop, %": ("train.64px.gan.lightning_overhead_pct_paired", "<=", 5.0),
    "swap 64 px, fps": ("swap.df64.fps", ">=", 25.0),
    "preprocess 512², fps": ("preprocess.default_dlib_fps", ">=", 60.0),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, for smoke tests")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--only", default=",".join(AREAS), help=f"comma-separated subset of {AREAS}")
    parser.add_argument("--out", default="benchmark.json", help="where to write the JSON results")
    parser.add_argument("--markdown", default=None, help="also write a Markdown table to this file")
    return parser.parse_args(argv)


def run_area(area: str, quick: bool, device: str) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    start = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.{area}")
        result = module.run(quick=quick, device=device)
    except Exception as exc:  # a broken area must not hide the others' numbers
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        rows = []
        for key, sub in value.items():
            rows += flatten(f"{prefix}.{key}" if prefix else str(key), sub)
        return rows
    return [(prefix, value)]


def check_targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target with its measured value (None when that area did not run) and whether it is met."""
    out = {}
    for name, (path, op, target) in TARGETS.items():
        value: Any = results
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        met = None if not isinstance(value, (int, float)) else (value >= target if op == ">=" else value <= target)
        out[name] = {"measured": value, "target": f"{op} {target:g}", "met": met}
    return out


def to_markdown(results: dict[str, Any]) -> str:
    lines = ["| measurement | value |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in flatten("", results)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    areas = [a.strip() for a in args.only.split(",") if a.strip()]
    unknown = sorted(set(areas) - set(AREAS))
    if unknown:
        print(f"error: unknown area(s) {unknown} — choose from {AREAS}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {"quick": args.quick}
    for area in areas:
        print(f"[benchmark] {area} ...", flush=True)
        results[area] = run_area(area, args.quick, args.device)
        print(json.dumps(results[area], indent=2, default=str), flush=True)
    results["targets"] = check_targets(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(out)
    print(to_markdown(results))
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(results))
    print(f"[benchmark] wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
