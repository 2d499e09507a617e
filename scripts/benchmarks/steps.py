"""The training step that every training benchmark times: the train config on the sample faces, real augmented
batches, SwapModule's step written as a plain PyTorch function (the bare loop), the same module under a
Lightning Trainer, and their FLOPs. Used by train.py, train_options.py, step_profile.py and gpu_recipes.py.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from collections.abc import Callable
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


def alternating_pairs(timers: dict[str, Callable[[], list[float]]], rounds: int) -> dict[str, list[list[float]]]:
    """Each timer once per round, the order reversed every other round (first, second; second, first; ...): a VM's
    clock drifts by several % over minutes and other processes come and go, and both runs of a round see them
    alike. Returns each timer's step times, one list per round."""
    names = list(timers)
    out: dict[str, list[list[float]]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            out[name].append(timers[name]())
    return out


def pairs_main(doc: str, compare: Callable[[int, int], dict[str, Any]], steps: int, rounds: int = 6) -> None:
    """The command line of a paired-loop script: `--rounds` adjacent pairs of `--steps`-step loops, JSON out."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--steps", type=int, default=steps)
    args = parser.parse_args()
    print(json.dumps(compare(args.rounds, args.steps), indent=2))
