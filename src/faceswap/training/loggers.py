"""Experiment loggers from config (CSV default, TensorBoard, wandb offline) and image logging for each."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pytorch_lightning.loggers import CSVLogger, Logger, TensorBoardLogger, WandbLogger


def build_loggers(specs: Mapping[str, Any] | None, save_dir: str | os.PathLike[str]) -> list[Logger]:
    """Instantiate every `logger.loggers.<name>` spec with `save_dir` pointing into the stage's out dir."""
    loggers = []
    for _, spec in sorted((specs or {}).items()):
        if spec is None:
            continue
        Path(save_dir).mkdir(parents=True, exist_ok=True)
        from faceswap.training.factory import instantiate

        loggers.append(instantiate(spec, save_dir=str(save_dir)))
    return loggers


def log_image(logger: Logger, key: str, rgb: np.ndarray, step: int) -> None:
    """Send an RGB uint8 [H,W,3] image to loggers that store images (CSV has none: the PNG is on disk)."""
    if isinstance(logger, TensorBoardLogger):
        logger.experiment.add_image(key, rgb, global_step=step, dataformats="HWC")
    elif isinstance(logger, WandbLogger):
        logger.log_image(key=key, images=[rgb], step=step)
    elif isinstance(logger, CSVLogger):
        return


def close_loggers(loggers: list[Logger]) -> None:
    """Flush every logger; wandb runs are finished so the offline run directory is complete."""
    for logger in loggers:
        logger.finalize("success")
        if isinstance(logger, WandbLogger) and logger._experiment is not None:
            logger.experiment.finish()
