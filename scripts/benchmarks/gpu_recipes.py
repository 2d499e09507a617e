"""The GPU recipes on a CUDA card: images/s and model FLOP rate as a fraction of the card's measured bf16
matmul rate, for experiment=gpu_128 / gpu_256 with df and liae, as `trainer=gpu` runs them (bf16 autocast,
channels_last, cudnn.benchmark), plus variants: NCHW, torch.compile, larger batches.

    python scripts/benchmark.py --device cuda --only ceiling,gpu_recipes
    FACESWAP_BENCH_FACES=dir  uses an existing faces dir instead of building the sample's (which needs dlib)

Without CUDA: {"status": "no CUDA device"}. Variants after `budget_s` seconds are skipped, and say so.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.train import build_bare, build_module, compose_train, make_batches, median, step_flops, to_memory_format

# (label, overrides) in the order they run; the first four are the recipes as shipped
VARIANTS: list[tuple[str, list[str]]] = [
    ("gpu_128_df", ["experiment=gpu_128"]),
    ("gpu_128_liae", ["experiment=gpu_128", "model=liae"]),
    ("gpu_256_df", ["experiment=gpu_256"]),
    ("gpu_256_liae", ["experiment=gpu_256", "model=liae"]),
    ("gpu_256_df_nchw", ["experiment=gpu_256", "trainer.channels_last=false"]),
    ("gpu_256_df_batch32", ["experiment=gpu_256", "train.batch_size=32"]),
    ("gpu_128_df_batch64", ["experiment=gpu_128", "train.batch_size=64"]),
    ("gpu_256_df_compiled", ["experiment=gpu_256", "+compile=true"]),
]


def _none() -> None:
    """No accelerator to wait for."""


def to_device(batches: list[Any], device: str) -> list[Any]:
    return [{k: {n: x.to(device) for n, x in side.items()} for k, side in b.items()} for b in batches]


def measure(overrides: list[str], steps: int, peak_tflops: float, device: str = "cuda") -> dict[str, Any]:
    """One variant's bare G+D step under bf16 autocast: median s/step, images/s, TFLOP/s, fraction of peak.
    (device="cpu" with tiny widths is how tests/test_gpu_recipes.py checks this path without a card.)"""
    compiled = "+compile=true" in overrides
    overrides = [o for o in overrides if o != "+compile=true"]
    resolution = 256 if "experiment=gpu_256" in overrides else 128
    cfg = compose_train(resolution, [f"model.resolution={resolution}", *overrides])
    batch = int(cfg.train.batch_size)
    module = build_module(cfg, True).to(device)
    # as trainer.channels_last would: NHWC networks and batches (or neither)
    batches = to_memory_format(module, to_device(make_batches(cfg, min(steps, 4), batch), device))
    flops = step_flops(module, batches[0])
    gen, disc = module.generator, module.discriminator
    if compiled:
        gen, disc = torch.compile(gen), torch.compile(disc)
    step = build_bare(module, gen, disc)
    times: list[float] = []
    start_all = time.perf_counter()
    sync = torch.cuda.synchronize if device.startswith("cuda") else _none
    with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16):
        for i in range(steps + 3):
            start = time.perf_counter()
            step(batches[i % len(batches)])
            sync()
            if i >= 3:  # cudnn.benchmark's search and compilation are not throughput
                times.append(time.perf_counter() - start)
    s = median(times)
    return {
        "batch_size": batch,
        "channels_last": bool(module.channels_last),
        "compiled": compiled,
        "params_g_M": round(sum(p.numel() for p in module.generator.parameters()) / 1e6, 1),
        "tflop_per_step": round(flops / 1e12, 2),
        "s_per_step": round(s, 4),
        "images_per_s": float(f"{2 * batch / s:.4g}"),  # 4 digits: 0.3 img/s of a tiny CPU step stays exact
        "model_tflops": round(flops / s / 1e12, 1),
        "fraction_of_bf16_peak": round(flops / s / 1e12 / peak_tflops, 3),
        "max_memory_GiB": round(torch.cuda.max_memory_allocated() / 2**30, 1) if sync is not _none else None,
        "wall_s_incl_warmup": round(time.perf_counter() - start_all, 1),
    }


def run(quick: bool = False, device: str = "cpu", budget_s: float = 150.0) -> dict[str, Any]:
    if not (device.startswith("cuda") and torch.cuda.is_available()):
        return {"status": "no CUDA device"}
    from benchmarks.ceiling import cuda_ceiling

    torch.backends.cudnn.benchmark = True  # as trainer=gpu (lightning benchmark: true)
    ceiling = cuda_ceiling(2.0)
    peak = ceiling["matmul_tflops_bf16"]
    out: dict[str, Any] = {"ceiling": ceiling}
    deadline = time.perf_counter() + budget_s
    for label, overrides in VARIANTS[: 2 if quick else None]:
        need = 100.0 if "+compile=true" in overrides else 0.0  # compiling alone can take a minute or more
        if time.perf_counter() + need > deadline:
            out[label] = {"status": f"skipped: too little of the {budget_s:.0f} s budget left"}
            continue
        torch.cuda.reset_peak_memory_stats()
        try:
            out[label] = measure(overrides, 5 if quick else 20, peak)
        except Exception as exc:  # one variant's failure (say, out of memory) must not hide the others
            out[label] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        torch.cuda.empty_cache()
        print(label, out[label], flush=True)
    return out
