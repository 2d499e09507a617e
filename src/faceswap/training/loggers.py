"""Image logging for each experiment logger (CSV default, TensorBoard, wandb offline), and closing them."""

from __future__ import annotations

import numpy as np
from pytorch_lightning.loggers import CSVLogger, Logger, TensorBoardLogger, WandbLogger


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
