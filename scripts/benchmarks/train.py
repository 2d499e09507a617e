"""Training speed: images/s, model FLOPs per step against the all-core fp32 ceiling (ceiling.py: the best of
torch's matmul and oneDNN's GEMM and 3x3 convolution; the run's best, and the best just before and after each
timing: a VM's clock and neighbours vary), Lightning vs a bare PyTorch loop over
the same networks and batches, the data pipeline against what the step consumes, the step on 1 thread vs all
cores (the GPU recipes: gpu_recipes.py).

    python scripts/benchmark.py --only train            (or: python scripts/benchmarks/train.py)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.steps import (
    alternating_pairs,
    build_module,
    compose_train,
    make_batches,
    median,
    step_flops,
    time_bare,
    time_lightning,
)


def data_rate(cfg: Any, batch_size: int, batches: int, workers: int) -> float:
    """Training images/s the DataLoader delivers with `workers` workers (loading + augmentation, both sides)."""
    from faceswap.commands import training_config as build

    dm = build.build_datamodule(cfg, list(cfg.data.pair))
    dm.batch_size, dm.num_workers = batch_size, workers
    loader = iter(dm.train_dataloader())
    next(loader)  # worker start-up is not throughput
    start = time.perf_counter()
    for _ in range(batches):
        next(loader)
    return 2 * batch_size * batches / (time.perf_counter() - start)


def paired_rounds(
    cfg: Any, gan: bool, batches: list[Any], warmup: int, rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """Bare and Lightning step times in `rounds` adjacent pairs, the order alternating (`alternating_pairs`).
    Returns every bare time, every Lightning time, and each pair's ratio of medians (Lightning / bare)."""
    timed = alternating_pairs(
        {
            "bare": lambda: time_bare(build_module(cfg, gan), batches, warmup),
            "lightning": lambda: time_lightning(build_module(cfg, gan), batches, warmup),
        },
        rounds,
    )
    ratios = [median(light) / median(bare) for bare, light in zip(timed["bare"], timed["lightning"], strict=True)]
    return [t for block in timed["bare"] for t in block], [t for block in timed["lightning"] for t in block], ratios


def bench_resolution(resolution: int, quick: bool, ceiling: Any) -> dict[str, Any]:
    """Both loops at one resolution, with and without the GAN; `ceiling()` probes the all-core fp32 ceiling now."""
    cfg = compose_train(resolution, [])
    batch = int(cfg.train.batch_size)
    warmup, steps = (2, 6) if quick else (2, 16 if resolution <= 64 else 10)
    batches = make_batches(cfg, warmup + steps, batch)
    out: dict[str, Any] = {"batch_size": batch, "params_g_M": None}
    for gan in (False, True):
        module = build_module(cfg, gan)
        out["params_g_M"] = round(sum(p.numel() for p in module.generator.parameters()) / 1e6, 2)
        flops = step_flops(module, batches[0])
        before = ceiling()  # the ceiling in the minutes of this configuration's timing (the clock may vary)
        rounds = 2 if quick or resolution > 64 else 4
        bare_times, light_times, ratios = paired_rounds(cfg, gan, batches, warmup, rounds)
        tag = "gan" if gan else "rec"
        # min = the step with the least interference from other processes (this box is shared); median as well
        bare, light = min(bare_times), min(light_times)
        out[tag] = {
            "gflop_per_step": round(flops / 1e9, 2),
            "bare_s_per_step": round(bare, 4),
            "lightning_s_per_step": round(light, 4),
            "lightning_overhead_pct": round(100 * (light / bare - 1), 1),
            "lightning_overhead_pct_median": round(100 * (median(light_times) / median(bare_times) - 1), 1),
            "lightning_overhead_pct_paired": round(100 * (median(ratios) - 1), 1),  # the target's figure
            "lightning_overhead_pct_by_pair": [round(100 * (r - 1), 1) for r in ratios],
            "images_per_s": round(2 * batch / light, 1),
            "images_per_s_median": round(2 * batch / median(light_times), 1),
            "model_gflops": round(flops / light / 1e9, 1),
        }
        adjacent = max(before, ceiling())  # re-measured after the timing as well
        out[tag]["ceiling_gflops_adjacent"] = round(adjacent, 1)
        out[tag]["mfu_vs_adjacent_pct"] = round(100 * out[tag]["model_gflops"] / adjacent, 1)
    from faceswap.commands.training_config import loader_workers

    workers = loader_workers(cfg)  # 0 on 2 CPUs: the rate of loading in the training process
    delivered = data_rate(cfg, batch, 4 if quick else 12, workers)
    consumed = out["gan"]["images_per_s"]
    out["channels_last"] = bool(cfg.trainer.channels_last)
    out["data"] = {
        "workers": workers,
        "images_per_s": round(delivered, 1),
        "ratio_to_step": round(delivered / consumed, 2),
    }
    return out


def thread_scaling(cfg: Any, cpus: int, steps: int) -> dict[str, Any]:
    """The 64 px GAN step (bare loop) on 1 intra-op thread and on all cores, interleaved in the same minute so a
    shared machine's load hits both alike (issue #21: 0.87 s vs 0.54 s on a 2-core EPYC)."""
    batches = make_batches(cfg, steps + 2, int(cfg.train.batch_size))
    times: dict[int, list[float]] = {1: [], cpus: []}
    for _ in range(2):
        for threads in times:
            torch.set_num_threads(threads)
            times[threads] += time_bare(build_module(cfg, True), batches, 2)
    torch.set_num_threads(cpus)
    one, every = median(times[1]), median(times[cpus])
    return {"threads_1_s": round(one, 4), f"threads_{cpus}_s": round(every, 4), "speedup": round(one / every, 2)}


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    from benchmarks.ceiling import fp32_rates
    from faceswap.commands.training_config import training_threads

    threads = training_threads(0, "cpu", 1)  # as trainer=cpu with threads=0: every core
    torch.set_num_threads(threads)
    probes: list[dict[str, float]] = []

    def ceiling() -> float:
        """All-core fp32 ceiling now (best of the ceiling kernels); the best of all calls is the run's ceiling."""
        probes.append(fp32_rates(0.25, threads))
        return max(probes[-1].values())

    ceiling()
    result: dict[str, Any] = {"threads": threads}
    for resolution in (64,) if quick else (64, 128):
        result[f"{resolution}px"] = bench_resolution(resolution, quick, ceiling)
    best = max(max(p.values()) for p in probes)
    matmul = max(max(p["mm_1024"], p["mm_2048"]) for p in probes)  # torch.mm alone, as runs before oneDNN joined
    for key in [k for k in result if k.endswith("px")]:  # utilisation against the best ceiling of the whole run
        for tag in ("rec", "gan"):
            entry = result[key][tag]
            entry["mfu_pct"] = round(100 * entry["model_gflops"] / best, 1)  # the target's figure
            entry["mfu_vs_matmul_pct"] = round(100 * entry["model_gflops"] / matmul, 1)
    result["ceiling_gflops_best"] = round(best, 1)
    result["ceiling_gflops_worst"] = round(min(max(p.values()) for p in probes), 1)  # how much the VM varied
    result["ceiling_gflops_best_by_kernel"] = {k: round(max(p[k] for p in probes), 1) for k in probes[0]}
    result["matmul_gflops_fp32_best"] = round(matmul, 1)
    cfg64 = compose_train(64, [])
    if threads > 1:
        result["thread_scaling_64px_gan"] = thread_scaling(cfg64, threads, 4 if quick else 10)
    from benchmarks.step_profile import run_profile

    result["step_profile_64px_gan"] = run_profile(cfg64, best, 2 if quick else 5)
    return result


if __name__ == "__main__":
    import json

    if set(sys.argv[1:]) - {"--quick"}:
        raise SystemExit(__doc__)
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
