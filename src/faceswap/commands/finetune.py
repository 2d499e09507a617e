"""`faceswap finetune`: continue a trained model with new stages, or adapt it to a new identity pair."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig

from faceswap.commands.keys import translated
from faceswap.commands.train import fit_and_finish
from faceswap.models.generator import build_generator
from faceswap.training import factory
from faceswap.training.adapt import apply_source, module_policies, read_source
from faceswap.training.settings import KNOBS, build_plan
from faceswap.utils.io import ensure_writable_dir
from faceswap.utils.logging import console


@translated("finetune")
def run(cfg: DictConfig) -> dict[str, Any]:
    ft = cfg.finetune
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    out_dir = ensure_writable_dir(cfg.paths.finetune_dir)
    parts, source_meta = read_source(ft["from"])
    pair = list(ft.pair)
    knobs = factory.stage_defaults(cfg.train, {k: v for k, v in factory.plain(ft).items() if k in KNOBS})
    plan = build_plan(knobs, ft.order, factory.plain(ft.plan), int(ft.steps))
    generator = build_generator(source_meta["model"], pair)  # architecture comes from the checkpoint
    policies = module_policies(generator.module_groups(), factory.plain(ft.get("modules")) or {})
    meta = {**source_meta, "identities": pair, "finetuned_from": str(ft["from"]), "module_policies": policies}
    with_cfg = cfg.copy()
    with_cfg.model.resolution = int(source_meta["resolution"])
    datamodule = factory.build_datamodule(with_cfg, pair)
    module = factory.build_module(with_cfg, cfg.train, generator, plan, meta)
    same_pair = pair == list(source_meta["identities"])
    console.print(f"finetune from {ft['from']} ({'same pair' if same_pair else 'adapting to ' + '/'.join(pair)}):")
    frozen = apply_source(module, parts, policies, bool(ft.get("keep_discriminator", True)))
    plan = [replace(stage, frozen=tuple(sorted({*stage.frozen, *frozen}))) for stage in plan]
    last = out_dir / "checkpoints" / "last.ckpt"
    resume = last if (ft.get("resume", True) and last.is_file()) else None
    return fit_and_finish(with_cfg, module, datamodule, plan, out_dir, resume, "finetune")
