"""Where the 64 px GAN step's time goes: the convolutions' share of CPU time and their own FLOP rate.

"% of the fp32 ceiling" cannot say whether a slow step is slow convolutions or the work around them (issue
#21: the Xeon's 56 %). This profiles a few bare steps with torch.profiler and divides the convolutions'
counted FLOPs by their self time, so the answer comes from one command on whatever machine runs it. The
profiler adds a little time to every op, most to the many small ones, so `conv_share_pct` is a lower bound.
`onednn` names the oneDNN kernels that ran the step and their time (its verbose log over one step): where two
machines' convolutions run at different fractions of their fp32 ceiling, the kernel names say whether oneDNN
chose different implementations or ISAs for them.

    python scripts/benchmark.py --only train     (the `step_profile` entry)
    python scripts/benchmarks/step_profile.py --isa DEFAULT,AVX512_CORE,AVX2   (the step under each oneDNN ISA cap)

`--isa` runs the profile once per `ONEDNN_MAX_CPU_ISA` value, each in a fresh process (oneDNN reads it once), and
prints the step time, the convolutions' GFLOP/s and their kernels beside each other: whether a CPU's default
kernels are its fastest. (2-core Zen 4: DEFAULT and AVX512_CORE 190 GFLOP/s, AVX2 149; Zen 5: 374, 370, 202.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from typing import Any

CONV_OPS = ("aten::mkldnn_convolution", "aten::convolution_backward")  # forward, backward data + weights
CONV_FLOP_OPS = ("convolution", "convolution_backward")


def profile_step(module: Any, batches: list[Any], warmup: int = 2) -> dict[str, Any]:
    """Self CPU time by op over `len(batches) - warmup` bare steps: the convolutions' share and GFLOP/s, and the
    five dearest other ops (ms per step)."""
    from torch.profiler import ProfilerActivity, profile

    from benchmarks.steps import build_bare, step_flop_counts, to_memory_format

    counts = step_flop_counts(module, batches[0])
    flops = sum(n for op, n in counts.items() if op in CONV_FLOP_OPS)
    batches = to_memory_format(module, batches)
    step = build_bare(module, module.generator, module.discriminator)
    for batch in batches[:warmup]:
        step(batch)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for batch in batches[warmup:]:
            step(batch)
    steps = len(batches) - warmup
    kernels = onednn_kernels(step, batches[-1])
    self_us = {e.key: e.self_cpu_time_total for e in prof.key_averages()}  # µs of the calling thread
    total, conv = sum(self_us.values()), sum(self_us.get(op, 0.0) for op in CONV_OPS)
    others = sorted(((t, k) for k, t in self_us.items() if k not in CONV_OPS), reverse=True)[:5]
    return {
        "steps": steps,
        "conv_share_pct": round(100 * conv / total, 1),
        "conv_ms_per_step": round(conv / steps / 1e3, 1),
        "other_ms_per_step": round((total - conv) / steps / 1e3, 1),
        "conv_gflops": round(flops * steps / (conv / 1e6) / 1e9, 1),
        "dearest_other_ops_ms_per_step": {k: round(t / steps / 1e3, 2) for t, k in others},
        "onednn": kernels,
    }


def conv_flops(problem: str) -> float:
    """Multiply-adds x 2 of one oneDNN convolution problem ("mb8_ic3oc16_ih64oh32kh5..._iw64ow32kw5..."); the
    same count for forward, backward data and backward weights."""
    dims = {k: int(v) for k, v in re.findall(r"([a-z]+)(\d+)", problem)}
    if not {"mb", "ic", "oc", "oh", "ow"} <= dims.keys():
        return 0.0
    per_output = dims["ic"] // dims.get("g", 1) * dims.get("kh", 1) * dims.get("kw", 1) * dims.get("kd", 1)
    return 2.0 * dims["mb"] * dims["oc"] * dims["oh"] * dims["ow"] * dims.get("od", 1) * per_output


def parse_onednn_verbose(lines: list[str]) -> dict[str, Any]:
    """oneDNN verbose lines -> the ISA it reported, and ms and (convolutions) FLOPs by "<primitive>
    <implementation> <propagation>"."""
    isa, ms, flops = "", defaultdict(float), defaultdict(float)
    for line in lines:
        fields = line.split(",")
        if fields[:2] != ["onednn_verbose", "v1"]:
            continue
        if fields[2:4] == ["info", "cpu"] and len(fields) > 4 and fields[4].startswith("isa:"):
            isa = fields[4].removeprefix("isa:")
        elif fields[2:5] == ["primitive", "exec", "cpu"] and len(fields) > 8:
            key = f"{fields[5]} {fields[6]} {fields[7]}"
            ms[key] += float(fields[-1])
            flops[key] += conv_flops(fields[-2]) if fields[5] == "convolution" else 0.0
    return {"isa": isa, "ms": dict(ms), "flops": dict(flops)}


def onednn_kernels(step: Any, batch: Any, top: int = 8) -> dict[str, Any]:
    """The dearest oneDNN kernels of one (warm) step, with the convolutions' GFLOP/s, from oneDNN's verbose log
    (written to this process's stdout, so fd 1 goes to a temporary file meanwhile)."""
    import torch

    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+") as log:
        os.dup2(log.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                step(batch)
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        log.seek(0)
        parsed = parse_onednn_verbose(log.read().splitlines())
    kernels = {}
    for key, ms in sorted(parsed["ms"].items(), key=lambda kv: -kv[1])[:top]:
        flops = parsed["flops"][key]
        kernels[key] = {"ms": round(ms, 2), "gflops": round(flops / ms / 1e6, 1) if flops else None}
    return {"isa": parsed["isa"], "per_step": kernels}


def run_profile(cfg: Any, ceiling_gflops: float, steps: int = 5) -> dict[str, Any]:
    """The profile of the 64 px GAN step, with the convolutions' rate as a fraction of the run's ceiling."""
    from benchmarks.steps import build_module, make_batches

    out = profile_step(build_module(cfg, True), make_batches(cfg, steps + 2, int(cfg.train.batch_size)))
    out["conv_vs_ceiling_pct"] = round(100 * out["conv_gflops"] / ceiling_gflops, 1)
    return out


def profile_here(steps: int) -> dict[str, Any]:
    """This process's 64 px GAN step: median bare-loop seconds, then the profile (every core, as `trainer=cpu`)."""
    import torch

    from benchmarks.steps import build_module, compose_train, make_batches, median, time_bare
    from faceswap.commands.training_config import training_threads

    torch.set_num_threads(training_threads(0, "cpu", 1))
    cfg = compose_train(64, [])
    batches = make_batches(cfg, steps + 2, int(cfg.train.batch_size))
    seconds = median(time_bare(build_module(cfg, True), batches, 2))
    out = profile_step(build_module(cfg, True), batches)
    return {"s_per_step": round(seconds, 4), **out}


def compare_isas(isas: list[str], steps: int) -> dict[str, Any]:
    """`profile_here` in a fresh process per ONEDNN_MAX_CPU_ISA value ("DEFAULT": unset)."""
    results: dict[str, Any] = {}
    for isa in isas:
        env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
        if isa != "DEFAULT":
            env["ONEDNN_MAX_CPU_ISA"] = isa
        cmd = [sys.executable, __file__, "--child", "--steps", str(steps)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        lines = proc.stdout.strip().splitlines()
        results[isa] = json.loads(lines[-1]) if proc.returncode == 0 and lines else {"error": proc.stderr[-500:]}
    return results


if __name__ == "__main__":
    import argparse

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--isa", default="DEFAULT", help="comma-separated ONEDNN_MAX_CPU_ISA values")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(profile_here(args.steps)))
    else:
        print(json.dumps(compare_isas(args.isa.split(","), args.steps), indent=2))
