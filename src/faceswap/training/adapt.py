"""Start a finetune from a trained checkpoint: keep, re-initialise or freeze each generator module."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from faceswap.training.export import EXPORT_FORMAT, META_KEY
from faceswap.training.module import SwapModule
from faceswap.utils.errors import ConfigError, FaceswapError
from faceswap.utils.io import require_file
from faceswap.utils.logging import console

POLICIES = ("keep", "reinit", "freeze")


def read_source(path: str | Path) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, Any]]:
    """-> ({"generator", "ema", "discriminator"} state dicts, meta) from a .ckpt or a generator.pt export."""
    path = require_file(path, "finetune source checkpoint")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise FaceswapError(
            f"cannot read {path}: {exc.__class__.__name__}",
            "give a .ckpt or generator.pt written by faceswap train",
            param="source",
        ) from exc
    if payload.get("format") == EXPORT_FORMAT:  # EMA weights only: they seed both G and its EMA
        return {"generator": payload["state_dict"], "ema": payload["state_dict"], "discriminator": {}}, payload["meta"]
    if META_KEY not in payload:
        raise FaceswapError(
            f"{path} is not a faceswap training checkpoint",
            "give runs/<name>/train/checkpoints/last.ckpt",
            param="source",
        )
    parts: dict[str, dict[str, torch.Tensor]] = {"generator": {}, "ema": {}, "discriminator": {}}
    for key, value in payload["state_dict"].items():
        head, _, rest = key.partition(".")
        if head in parts:
            parts[head][rest] = value
    if not parts["ema"]:
        parts["ema"] = parts["generator"]
    return parts, payload[META_KEY]


def module_policies(groups: Mapping[str, nn.Module], requested: Mapping[str, str]) -> dict[str, str]:
    """Policy per module group (unlisted ones are kept), validated against the architecture."""
    unknown = set(requested) - set(groups)
    if unknown:
        raise ConfigError(
            f"unknown modules {sorted(unknown)}", f"this architecture has {sorted(groups)}", param="modules"
        )
    bad = {k: v for k, v in requested.items() if v not in POLICIES}
    if bad:
        raise ConfigError(f"unknown policies {bad}", f"use one of {', '.join(POLICIES)}", param="modules")
    return {name: str(requested.get(name, "keep")) for name in groups}


def _load_groups(target: nn.Module, state: Mapping[str, torch.Tensor], groups: set[str]) -> None:
    selected = {k: v for k, v in state.items() if k.split(".")[0] in groups}
    own = target.state_dict()
    for key, value in selected.items():
        if key not in own or own[key].shape != value.shape:
            raise FaceswapError(
                f"checkpoint weight {key} does not fit the model",
                "finetune with the same architecture, or reinit that module",
            )
    target.load_state_dict(selected, strict=False)


def apply_source(
    module: SwapModule,
    parts: Mapping[str, Mapping[str, torch.Tensor]],
    policies: Mapping[str, str],
    keep_discriminator: bool = True,
) -> list[str]:
    """Load kept/frozen modules into G and its EMA; reinit ones keep their fresh weights. Returns frozen names."""
    kept = {name for name, policy in policies.items() if policy in ("keep", "freeze")}
    _load_groups(module.generator, parts["generator"], kept)
    module.ema.load_state_dict(module.generator.state_dict())  # reinit parts: EMA starts at the fresh weights
    _load_groups(module.ema, parts["ema"], kept)
    if module.discriminator is not None and keep_discriminator and parts["discriminator"]:
        try:
            module.discriminator.load_state_dict(parts["discriminator"])
        except RuntimeError:
            console.print("[yellow]discriminator config differs from the checkpoint's: starting D from scratch[/]")
    for name, policy in sorted(policies.items()):
        console.print(f"  {name}: {policy}")
    return sorted(name for name, policy in policies.items() if policy == "freeze")
