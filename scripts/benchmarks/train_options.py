"""What a training step of `experiment=cpu_hour` costs under each speed option (issue #9's "quality per
CPU-minute"): channels_last, torch.compile, depthwise-separable decoder convs, wider and deeper
decoders, 96 px, the cycle loss, bf16 autocast (fast only where the CPU's bf16 units are: Zen 4/5, not a Xeon
without AMX), fused Adam and a doubled batch.

    python scripts/benchmark.py --only train_options     (or: python scripts/benchmarks/train_options.py)
    python scripts/benchmarks/train_options.py bf16_autocast      (named variants beside the cpu_hour baseline)

The GAN step of the bare loop (the same step as SwapModule, see steps.py) on real augmented batches, with the
intra-op threads `trainer=cpu` uses (every core). Quality per option needs an hour-scale run each:
docs/experiments.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.steps import build_bare, build_module, compose_train, make_batches, median, to_memory_format

CPU_HOUR = ["model.generator.latent_dims=256", "model.generator.inter_dims=128"]
VARIANTS: dict[str, tuple[int, list[str], bool]] = {  # name: (resolution, overrides, torch.compile)
    "cpu_hour": (64, [], False),
    "channels_last_off": (64, ["trainer.channels_last=false"], False),
    "torch_compile": (64, [], True),
    "separable_decoder": (64, ["model.generator.separable=true"], False),
    "dec_dims_24": (64, ["model.generator.dec_dims=24"], False),
    "dec_blocks_2": (64, ["model.generator.dec_blocks=2"], False),
    "enc_dims_24": (64, ["model.generator.enc_dims=24"], False),
    "96px": (96, [], False),
    "cycle_loss_2": (64, ["loss.terms.cycle.weight=0.5", "loss.terms.cycle.samples=2"], False),
    "bf16_autocast": (64, ["trainer.lightning.precision=bf16-mixed"], False),  # as Lightning's bf16-mixed
    # fp32 options that change results only by rounding, for the 70 %-of-ceiling target (docs/benchmarks.md)
    "fused_adam": (64, ["+module.optimizer_g.fused=true", "+module.optimizer_d.fused=true"], False),
    "batch_16": (64, ["train.batch_size=16"], False),  # compare images_per_s: a step holds twice the faces
}


def time_variant(resolution: int, overrides: list[str], compiled: bool, steps: int) -> dict[str, Any]:
    cfg = compose_train(resolution, CPU_HOUR + overrides)
    warmup = 3
    batches = make_batches(cfg, warmup + steps, int(cfg.train.batch_size))
    module = build_module(cfg, gan=True)
    batches = to_memory_format(module, batches)
    gen, disc = module.generator, module.discriminator
    start = time.perf_counter()
    if compiled:
        gen, disc = torch.compile(gen), torch.compile(disc)
    step = build_bare(module, gen, disc)
    bf16 = str(cfg.trainer.lightning.precision).startswith("bf16")  # the whole manual-optimisation step
    times = []
    for i, batch in enumerate(batches):
        t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            step(batch)
        if i == warmup - 1:
            first = time.perf_counter() - start  # build + compile + the warm-up steps
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    seconds = median(times)
    return {
        "s_per_step": round(seconds, 4),
        "images_per_s": round(2 * int(cfg.train.batch_size) / seconds, 1),
        "s_per_step_min": round(min(times), 4),
        "warmup_s": round(first, 1),
        "params_g_M": round(sum(p.numel() for p in module.generator.parameters()) / 1e6, 2),
    }


def run(quick: bool = False, device: str = "cpu", names: list[str] | None = None) -> dict[str, Any]:
    """Every variant (`names`: a subset, always with the `cpu_hour` baseline first)."""
    from faceswap.commands.training_config import training_threads

    threads = training_threads(0, "cpu", 1)  # as trainer=cpu with threads=0: every core
    torch.set_num_threads(threads)
    steps = 4 if quick else 20
    if names:
        unknown = sorted(set(names) - set(VARIANTS))
        if unknown:
            raise SystemExit(f"unknown variant(s) {unknown}: choose from {', '.join(VARIANTS)}")
        names = ["cpu_hour", *(n for n in names if n != "cpu_hour")]
    else:
        names = ["cpu_hour", "separable_decoder"] if quick else list(VARIANTS)
    result: dict[str, Any] = {"threads": threads}
    for name in names:
        resolution, overrides, compiled = VARIANTS[name]
        result[name] = time_variant(resolution, overrides, compiled, steps)
        print(name, result[name], flush=True)
    base = result["cpu_hour"]["s_per_step"]
    for entry in (v for v in result.values() if isinstance(v, dict)):
        entry["x_baseline"] = round(entry["s_per_step"] / base, 2)
    return result


if __name__ == "__main__":
    import json

    if {"-h", "--help"} & set(sys.argv[1:]):
        raise SystemExit(__doc__)
    if [a for a in sys.argv[1:] if a.startswith("-") and a != "--quick"]:
        raise SystemExit(f"usage: train_options.py [--quick] [variant ...]; variants: {', '.join(VARIANTS)}")
    chosen = [a for a in sys.argv[1:] if not a.startswith("-")]
    print(json.dumps(run(quick="--quick" in sys.argv, names=chosen or None), indent=2))
