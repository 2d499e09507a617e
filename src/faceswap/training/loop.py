"""The phase loop: fit each phase of the plan in turn, checkpoint at every boundary, resume where it stopped,
then export the EMA generator and write the run's summary."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytorch_lightning as pl
import torch

from faceswap.data.datamodule import SwapDataModule
from faceswap.training.callbacks import PeriodicCheckpoint, PhaseProgressBar, PreviewCallback, save_checkpoint
from faceswap.training.export import save_generator
from faceswap.training.loggers import close_loggers
from faceswap.training.module import SwapModule
from faceswap.training.phases import PhaseSettings, describe_plan, phase_bounds
from faceswap.training.previews import write_timelapse
from faceswap.utils.errors import FaceswapError
from faceswap.utils.io import atomic_write_json
from faceswap.utils.logging import console, print_summary
from faceswap.utils.machine import describe_machine


class TrainerMaker(Protocol):
    loggers: list[Any]
    progress_bar: bool

    def __call__(self, max_steps: int, callbacks: list[pl.Callback]) -> pl.Trainer: ...


@dataclass(frozen=True)
class LoopOptions:
    preview_every: int = 100
    preview_faces: int = 4
    checkpoint_every: int = 200
    keep_every: int = 0  # also keep step-N.ckpt snapshots (0 = off)
    timelapse: bool = True


@dataclass
class TrainingRun:
    """Everything one train/finetune run fits (built by `commands.training_config`)."""

    module: SwapModule
    datamodule: SwapDataModule
    plan: list[PhaseSettings]
    trainers: TrainerMaker
    out_dir: Path
    options: LoopOptions
    resume_from: Path | None = None
    notes: tuple[str, ...] = ()  # printed under the phase list (e.g. a setting that has no effect in this run)


def checkpoint_step(path: Path) -> int:
    """Generator steps done in a training checkpoint."""
    return int(torch.load(path, map_location="cpu", weights_only=True).get("global_step", 0))


def check_resumable(module: SwapModule, path: Path) -> None:
    """A checkpoint from another model config would fail deep inside Lightning: say so in one line instead."""
    state = torch.load(path, map_location="cpu", weights_only=True).get("state_dict", {})
    own = module.state_dict()
    differs = sorted(set(own) ^ set(state)) + sorted(k for k in own if k in state and own[k].shape != state[k].shape)
    if differs:
        raise FaceswapError(
            f"{path} was written with another model/loss config ({len(differs)} weights differ, e.g. {differs[0]})",
            "delete that checkpoint, turn resuming off, or write the run to another folder",
        )


def _announce(run: TrainingRun, done: int) -> None:
    module, probe = run.module, [torch.zeros(1)]  # the lr each optimizer gets, default or configured
    lr_g = module.optimizer_g(params=probe).param_groups[0]["lr"]
    lr_d = module.optimizer_d(params=probe).param_groups[0]["lr"] if module.optimizer_d else None
    lines = describe_plan(run.plan, lr_g, lr_d)
    console.print("[bold]phases[/]" + "".join(f"\n  {i + 1}. {line}" for i, line in enumerate(lines)))
    for note in run.notes:
        console.print(f"[yellow]note:[/] {note}")
    if run.resume_from:
        console.print(f"resuming from {run.resume_from} at step {done}")


def fit_phases(run: TrainingRun) -> tuple[dict[str, float], pl.Trainer | None]:
    """Fit every phase not yet done; each starts from the previous phase's boundary checkpoint.

    Returns seconds per phase fitted and the last Trainer (None when the checkpoint had every step)."""
    module, opts = run.module, run.options
    ckpt_dir, preview_dir = run.out_dir / "checkpoints", run.out_dir / "previews"
    done = checkpoint_step(run.resume_from) if run.resume_from else 0
    _announce(run, done)
    if run.resume_from:
        check_resumable(module, run.resume_from)
    faces_a, faces_b = run.datamodule.preview_faces(opts.preview_faces)
    ckpt, timings, trainer = run.resume_from, {}, None
    for index, (phase, (start, end)) in enumerate(zip(run.plan, phase_bounds(run.plan), strict=True)):
        if done >= end:
            continue
        module.set_phase(phase, index, start)
        run.datamodule.apply_phase(phase.batch_size, phase.random_warp)
        callbacks: list[pl.Callback] = [
            PeriodicCheckpoint(ckpt_dir, opts.checkpoint_every, opts.keep_every),
            PreviewCallback(preview_dir, faces_a, faces_b, opts.preview_every),
        ]
        if run.trainers.progress_bar:
            label = f"phase {index + 1}/{len(run.plan)} {phase.name}"
            callbacks.append(PhaseProgressBar(label, start, phase.steps))
        trainer = run.trainers(end, callbacks)
        tick = time.perf_counter()
        trainer.fit(module, datamodule=run.datamodule, ckpt_path=str(ckpt) if ckpt else None, weights_only=True)
        timings[phase.name] = time.perf_counter() - tick
        if trainer.global_step < end:  # stopped early (interrupt, should_stop): keep last.ckpt, do not go on
            break
        ckpt = save_checkpoint(trainer, ckpt_dir / f"phase-{phase.name}.ckpt")
    return timings, trainer


def final_losses(trainer: pl.Trainer | None) -> dict[str, float]:
    """Last logged losses (for sweeps: `loss` is the value to minimise)."""
    if trainer is None:
        return {}
    out = {
        key.removeprefix("train/"): round(float(value), 5)
        for key, value in trainer.callback_metrics.items()
        if key.startswith("train/")
    }
    if "loss_g" in out:
        out["loss"] = out["loss_g"]
    return out


def train(run: TrainingRun, name: str) -> dict[str, Any]:
    """Fit the plan, export the EMA generator, write the timelapse and `summary.json`; returns the summary."""
    try:
        timings, trainer = fit_phases(run)
    finally:
        close_loggers(run.trainers.loggers)
    module, out_dir = run.module, run.out_dir
    last, previews = out_dir / "checkpoints" / "last.ckpt", out_dir / "previews"
    if trainer is None and last.is_file():  # nothing left to train: export what the checkpoint holds
        module.load_state_dict(torch.load(last, map_location="cpu", weights_only=True)["state_dict"], strict=False)
    export = save_generator(out_dir / "generator.pt", module.ema, module.meta)
    timelapse = None
    if run.options.timelapse:
        timelapse = write_timelapse(sorted(previews.glob("step-*.png")), previews / "timelapse.mp4")
    summary: dict[str, Any] = {
        "steps": checkpoint_step(last) if last.is_file() else 0,
        "total_steps": sum(phase.steps for phase in run.plan),
        "skipped_steps": int(module.skipped_steps),
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "machine": describe_machine(),  # what the seconds were measured on
        "threads": torch.get_num_threads(),  # CPU results depend on it (float summation order), like bench's
        "loader_workers": run.datamodule.num_workers,  # 0: batches made in the training process
        "checkpoint": str(last),
        "generator": str(export),
        "preview": str(previews / "latest.png"),
        "timelapse": str(timelapse) if timelapse else None,
    }
    losses = final_losses(trainer)
    summary["losses"] = losses  # every term, in summary.json
    summary["loss"] = losses.get("loss")  # the value a sweep minimises
    atomic_write_json(out_dir / "summary.json", summary)
    print_summary(f"{name} done", {k: v for k, v in summary.items() if not isinstance(v, dict)})
    console.print(f"[dim]{name}: phase seconds {summary['seconds']}; losses {losses}[/]")
    return summary
