"""The GPU recipes on a CUDA card: images/s and model FLOP rate as a fraction of the card's measured bf16
matmul rate, for experiment=gpu_128 / gpu_256 with df and liae, as `trainer=gpu` runs them (bf16 autocast,
channels_last at 128 px, NCHW at 256, cudnn.benchmark), plus variants: the other memory format, torch.compile,
larger batches, and the same step through Lightning (`_lightning`: SwapModule under a bf16-mixed Trainer on the
same in-memory batches, with the calls that made the host wait for the card during one step, by source line).

    python scripts/benchmark.py --device cuda --only ceiling,gpu_recipes
    FACESWAP_GPU_VARIANTS=gpu_128_df,gpu_128_df_lightning  runs only those variants, in that order
    FACESWAP_BENCH_FACES=dir  uses an existing faces dir instead of building the sample's (which needs dlib)

Without CUDA: {"status": "no CUDA device"}. Variants after `budget_s` seconds are skipped, and say so.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.steps import build_bare, build_module, compose_train, make_batches, median, step_flops, to_memory_format

# (label, overrides) in the order they run: the four recipes as shipped, the two unmeasured on a card until now
# (Lightning's rate, NCHW at 128 px), then the rest. "+compile=true" / "+lightning=true" are this script's flags.
VARIANTS: list[tuple[str, list[str]]] = [
    ("gpu_128_df", ["experiment=gpu_128"]),
    ("gpu_128_liae", ["experiment=gpu_128", "model=liae"]),
    ("gpu_256_df", ["experiment=gpu_256"]),
    ("gpu_256_liae", ["experiment=gpu_256", "model=liae"]),
    ("gpu_128_df_lightning", ["experiment=gpu_128", "+lightning=true"]),
    ("gpu_128_df_nchw", ["experiment=gpu_128", "trainer.channels_last=false"]),
    ("gpu_256_df_lightning", ["experiment=gpu_256", "+lightning=true"]),
    ("gpu_128_df_batch64", ["experiment=gpu_128", "train.batch_size=64"]),
    ("gpu_256_df_compiled", ["experiment=gpu_256", "+compile=true"]),
    ("gpu_256_df_channels_last", ["experiment=gpu_256", "trainer.channels_last=true"]),
    ("gpu_256_df_batch32", ["experiment=gpu_256", "train.batch_size=32"]),
]
FLAGS = ("+compile=true", "+lightning=true")


def selected(names: str | None) -> list[tuple[str, list[str]]]:
    """VARIANTS, or the comma-separated `names` of them in that order (FACESWAP_GPU_VARIANTS)."""
    if not names:
        return VARIANTS
    table = dict(VARIANTS)
    unknown = [n for n in names.split(",") if n not in table]
    if unknown:
        raise SystemExit(f"unknown GPU variant(s) {unknown}: choose from {', '.join(table)}")
    return [(n, table[n]) for n in names.split(",")]


class SyncCounter(pl.Callback):
    """The calls that made the host wait for the card during step `at_step`, by source line
    (torch.cuda.set_sync_debug_mode's warnings). Each one leaves the card idle while the host queues the next."""

    def __init__(self, at_step: int) -> None:
        super().__init__()
        self.at_step, self.where = at_step, Counter()
        self._caught: Any = None  # the open warnings.catch_warnings during step `at_step`
        self._records: list[warnings.WarningMessage] = []

    def on_train_batch_start(self, trainer: Any, *args: Any) -> None:
        if trainer.global_step == self.at_step:
            self._caught = warnings.catch_warnings(record=True)
            self._records = self._caught.__enter__()
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")

    def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
        if self._caught is None:
            return
        torch.cuda.set_sync_debug_mode(0)
        self._caught.__exit__(None, None, None)
        self._caught = None
        for record in self._records:
            if "synchroniz" in str(record.message):
                self.where[f"{Path(record.filename).name}:{record.lineno}"] += 1


def time_through_lightning(module: Any, batches: list[Any], steps: int, device: str) -> dict[str, Any]:
    """The recipe's step as `faceswap train` runs it (SwapModule under a bf16-mixed Trainer): median s/step of
    `steps` after 3, and on CUDA the host waits of one step."""
    from benchmarks.steps import time_lightning

    cuda = device.startswith("cuda")
    counter = SyncCounter(at_step=5)
    times = time_lightning(
        module,
        [batches[i % len(batches)] for i in range(steps + 3)],
        3,
        accelerator="gpu" if cuda else "cpu",
        precision="bf16-mixed",
        benchmark=True if cuda else None,
        callbacks=[counter] if cuda else [],
    )
    waits = {"host_waits_per_step": sum(counter.where.values()), "host_waits_by_line": dict(counter.where)}
    return {"s_per_step": median(times), **(waits if cuda else {})}


def _none() -> None:
    """No accelerator to wait for."""


def to_device(batches: list[Any], device: str) -> list[Any]:
    return [{k: {n: x.to(device) for n, x in side.items()} for k, side in b.items()} for b in batches]


def measure(overrides: list[str], steps: int, peak_tflops: float, device: str = "cuda") -> dict[str, Any]:
    """One variant's G+D step under bf16 autocast (bare, or through Lightning with "+lightning=true"): median
    s/step, images/s, TFLOP/s, fraction of peak. (device="cpu" with tiny widths is how tests/test_gpu_recipes.py
    checks this path without a card.)"""
    compiled, lightning = (flag in overrides for flag in FLAGS)
    overrides = [o for o in overrides if o not in FLAGS]
    resolution = 256 if "experiment=gpu_256" in overrides else 128
    cfg = compose_train(resolution, [f"model.resolution={resolution}", *overrides])
    batch = int(cfg.train.batch_size)
    module = build_module(cfg, True).to(device)
    # as trainer.channels_last would: NHWC networks and batches (or neither)
    batches = to_memory_format(module, to_device(make_batches(cfg, min(steps, 4), batch), device))
    flops = step_flops(module, batches[0])
    start_all = time.perf_counter()
    sync = torch.cuda.synchronize if device.startswith("cuda") else _none
    extra: dict[str, Any] = {}
    if lightning:
        extra = time_through_lightning(module, batches, steps, device)
        s = extra.pop("s_per_step")
    else:
        s = median(bare_times(module, batches, steps, compiled, device, sync, extra))
    return {
        "batch_size": batch,
        "channels_last": bool(module.channels_last),
        "compiled": compiled,
        "lightning": lightning,
        "params_g_M": round(sum(p.numel() for p in module.generator.parameters()) / 1e6, 1),
        "tflop_per_step": round(flops / 1e12, 2),
        "s_per_step": round(s, 4),
        "images_per_s": float(f"{2 * batch / s:.4g}"),  # 4 digits: 0.3 img/s of a tiny CPU step stays exact
        "model_tflops": round(flops / s / 1e12, 1),
        "fraction_of_bf16_peak": round(flops / s / 1e12 / peak_tflops, 3),
        "max_memory_GiB": gib(torch.cuda.max_memory_allocated()) if sync is not _none else None,
        "wall_s_incl_warmup": round(time.perf_counter() - start_all, 1),
        **extra,
    }


def gib(n_bytes: int) -> float:
    return round(n_bytes / 2**30, 1)


def bare_times(
    module: Any, batches: list[Any], steps: int, compiled: bool, device: str, sync: Any, memory: dict[str, Any]
) -> list[float]:
    """Seconds of each bare G+D step under bf16 autocast after 3 (cudnn.benchmark's search, compilation). On CUDA
    the peak memory is reset after those 3, so `max_memory_GiB` is the steady step's (what a smaller card needs,
    less cuDNN's search, whose trial workspaces grow to the free memory: `memory` gets that peak as well)."""
    gen, disc = module.generator, module.discriminator
    if compiled:
        gen, disc = torch.compile(gen), torch.compile(disc)
    step = build_bare(module, gen, disc)
    times: list[float] = []
    with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16):
        for i in range(steps + 3):
            start = time.perf_counter()
            step(batches[i % len(batches)])
            sync()
            if i >= 3:
                times.append(time.perf_counter() - start)
            elif i == 2 and device.startswith("cuda"):
                memory["max_memory_GiB_incl_search"] = gib(torch.cuda.max_memory_allocated())
                torch.cuda.reset_peak_memory_stats()
    return times


def run(quick: bool = False, device: str = "cpu", budget_s: float = 240.0) -> dict[str, Any]:
    if not (device.startswith("cuda") and torch.cuda.is_available()):
        return {"status": "no CUDA device"}
    from benchmarks.ceiling import cuda_ceiling

    torch.backends.cudnn.benchmark = True  # as trainer=gpu (lightning benchmark: true)
    ceiling = cuda_ceiling(2.0)
    peak = ceiling["matmul_tflops_bf16"]
    out: dict[str, Any] = {"ceiling": ceiling}
    deadline = time.perf_counter() + budget_s
    variants = selected(os.environ.get("FACESWAP_GPU_VARIANTS"))
    for label, overrides in variants[: 2 if quick else None]:
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
