"""`faceswap train`: fit the swap generator/discriminator through the configured stages, then export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig

from faceswap.commands.keys import translated
from faceswap.training import factory
from faceswap.training.export import save_generator
from faceswap.training.loggers import close_loggers
from faceswap.training.previews import write_timelapse
from faceswap.training.runner import checkpoint_step, run_stages
from faceswap.training.settings import build_plan
from faceswap.utils.io import atomic_write_json, ensure_writable_dir
from faceswap.utils.logging import console, print_summary


@translated("train")
def run(cfg: DictConfig) -> dict[str, Any]:
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    out_dir = ensure_writable_dir(cfg.paths.train_dir)
    pretrain = list(cfg.train.get("pretrain_identities") or [])
    pair = list(cfg.data.pair)
    plan = build_plan(factory.plain(cfg.train), cfg.phases.order, factory.plain(cfg.phases.plan), int(cfg.train.steps))
    datamodule = factory.build_datamodule(cfg, pair, pretrain)
    generator = factory.build_generator_from_cfg(cfg, pair)
    meta = factory.faceset_meta(cfg.paths.faces_dir, pretrain[:1] or pair, generator, cfg)
    meta["pretrain_identities"] = pretrain
    module = factory.build_module(cfg, cfg.train, generator, plan, meta)
    last = out_dir / "checkpoints" / "last.ckpt"
    resume = last if (cfg.train.resume and last.is_file()) else None
    return fit_and_finish(cfg, module, datamodule, plan, out_dir, resume, "train")


def fit_and_finish(
    cfg: DictConfig, module: Any, datamodule: Any, plan: list[Any], out_dir: Path, resume: Path | None, name: str
) -> dict[str, Any]:
    """Run the stage plan with the configured trainer and loggers, then export; shared with finetune."""
    make_trainer = factory.make_trainer_factory(cfg, out_dir)
    result = run_stages(
        module,
        datamodule,
        plan,
        out_dir,
        make_trainer,
        resume_from=resume,
        preview_every=int(cfg.train.preview_every),
        preview_faces=int(cfg.train.preview_faces),
        checkpoint_every=int(cfg.train.checkpoint_every),
        keep_every=int(cfg.train.keep_every),
    )
    close_loggers(make_trainer.loggers)
    return finish(module, result, out_dir, cfg, name, total_steps=sum(s.steps for s in plan))


def finish(
    module: Any, result: dict[str, Any], out_dir: Path, cfg: DictConfig, name: str, total_steps: int
) -> dict[str, Any]:
    """Export the EMA generator, write the timelapse and a summary; shared with finetune."""
    last = Path(result["last_checkpoint"])
    if not module._trainer and last.is_file():  # nothing left to train: export what the checkpoint holds
        import torch

        module.load_state_dict(torch.load(last, map_location="cpu", weights_only=True)["state_dict"], strict=False)
    export = save_generator(out_dir / "generator.pt", module.ema, module.meta)
    timelapse = None
    if cfg.train.get("timelapse", True):
        frames = sorted(Path(result["previews"]).glob("step-*.png"))
        timelapse = write_timelapse(frames, Path(result["previews"]) / "timelapse.mp4")
    steps = checkpoint_step(last) if last.is_file() else 0
    summary = {
        "steps": steps,
        "total_steps": total_steps,
        "skipped_steps": int(module.skipped_steps),
        "seconds": {k: round(v, 2) for k, v in result["seconds"].items()},
        "checkpoint": str(last),
        "generator": str(export),
        "preview": str(Path(result["previews"]) / "latest.png"),
        "timelapse": str(timelapse) if timelapse else None,
    }
    losses = final_losses(module)
    summary["losses"] = losses  # every term, in summary.json
    summary["loss"] = losses.get("loss")  # the value a sweep minimises
    atomic_write_json(out_dir / "summary.json", summary)
    print_summary(f"{name} done", {k: v for k, v in summary.items() if not isinstance(v, dict)})
    console.print(f"[dim]{name}: stage seconds {summary['seconds']}; losses {losses}[/]")
    return summary


def final_losses(module: Any) -> dict[str, float]:
    """Last logged losses (for sweeps: `loss` is the value to minimise)."""
    out = {}
    trainer = module._trainer
    if trainer is None:
        return out
    for key, value in trainer.callback_metrics.items():
        if key.startswith("train/"):
            out[key.removeprefix("train/")] = round(float(value), 5)
    if "loss_g" in out:
        out["loss"] = out["loss_g"]
    return out
