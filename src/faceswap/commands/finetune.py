"""`faceswap finetune`: continue a trained model with new phases, or adapt it to a new identity pair."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig

from faceswap.commands import training_config as build
from faceswap.commands.keys import translated
from faceswap.commands.train import config_errors
from faceswap.training import loop


@translated("finetune")
def run(cfg: DictConfig) -> dict[str, Any]:
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    with config_errors("finetune.phases", "finetune.steps"):
        return loop.train(build.build_finetune(cfg), "finetune")
