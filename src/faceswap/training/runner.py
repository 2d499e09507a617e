"""Stage runner: fit each stage of the plan in turn, checkpoint at every boundary, resume where it stopped."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from faceswap.data.datamodule import SwapDataModule
from faceswap.training.callbacks import PeriodicCheckpoint, PreviewCallback, save_checkpoint
from faceswap.training.ema import ema_halflife_note
from faceswap.training.module import SwapModule
from faceswap.training.settings import StageSettings, describe_plan
from faceswap.utils.errors import FaceswapError
from faceswap.utils.logging import console

TrainerFactory = Callable[[int, list[pl.Callback]], pl.Trainer]


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
            "delete that checkpoint, set train.resume=false, or pick another paths.run_name / out_dir",
        )


def stage_bounds(plan: Sequence[StageSettings]) -> list[tuple[int, int]]:
    """[(first step, end step)] of each stage in cumulative generator steps."""
    bounds, start = [], 0
    for stage in plan:
        bounds.append((start, start + stage.steps))
        start += stage.steps
    return bounds


def run_stages(
    module: SwapModule,
    datamodule: SwapDataModule,
    plan: Sequence[StageSettings],
    out_dir: Path,
    make_trainer: TrainerFactory,
    resume_from: Path | None = None,
    preview_every: int = 100,
    preview_faces: int = 4,
    checkpoint_every: int = 200,
    keep_every: int = 0,
) -> dict[str, Any]:
    """Fit every stage not yet done; each stage starts from the previous stage's boundary checkpoint."""
    ckpt_dir, preview_dir = out_dir / "checkpoints", out_dir / "previews"
    done = checkpoint_step(resume_from) if resume_from else 0
    console.print("[bold]stages[/]" + "".join(f"\n  {i + 1}. {line}" for i, line in enumerate(describe_plan(plan))))
    run_images = sum(stage.steps * stage.batch_size for stage in plan)
    if note := ema_halflife_note(module.ema_halflife_images, module.ema_rampup, run_images):
        console.print(f"[yellow]warning:[/] {note}")
    if resume_from:
        check_resumable(module, resume_from)
        console.print(f"resuming from {resume_from} at step {done}")
    faces_a, faces_b = datamodule.preview_faces(preview_faces)
    ckpt, timings = resume_from, {}
    for index, (stage, (start, end)) in enumerate(zip(plan, stage_bounds(plan), strict=True)):
        if done >= end:
            continue
        module.set_stage(stage, index, start)
        datamodule.apply_stage(stage.batch_size, stage.random_warp)
        callbacks = [
            PeriodicCheckpoint(ckpt_dir, checkpoint_every, keep_every),
            PreviewCallback(preview_dir, faces_a, faces_b, preview_every),
        ]
        trainer = make_trainer(end, callbacks)
        tick = time.perf_counter()
        trainer.fit(module, datamodule=datamodule, ckpt_path=str(ckpt) if ckpt else None, weights_only=True)
        timings[stage.name] = time.perf_counter() - tick
        if trainer.global_step < end:  # stopped early (interrupt, should_stop): keep last.ckpt, do not go on
            break
        ckpt = save_checkpoint(trainer, ckpt_dir / f"stage-{stage.name}.ckpt")
    return {
        "steps": int(module.global_step) if module._trainer else done,
        "seconds": timings,
        "last_checkpoint": ckpt_dir / "last.ckpt",
        "previews": preview_dir,
    }
