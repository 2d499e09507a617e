"""Config -> training objects, for `faceswap train` and `faceswap finetune` alike.

The one place that reads the training config: `cfg.module` (the LightningModule, its networks, loss terms
and optimizers), `cfg.phases` / `cfg.finetune.phases` (the phase plan), `cfg.train`, `cfg.trainer`,
`cfg.logger`. Everything it builds takes plain arguments; `training.loop` runs what it returns.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate as hydra_instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import Logger

from faceswap.commands.training_holdout import finetune_holdout, train_holdout
from faceswap.data.augment import AugmentConfig
from faceswap.data.datamodule import SwapDataModule
from faceswap.data.faceset import read_faceset
from faceswap.data.holdout import Holdout
from faceswap.models.generator import SwapGenerator, build_generator
from faceswap.training.adapt import apply_source, module_policies, read_source
from faceswap.training.ema import ema_halflife_note
from faceswap.training.export import generator_meta
from faceswap.training.loop import LoopOptions, TrainingRun
from faceswap.training.module import SwapModule
from faceswap.training.phases import PhaseSettings, build_plan
from faceswap.utils import machine
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.io import ensure_writable_dir
from faceswap.utils.logging import console
from faceswap.utils.threads import auto_workers, available_cpus, plan_threads

BF16_SLOWER_THAN_FP32 = 0.9  # bf16_conv_speedup below this says so (a VM's noise stays within ~10 %)


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


# ---- the phase plan -------------------------------------------------------------------------------
def phase_defaults(cfg: DictConfig) -> dict[str, Any]:
    """What a phase uses for a knob it does not set: the one key that owns each setting."""
    return {
        "batch_size": int(cfg.train.batch_size),
        "gan_weight": float(OmegaConf.select(cfg, "loss.terms.gan.weight", default=0.0) or 0.0),
        "random_warp": bool(cfg.augment.random_warp),
        "masked": bool(cfg.loss.masked),
    }


def phase_plan(cfg: DictConfig, phases: DictConfig, total_steps: int) -> list[PhaseSettings]:
    """`phases` = a `{order, plan}` section: `cfg.phases` for train, `cfg.finetune.phases` for finetune."""
    return build_plan(phase_defaults(cfg), list(phases.order), plain(phases.plan), int(total_steps))


# ---- module and data ------------------------------------------------------------------------------
def build_module(
    cfg: DictConfig,
    plan: Sequence[PhaseSettings],
    pair: Sequence[str],
    generator: SwapGenerator | None = None,
    meta: dict[str, Any] | None = None,
) -> SwapModule:
    """`instantiate(cfg.module)`; D and its optimizer exist only if some phase trains with the GAN.

    `generator` replaces the configured one (finetune rebuilds the checkpoint's architecture)."""
    configured = {"identities": list(pair), "resolution": int(cfg.model.resolution)}
    overrides: dict[str, Any] = {"generator": generator if generator is not None else configured}
    if not any(phase.gan_weight > 0 for phase in plan):
        overrides |= {"discriminator": None, "optimizer_d": None}
    return instantiate(cfg.module, **overrides, meta=meta)


def build_datamodule(
    cfg: DictConfig,
    pair: Sequence[str],
    holdout: Holdout | None = None,
    resolution: int | None = None,
    pretrain: Sequence[str] = (),
) -> SwapDataModule:
    augment: AugmentConfig = instantiate({k: v for k, v in plain(cfg.augment).items() if k != "name"})
    return SwapDataModule(
        faces_dir=str(cfg.paths.faces_dir),
        pair=list(pair),
        resolution=int(resolution or cfg.model.resolution),
        augment=augment,
        batch_size=int(cfg.train.batch_size),
        num_workers=loader_workers(cfg),
        seed=int(cfg.seed),
        pretrain_identities=list(pretrain),
        max_faces=int(cfg.train.get("max_faces", 0) or 0),
        holdout=holdout,
    )


def faceset_meta(
    cfg: DictConfig, faces_dir: str | Path, pair: Sequence[str], generator: SwapGenerator
) -> dict[str, Any]:
    """Export meta: face_type from the face set's manifest, padding from the preprocess config."""
    rows = read_faceset(Path(faces_dir) / pair[0], check_files=False)
    face_type = rows[0].get("face_type", "full") if rows else "full"
    padding = float(OmegaConf.select(cfg, "preprocess.padding", default=0.0) or 0.0)
    return generator_meta(generator, face_type=face_type, padding=padding)


# ---- trainers -------------------------------------------------------------------------------------
def quiet_lightning() -> None:
    """Keep Lightning's per-fit banners and known-harmless warnings off the console (one trainer per phase)."""
    logging.getLogger("pytorch_lightning.utilities.rank_zero").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode.*")  # the EMA copy is meant to be
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=r".*does not have many workers.*")


def loader_workers(cfg: DictConfig) -> int:
    """`trainer.num_workers`, or when null the rule for a DataLoader beside CPU training or feeding a GPU, over
    the CPUs of one training process."""
    requested = cfg.trainer.get("num_workers")
    lightning = cfg.trainer.lightning
    accelerator = str(lightning.accelerator)
    cpus = max(1, available_cpus() // _processes(accelerator, lightning.get("devices", 1)))
    kind = "cpu_loader" if accelerator == "cpu" else "loader"
    return auto_workers(None if requested is None else int(requested), kind, cpus)


def _processes(accelerator: str, devices: Any) -> int:
    """Training processes sharing this machine's CPUs (a multi-process CPU run); 1 otherwise."""
    return int(devices) if accelerator == "cpu" and isinstance(devices, int) and devices > 1 else 1


def training_threads(requested: int, accelerator: str, devices: Any) -> int:
    """Intra-op threads: `requested` if > 0, else `utils.threads.plan_threads` over the CPUs this process may use,
    shared by the training processes of a multi-process CPU run. DataLoader workers get no core of their own: a
    worker needs ~0.1 core here, and an idle core costs a 2-core machine half its speed."""
    if requested > 0:
        return requested
    return plan_threads(None, cpus=max(1, available_cpus() // _processes(accelerator, devices))).intra_op


class Trainers:
    """Makes the Lightning Trainer of each phase; all share one set of loggers (one run, one CSV/TB/wandb run)."""

    def __init__(self, lightning: DictConfig, loggers: list[Logger], out_dir: Path) -> None:
        if str(lightning.get("precision", "32")).startswith("16"):
            raise ConfigError(
                "precision 16-mixed is not supported (the D step bypasses the grad scaler)",
                "use trainer.lightning.precision=bf16-mixed or 32-true",
            )
        self.lightning, self.loggers, self.out_dir = lightning, loggers, out_dir
        self.progress_bar = bool(lightning.get("enable_progress_bar", True))

    def __call__(self, max_steps: int, callbacks: list[pl.Callback]) -> pl.Trainer:
        return instantiate(
            self.lightning,
            max_steps=max_steps,
            max_epochs=-1,
            callbacks=callbacks,
            logger=self.loggers or False,
            enable_checkpointing=False,
            use_distributed_sampler=False,
            default_root_dir=str(self.out_dir),
        )


def build_trainers(cfg: DictConfig, out_dir: Path, loggers: bool = True) -> Trainers:
    """The phases' Trainer factory; `loggers=False` for steps that are not part of the run (budget timing)."""
    quiet_lightning()
    lightning = cfg.trainer.lightning
    check_cpu_precision(str(lightning.accelerator), str(lightning.get("precision", "32-true")))
    threads = int(cfg.trainer.get("threads", 0) or 0)
    torch.set_num_threads(training_threads(threads, str(lightning.accelerator), lightning.get("devices", 1)))
    specs: Mapping[str, Any] = (plain(cfg.logger.get("loggers")) or {}) if loggers else {}
    if any(spec is not None for spec in specs.values()):
        (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    made = [instantiate(spec, save_dir=str(out_dir / "logs")) for _, spec in sorted(specs.items()) if spec]
    return Trainers(lightning, made, out_dir)


def check_cpu_precision(accelerator: str, precision: str) -> None:
    """bf16 on a CPU: refused without bf16 hardware (~14x slower than fp32). With it, bf16 can still be slower
    (a Xeon without AMX: 0.62x), which is said in one line but allowed: bf16's numerics may be the experiment."""
    if accelerator != "cpu" or not precision.startswith("bf16"):
        return
    info = machine.describe_machine()
    cpu = info["cpu"]
    if not machine.native_bf16(info):
        raise ConfigError(
            f"trainer.lightning.precision={precision} on this CPU ({cpu}, no AVX-512 BF16 or AMX) runs about 14x "
            "slower than fp32",
            "use trainer.lightning.precision=32-true",
        )
    speedup = machine.bf16_conv_speedup()
    if speedup < BF16_SLOWER_THAN_FP32:
        console.print(
            f"[yellow]warning[/] trainer.lightning.precision={precision}: a bf16 convolution runs at {speedup:.2f}x "
            f"the fp32 speed on this CPU ({cpu}), so training will be slower than fp32 — use "
            "trainer.lightning.precision=32-true for speed",
            soft_wrap=True,
        )


def loop_options(cfg: DictConfig) -> LoopOptions:
    t = cfg.train
    return LoopOptions(
        preview_every=int(t.preview_every),
        preview_faces=int(t.preview_faces),
        checkpoint_every=int(t.checkpoint_every),
        keep_every=int(t.keep_every),
        timelapse=bool(t.get("timelapse", True)),
    )


EMA_KEYS = ("module.ema_halflife_images", "module.ema_rampup")


def ema_notes(module: SwapModule, plan: Sequence[PhaseSettings]) -> tuple[str, ...]:
    """Say so when an EMA half-life the user set is never reached in this run (the ramp-up caps it). Quiet on
    settings the user did not give: the shipped ones and an experiment's, whose half-life fits the length they
    configure, so a shorter run (a budget-sized `cpu_hour`, a finetune, debug) is capped by design (SG2ADA)."""
    if not _ema_set_by_user(module):
        return ()
    run_images = sum(phase.steps * phase.batch_size for phase in plan)
    note = ema_halflife_note(
        module.ema_halflife_images, module.ema_rampup, run_images, "module.ema_halflife_images", "module.ema_rampup"
    )
    return (note,) if note else ()


def _ema_set_by_user(module: SwapModule) -> bool:
    """Whether the command line sets one of EMA_KEYS; outside a Hydra run (tests, notebooks), whether the
    module's EMA settings differ from the shipped defaults."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        given = {item.split("=", 1)[0].lstrip("+~") for item in HydraConfig.get().overrides.task}
        return any(key in given for key in EMA_KEYS)
    shipped = inspect.signature(SwapModule).parameters
    defaults = (shipped["ema_halflife_images"].default, shipped["ema_rampup"].default)
    return (module.ema_halflife_images, module.ema_rampup) != defaults


# ---- whole runs -----------------------------------------------------------------------------------
def build_train(cfg: DictConfig) -> TrainingRun:
    """Everything `faceswap train` fits: module, data, phase plan, trainers, where to resume."""
    out_dir = ensure_writable_dir(cfg.paths.train_dir)
    pretrain = list(cfg.train.get("pretrain_identities") or [])
    pair = list(cfg.data.pair)
    plan = phase_plan(cfg, cfg.phases, int(cfg.train.steps))
    last = out_dir / "checkpoints" / "last.ckpt"
    resume = last if (cfg.train.resume and last.is_file()) else None
    holdout = train_holdout(cfg, pretrain or pair, out_dir, resume is not None)
    datamodule = build_datamodule(cfg, pair, holdout, pretrain=pretrain)
    module = build_module(cfg, plan, pair)
    module.meta = faceset_meta(cfg, cfg.paths.faces_dir, pretrain[:1] or pair, module.generator)
    module.meta["pretrain_identities"] = pretrain
    trainers = build_trainers(cfg, out_dir)
    return TrainingRun(module, datamodule, plan, trainers, out_dir, loop_options(cfg), resume, ema_notes(module, plan))


def build_finetune(cfg: DictConfig) -> TrainingRun:
    """A run that starts from a trained checkpoint: its architecture and weights, keep/reinit/freeze per module."""
    ft = cfg.finetune
    out_dir = ensure_writable_dir(cfg.paths.finetune_dir)
    parts, source_meta = read_source(ft["from"])
    pair = list(ft.pair)
    plan = phase_plan(cfg, ft.phases, int(ft.steps))
    generator = build_generator(source_meta["model"], pair)  # architecture comes from the checkpoint
    policies = module_policies(generator.module_groups(), plain(ft.get("modules")) or {})
    meta = {**source_meta, "identities": pair, "finetuned_from": str(ft["from"]), "module_policies": policies}
    last = out_dir / "checkpoints" / "last.ckpt"
    resume = last if (ft.get("resume", True) and last.is_file()) else None
    holdout = finetune_holdout(cfg, Path(str(ft["from"])), pair, out_dir, resume is not None)
    datamodule = build_datamodule(cfg, pair, holdout, resolution=int(source_meta["resolution"]))
    module = build_module(cfg, plan, pair, generator=generator, meta=meta)
    same_pair = pair == list(source_meta["identities"])
    console.print(f"finetune from {ft['from']} ({'same pair' if same_pair else 'adapting to ' + '/'.join(pair)}):")
    frozen = apply_source(module, parts, policies, bool(ft.get("keep_discriminator", True)))
    plan = [phase.with_frozen(frozen) for phase in plan]
    trainers = build_trainers(cfg, out_dir)
    return TrainingRun(module, datamodule, plan, trainers, out_dir, loop_options(cfg), resume, ema_notes(module, plan))
