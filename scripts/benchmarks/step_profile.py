"""Where the 64 px GAN step's time goes: the convolutions' share of CPU time and their own FLOP rate.

"% of the matmul ceiling" cannot say whether a slow step is slow convolutions or the work around them (issue
#21: the Xeon's 56 %). This profiles a few bare steps with torch.profiler and divides the convolutions'
counted FLOPs by their self time, so the answer comes from one command on whatever machine runs it. The
profiler adds a little time to every op, most to the many small ones, so `conv_share_pct` is a lower bound.

    python scripts/benchmark.py --only train     (the `step_profile` entry)
"""

from __future__ import annotations

from typing import Any

CONV_OPS = ("aten::mkldnn_convolution", "aten::convolution_backward")  # forward, backward data + weights
CONV_FLOP_OPS = ("convolution", "convolution_backward")


def profile_step(module: Any, batches: list[Any], warmup: int = 2) -> dict[str, Any]:
    """Self CPU time by op over `len(batches) - warmup` bare steps: the convolutions' share and GFLOP/s, and the
    five dearest other ops (ms per step)."""
    from torch.profiler import ProfilerActivity, profile

    from benchmarks.train import build_bare, step_flop_counts, to_memory_format

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
    }


def run_profile(cfg: Any, ceiling_gflops: float, steps: int = 5) -> dict[str, Any]:
    """The profile of the 64 px GAN step, with the convolutions' rate as a fraction of the run's ceiling."""
    from benchmarks.train import build_module, make_batches

    out = profile_step(build_module(cfg, True), make_batches(cfg, steps + 2, int(cfg.train.batch_size)))
    out["conv_vs_matmul_pct"] = round(100 * out["conv_gflops"] / ceiling_gflops, 1)
    return out
