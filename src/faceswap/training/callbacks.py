"""Callbacks: periodic/last checkpoints written atomically, the preview grid every N steps, a per-phase progress bar."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import TQDMProgressBar
from pytorch_lightning.callbacks.progress.tqdm_progress import Tqdm

from faceswap.training.loggers import log_image
from faceswap.training.previews import preview_grid, write_png


def save_checkpoint(trainer: pl.Trainer, path: str | os.PathLike[str]) -> Path:
    """Full training state (weights, EMA, optimizers, loops, RNG) to `path`, renamed into place atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    if trainer.is_global_zero:
        path.parent.mkdir(parents=True, exist_ok=True)
    trainer.save_checkpoint(tmp, weights_only=False)  # every rank joins; rank 0 writes
    if trainer.is_global_zero:
        os.replace(tmp, path)
    trainer.strategy.barrier("faceswap-checkpoint")
    return path


class PeriodicCheckpoint(pl.Callback):
    """`last.ckpt` every `every` steps and when fitting ends; `step-XXXXXX.ckpt` snapshots every `keep_every`."""

    def __init__(self, directory: str | os.PathLike[str], every: int, keep_every: int = 0) -> None:
        self.directory, self.every, self.keep_every = Path(directory), max(1, every), keep_every
        self._last_saved = -1

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        step = trainer.global_step
        if step == self._last_saved or step == 0:
            return
        if step % self.every == 0:
            save_checkpoint(trainer, self.directory / "last.ckpt")
            self._last_saved = step
        if self.keep_every and step % self.keep_every == 0:
            save_checkpoint(trainer, self.directory / f"step-{step:07d}.ckpt")

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.global_step != self._last_saved:
            save_checkpoint(trainer, self.directory / "last.ckpt")
            self._last_saved = trainer.global_step


class PreviewCallback(pl.Callback):
    """EMA preview of fixed faces every `every` steps: `previews/step-XXXXXX.png`, `latest.png`, loggers."""

    def __init__(
        self, directory: str | os.PathLike[str], faces_a: torch.Tensor, faces_b: torch.Tensor, every: int
    ) -> None:
        self.directory, self.every = Path(directory), max(1, every)
        self.faces_a, self.faces_b = faces_a, faces_b
        self._last = -1

    def _write(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        step = trainer.global_step
        if step == self._last or not trainer.is_global_zero:
            return
        self._last = step
        grid = preview_grid(pl_module.ema, self.faces_a, self.faces_b)
        write_png(self.directory / f"step-{step:07d}.png", grid)
        write_png(self.directory / "latest.png", grid)
        for logger in trainer.loggers:
            log_image(logger, "preview", grid, step)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        if trainer.global_step % self.every == 0 and trainer.global_step > 0:
            self._write(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._write(trainer, pl_module)


class PhaseProgressBar(TQDMProgressBar):
    """Steps of the current phase out of its own total ("phase 2/3 main: 12/120"), not Lightning's
    epoch/batch counters, which a Trainer per phase and an endless sampler make meaningless. Every render
    names the phase: Lightning's "Training: 0/?" and "Epoch 1: 0/120" would stay in a log file."""

    def __init__(self, label: str, start: int, steps: int) -> None:
        super().__init__()
        self.phase_label = label  # "phase 2/3 main", "budget timing"
        self.start, self.steps = start, steps

    def init_train_tqdm(self) -> Tqdm:
        return Tqdm(
            desc=self.phase_label,
            total=self.steps,
            position=2 * self.process_position,
            disable=self.is_disabled,
            leave=True,
            dynamic_ncols=True,
            file=sys.stdout,
            smoothing=0,
            bar_format=self.BAR_FORMAT,
        )

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self._advance(trainer)  # a run resumed mid-phase never calls on_train_epoch_start

    def on_train_epoch_start(self, trainer: pl.Trainer, *_: Any) -> None:
        self._advance(trainer)  # Lightning's would reset the bar to "Epoch N" and render it once

    def _advance(self, trainer: pl.Trainer) -> None:
        bar, done = self.train_progress_bar, max(0, trainer.global_step - self.start)
        if bar.n != done:
            bar.n = done
            bar.refresh()

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, int | str | float]:
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)  # the logger's version number, not a training figure
        return metrics

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        bar = self.train_progress_bar
        if bar is not None and not bar.disable:
            bar.n = max(0, trainer.global_step - self.start)
            bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
            bar.refresh()
