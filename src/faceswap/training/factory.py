"""Stage-side composition shared by `train` and `finetune`: config sections -> module, data, trainer.

Only the stages call this; the library classes it builds take plain arguments.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate as hydra_instantiate
from omegaconf import DictConfig, OmegaConf

from faceswap.data.augment import AugmentConfig
from faceswap.data.datamodule import SwapDataModule
from faceswap.data.faceset import read_faceset
from faceswap.models.generator import SwapGenerator
from faceswap.training.export import generator_meta
from faceswap.training.loggers import build_loggers
from faceswap.training.module import SwapModule
from faceswap.training.runner import TrainerFactory
from faceswap.training.settings import StageSettings
from faceswap.utils.errors import ConfigError, FaceswapError


def plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def instantiate(node: Any, **kwargs: Any) -> Any:
    """hydra's instantiate, but a FaceswapError raised by the target stays a one-line FaceswapError."""
    try:
        return hydra_instantiate(node, **kwargs)
    except InstantiationException as exc:
        cause = exc.__cause__
        while cause is not None and not isinstance(cause, FaceswapError):
            cause = cause.__cause__
        if cause is not None:
            raise cause from None
        raise ConfigError(str(exc).splitlines()[0], "check the _target_ section named above in your config") from exc


def build_generator_from_cfg(cfg: DictConfig, pair: Sequence[str]) -> SwapGenerator:
    return instantiate(cfg.model.generator, identities=list(pair), resolution=int(cfg.model.resolution))


def build_module(
    cfg: DictConfig, step: DictConfig, generator: SwapGenerator, plan: Sequence[StageSettings], meta: dict[str, Any]
) -> SwapModule:
    """The LightningModule; D and its optimizer exist only if some stage trains with the GAN."""
    needs_d = any(stage.gan_weight > 0 for stage in plan)
    discriminator = instantiate(cfg.model.discriminator) if needs_d else None
    return SwapModule(
        generator=generator,
        discriminator=discriminator,
        reconstruction=instantiate(cfg.loss.reconstruction),
        gan=instantiate(cfg.loss.gan),
        optimizer_g=instantiate(cfg.train.optimizer_g),
        optimizer_d=instantiate(cfg.train.optimizer_d) if needs_d else None,
        ema_halflife_images=float(cfg.train.ema_halflife_images),
        ema_rampup=float(cfg.train.get("ema_rampup", 0.0) or 0.0),
        grad_clip=float(cfg.train.grad_clip),
        nan_max=int(cfg.train.nan_max),
        r1_gamma=float(cfg.loss.r1_gamma),
        r1_every=int(cfg.loss.r1_every),
        channels_last=bool(cfg.trainer.channels_last),
        cycle_weight=float(cfg.loss.get("cycle_weight", 0.0) or 0.0),
        cycle_samples=int(cfg.loss.get("cycle_samples", 2) or 2),
        meta=meta,
    )


def build_datamodule(cfg: DictConfig, pair: Sequence[str], pretrain: Sequence[str] = ()) -> SwapDataModule:
    augment: AugmentConfig = instantiate({k: v for k, v in plain(cfg.augment).items() if k != "name"})
    return SwapDataModule(
        faces_dir=str(cfg.paths.faces_dir),
        pair=list(pair),
        resolution=int(cfg.model.resolution),
        augment=augment,
        batch_size=int(cfg.train.batch_size),
        num_workers=int(cfg.trainer.num_workers),
        seed=int(cfg.seed),
        pretrain_identities=list(pretrain),
        max_faces=int(cfg.train.get("max_faces", 0) or 0),
        holdout_every=int(cfg.data.get("holdout_every", 0) or 0),
    )


def faceset_meta(
    faces_dir: str | Path, pair: Sequence[str], generator: SwapGenerator, cfg: DictConfig
) -> dict[str, Any]:
    """Export meta: face_type from the face set's manifest, padding from the preprocess config."""
    rows = read_faceset(Path(faces_dir) / pair[0], check_files=False)
    face_type = rows[0].get("face_type", "full") if rows else "full"
    padding = float(OmegaConf.select(cfg, "preprocess.padding", default=0.0) or 0.0)
    return generator_meta(generator, face_type=face_type, padding=padding)


def quiet_lightning() -> None:
    """Keep Lightning's per-fit banners and known-harmless warnings off the console (one trainer per stage)."""
    logging.getLogger("pytorch_lightning.utilities.rank_zero").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode.*")  # the EMA copy is meant to be
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=r".*does not have many workers.*")


def set_threads(threads: int, num_workers: int, accelerator: str) -> None:
    """On CPU leave one core per DataLoader worker: oversubscribed OpenMP threads slow a step several-fold."""
    if threads <= 0 and accelerator == "cpu":
        threads = max(1, (os.cpu_count() or 1) - num_workers)
    if threads > 0:
        torch.set_num_threads(threads)


def make_trainer_factory(cfg: DictConfig, out_dir: Path) -> TrainerFactory:
    """Trainers share one set of loggers, so one run logs into one CSV/TensorBoard/wandb run."""
    quiet_lightning()
    set_threads(
        int(cfg.trainer.get("threads", 0) or 0), int(cfg.trainer.num_workers), str(cfg.trainer.lightning.accelerator)
    )
    loggers = build_loggers(plain(cfg.logger.get("loggers")), out_dir / "logs")
    lightning = cfg.trainer.lightning
    if str(lightning.get("precision", "32")).startswith("16"):
        raise ConfigError(
            "precision 16-mixed is not supported (the D step bypasses the grad scaler)",
            "use trainer.lightning.precision=bf16-mixed or 32-true",
        )

    def factory(max_steps: int, callbacks: list[pl.Callback]) -> pl.Trainer:
        return instantiate(
            lightning,
            max_steps=max_steps,
            max_epochs=-1,
            callbacks=callbacks,
            logger=loggers or False,
            enable_checkpointing=False,
            use_distributed_sampler=False,
            default_root_dir=str(out_dir),
        )

    factory.loggers = loggers  # type: ignore[attr-defined]  (closed by the stage with close_loggers)
    return factory


def stage_defaults(*sections: Mapping[str, Any]) -> dict[str, Any]:
    """Merge knob defaults: later sections override earlier ones."""
    merged: dict[str, Any] = {}
    for section in sections:
        merged.update({k: v for k, v in plain(section).items()})
    return merged
