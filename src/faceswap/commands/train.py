"""`faceswap train`: fit the swap generator/discriminator through the configured phases, then export."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig

from faceswap.commands import training_config as build
from faceswap.commands.keys import translated
from faceswap.training import loop
from faceswap.training.module import TrainingDiverged
from faceswap.training.phases import PhaseError
from faceswap.utils.errors import ConfigError

# the key that sets a phase knob when the phase itself does not (build.phase_defaults)
KNOB_KEYS = {
    "batch_size": "train.batch_size",
    "gan_weight": "loss.terms.gan.weight",
    "random_warp": "augment.random_warp",
    "masked": "loss.masked",
}


@translated("train")
def run(cfg: DictConfig) -> dict[str, Any]:
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    with config_errors("phases", "train.steps"):
        return loop.train(build.build_train(cfg), "train")


@contextmanager
def config_errors(phases: str, steps_key: str) -> Iterator[None]:
    """Library errors -> one-line errors naming the config key to change (`phases` = the phase section)."""
    try:
        yield
    except PhaseError as exc:
        raise ConfigError(exc.problem, f"{exc.fix}: set {phase_key(exc, phases, steps_key)}") from None
    except TrainingDiverged as exc:
        raise ConfigError(
            exc.problem,
            "lower module.optimizer_g.lr / module.optimizer_d.lr or loss.terms.gan.weight, lower module.grad_clip,"
            " or raise module.nan_max",
        ) from None


def phase_key(exc: PhaseError, phases: str, steps_key: str) -> str:
    """The key behind a PhaseError: the phase's own override, or the default it took, or the plan's order."""
    if exc.phase is None:
        return steps_key if exc.knob == "steps" else f"{phases}.order"
    if exc.knob is None or exc.knob == "steps":
        return f"{phases}.plan.{exc.phase}"
    return f"{phases}.plan.{exc.phase}.{exc.knob} (default: {KNOB_KEYS.get(exc.knob, 'none')})"
