"""Training speed: images/s, model FLOPs per step against the all-core fp32 matmul rate (the run's best, and the
best just before and after each timing: a VM's clock and neighbours vary), Lightning vs a bare PyTorch loop over
the same networks and batches, the data pipeline against what the step consumes, the step on 1 thread vs all
cores (the GPU recipes: gpu_recipes.py).

    python scripts/benchmark.py --only train            (or: python scripts/benchmarks/train.py)
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[2]


def compose_train(resolution: int, overrides: list[str]) -> Any:
    """The train command's config on the sample faces (or $FACESWAP_BENCH_FACES, a faces dir built elsewhere:
    a GPU machine without dlib)."""
    sys.path.insert(0, str(ROOT))
    from tests.conftest import compose_command

    faces = os.environ.get("FACESWAP_BENCH_FACES")
    if not faces:
        from tests.train_faces import sample_faces

        faces = str(sample_faces())
    return compose_command(
        "train",
        Path("/tmp/faceswap-bench"),
        [f"paths.faces_dir={faces}", f"model.resolution={resolution}", *overrides],
        tiny=False,
    )


def make_batches(cfg: Any, count: int, batch_size: int) -> list[dict[str, dict[str, torch.Tensor]]]:
    """Real augmented batches from the sample faces, kept in memory so both loops see the same data."""
    from faceswap.commands import training_config as build

    dm = build.build_datamodule(cfg, list(cfg.data.pair))
    dm.batch_size, dm.num_workers = batch_size, 0
    loader = iter(dm.train_dataloader())
    return [next(loader) for _ in range(count)]


def build_module(cfg: Any, gan: bool) -> Any:
    from faceswap.commands import training_config as build
    from faceswap.training.phases import PhaseSettings

    phase = PhaseSettings(
        name="bench", steps=10**6, batch_size=int(cfg.train.batch_size), gan_weight=0.1 if gan else 0.0
    )
    module = build.build_module(cfg, [phase], list(cfg.data.pair), meta={})
    module.set_phase(phase, 0, 0)
    return module


def step_flop_counts(module: Any, batch: dict[str, Any]) -> dict[str, float]:
    """FLOPs of one G+D step (forward and backward) by aten op ("convolution", "mm", ...), counted by
    torch.utils.flop_counter on copies of the networks."""
    from torch.utils.flop_counter import FlopCounterMode

    gen, disc = copy.deepcopy(module.generator), copy.deepcopy(module.discriminator)
    probe = build_bare(module, gen, disc)
    with FlopCounterMode(display=False) as counter:
        probe(batch)
    return {str(op).removeprefix("aten."): float(n) for op, n in counter.get_flop_counts()["Global"].items()}


def step_flops(module: Any, batch: dict[str, Any]) -> float:
    """FLOPs of one G+D step (forward and backward)."""
    return sum(step_flop_counts(module, batch).values())


def build_bare(module: Any, gen: Any, disc: Any) -> Any:
    """The same step as SwapModule.training_step, written as a plain PyTorch function."""
    from faceswap.training.ema import ema_beta, make_ema, update_ema

    opt_g = module.optimizer_g(params=list(gen.parameters()))
    opt_d = module.optimizer_d(params=list(disc.parameters())) if disc is not None else None
    ema, rec, gan, weight = (
        make_ema(gen),
        module.losses["reconstruction"],
        module.losses["gan"],
        module.phase.gan_weight,
    )
    cycle = dict(module.losses.items()).get("cycle")

    def step(batch: dict[str, Any]) -> None:
        terms, fakes = {}, []
        for slot, key in enumerate(("a", "b")):
            side = batch[key]
            rgb, mask = gen(side["input"], slot)
            for name, value in rec(rgb, mask, side["target"], side["mask"], side["eyes"], side["mouth"]).items():
                terms[name] = terms.get(name, 0.0) + value
            fakes.append(rgb * side["mask"] + side["target"] * (1 - side["mask"]))
        if opt_d is not None:
            disc.requires_grad_(False)
            terms["g_gan"] = weight * gan.generator(disc(torch.cat(fakes)))
            disc.requires_grad_(True)
        if cycle is not None and cycle.weight > 0:  # runs through module.generator (not a compiled `gen`)
            terms["loss_cycle"] = cycle.weight * cycle.cycle(module.generator, batch)
        opt_g.zero_grad(set_to_none=True)
        sum(terms.values()).backward()
        torch.nn.utils.clip_grad_norm_(gen.parameters(), 1.0)
        opt_g.step()
        if opt_d is not None:
            real = torch.cat(
                [
                    batch[k]["target"] * batch[k]["mask"] + batch[k]["target"] * (1 - batch[k]["mask"])
                    for k in ("a", "b")
                ]
            )
            d_terms = gan.discriminator(disc(real), disc(torch.cat(fakes).detach()))
            opt_d.zero_grad(set_to_none=True)
            sum(d_terms.values()).backward()
            torch.nn.utils.clip_grad_norm_(disc.parameters(), 1.0)
            opt_d.step()
        update_ema(ema, gen, ema_beta(batch["a"]["input"].shape[0], 500.0))

    return step


def to_memory_format(module: Any, batches: list[Any]) -> list[Any]:
    """What SwapModule does with trainer.channels_last, for the bare loop: NHWC networks and batches."""
    if not module.channels_last:
        return batches
    module.generator.to(memory_format=torch.channels_last)
    if module.discriminator is not None:
        module.discriminator.to(memory_format=torch.channels_last)
    return [
        {k: {n: t.contiguous(memory_format=torch.channels_last) for n, t in side.items()} for k, side in b.items()}
        for b in batches
    ]


def time_bare(module: Any, batches: list[Any], warmup: int, sync: Any = None) -> list[float]:
    """Per-step wall times of the bare loop (after `warmup` steps); `sync` waits for an accelerator."""
    batches = to_memory_format(module, batches)
    step = build_bare(module, module.generator, module.discriminator)
    times = []
    for i, batch in enumerate(batches):
        start = time.perf_counter()
        step(batch)
        if sync is not None:
            sync()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def _clock_callback(times: list[float], warmup: int) -> Any:
    """Lightning callback: intervals between consecutive batch starts (step + every hook + data fetch)."""
    import pytorch_lightning as pl

    class Clock(pl.Callback):
        last = 0.0

        def on_train_batch_start(self, trainer: Any, *args: Any) -> None:
            now = time.perf_counter()
            if trainer.global_step > warmup:
                times.append(now - self.last)
            self.last = now

        def on_train_end(self, trainer: Any, *args: Any) -> None:
            times.append(time.perf_counter() - self.last)

    return Clock()


def time_lightning(
    module: Any, batches: list[Any], warmup: int, accelerator: str = "cpu", **trainer_options: Any
) -> list[float]:
    """Per-step wall times of SwapModule under a Lightning Trainer on the same in-memory batches
    (`trainer_options`: precision, benchmark, more callbacks, as a GPU recipe's trainer sets them)."""
    import pytorch_lightning as pl

    from faceswap.commands.training_config import quiet_lightning

    quiet_lightning()
    times: list[float] = []
    callbacks = [_clock_callback(times, warmup), *trainer_options.pop("callbacks", [])]
    trainer = pl.Trainer(
        accelerator=accelerator,
        devices=1,
        max_steps=len(batches),
        logger=False,
        callbacks=callbacks,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=10,
        **trainer_options,
    )
    trainer.fit(module, train_dataloaders=torch.utils.data.DataLoader(batches, batch_size=None))
    return times


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


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
    """Bare and Lightning step times in `rounds` adjacent pairs, the order alternating: a VM's clock drifts by
    several % over minutes and other processes come and go, and both hit the two loops of a pair alike. Returns
    every bare time, every Lightning time, and each pair's ratio of medians (Lightning / bare)."""
    bare_times: list[float] = []
    light_times: list[float] = []
    ratios: list[float] = []
    for r in range(rounds):
        timers = [("bare", time_bare), ("lightning", time_lightning)]
        order = timers if r % 2 == 0 else timers[::-1]  # bare first, then Lightning first, ...
        block = {name: timer(build_module(cfg, gan), batches, warmup) for name, timer in order}
        bare_times += block["bare"]
        light_times += block["lightning"]
        ratios.append(median(block["lightning"]) / median(block["bare"]))
    return bare_times, light_times, ratios


def bench_resolution(resolution: int, quick: bool, threads: int, matmul: Any) -> dict[str, Any]:
    cfg = compose_train(resolution, [])
    batch = int(cfg.train.batch_size)
    warmup, steps = (2, 6) if quick else (2, 16 if resolution <= 64 else 10)
    batches = make_batches(cfg, warmup + steps, batch)
    out: dict[str, Any] = {"batch_size": batch, "params_g_M": None}
    for gan in (False, True):
        module = build_module(cfg, gan)
        out["params_g_M"] = round(sum(p.numel() for p in module.generator.parameters()) / 1e6, 2)
        flops = step_flops(module, batches[0])
        before = matmul()  # the ceiling in the minutes of this configuration's timing (the clock may vary)
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
        adjacent = max(before, matmul())  # re-measured after the timing as well
        out[tag]["matmul_gflops_adjacent"] = round(adjacent, 1)
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
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(ROOT / "src"))
    from benchmarks.ceiling import matmul_gflops
    from faceswap.commands.training_config import training_threads

    threads = training_threads(0, "cpu", 1)  # as trainer=cpu with threads=0: every core
    torch.set_num_threads(threads)
    rates: list[float] = []

    def matmul() -> float:
        """All-core fp32 matmul rate now (best of 1024² and 2048²); the best of all calls is the run's ceiling."""
        now = [matmul_gflops("cpu", n=n, seconds=0.5, threads=threads) for n in (1024, 2048)]
        rates.extend(now)
        return max(now)

    matmul()
    result: dict[str, Any] = {"threads": threads}
    for resolution in (64,) if quick else (64, 128):
        result[f"{resolution}px"] = bench_resolution(resolution, quick, threads, matmul)
    for key in [k for k in result if k.endswith("px")]:  # utilisation against the best ceiling of the whole run
        for tag in ("rec", "gan"):
            entry = result[key][tag]
            entry["mfu_vs_matmul_pct"] = round(100 * entry["model_gflops"] / max(rates), 1)
    result["matmul_gflops_fp32_best"] = round(max(rates), 1)
    result["matmul_gflops_fp32_worst"] = round(min(rates), 1)  # how much the shared machine's load varied
    cfg64 = compose_train(64, [])
    if threads > 1:
        result["thread_scaling_64px_gan"] = thread_scaling(cfg64, threads, 4 if quick else 10)
    from benchmarks.step_profile import run_profile

    result["step_profile_64px_gan"] = run_profile(cfg64, max(rates), 2 if quick else 5)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
