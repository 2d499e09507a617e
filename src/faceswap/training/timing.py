"""Time a few training steps the way the real run takes them, so a run can size itself to a wall-clock budget.

The same module, data pipeline and Lightning Trainer as `training.loop`, on a throwaway module: nothing it
learns is kept, and it writes no checkpoint, preview or log.
"""

from __future__ import annotations

import time
from typing import Any

import pytorch_lightning as pl

from faceswap.data.datamodule import SwapDataModule
from faceswap.training.callbacks import PhaseProgressBar
from faceswap.training.loop import TrainerMaker
from faceswap.training.module import SwapModule
from faceswap.training.phases import PhaseSettings


class StepClock(pl.Callback):
    """Seconds between consecutive batch starts: the step, every hook and the data fetch (what a run pays)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._last: float | None = None

    def on_train_batch_start(self, *args: Any) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.times.append(now - self._last)
        self._last = now

    def on_train_end(self, *args: Any) -> None:
        if self._last is not None:
            self.times.append(time.perf_counter() - self._last)


def time_training_steps(
    module: SwapModule, datamodule: SwapDataModule, phase: PhaseSettings, trainers: TrainerMaker, steps: int
) -> list[float]:
    """Wall seconds of each of `steps` steps of `phase` (a GAN phase is the dearest): [steps]."""
    module.set_phase(phase, 0, 0)
    datamodule.apply_phase(phase.batch_size, phase.random_warp)
    clock = StepClock()
    callbacks: list[pl.Callback] = [clock]
    if trainers.progress_bar:  # Lightning's own bar would read "Epoch 0/-2" (endless sampler, no epochs)
        callbacks.append(PhaseProgressBar("budget timing", 0, steps))
    trainers(steps, callbacks).fit(module, datamodule=datamodule)
    return clock.times
