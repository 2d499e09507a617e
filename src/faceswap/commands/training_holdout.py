"""Held-out faces of a training run: chosen at train time, written into the run (`holdout.json`), carried
into finetune and read back by eval. The rule lives in `faceswap.data.holdout`; this reads its config."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig

from faceswap.data.holdout import (
    HOLDOUT_FILE,
    Holdout,
    HoldoutRule,
    choose_holdout,
    holdout_beside,
    read_holdout,
    write_holdout,
)
from faceswap.utils.errors import ConfigError, FaceswapError


def holdout_rule(cfg: DictConfig) -> HoldoutRule:
    h = cfg.data.holdout
    return HoldoutRule(fraction=float(h.fraction), gap_s=float(h.gap_s))


def train_holdout(cfg: DictConfig, identities: Sequence[str], out_dir: Path, resuming: bool) -> Holdout:
    """The faces this run keeps out of training: chosen now and written to holdout.json, or read back on resume."""
    rule, path = holdout_rule(cfg), out_dir / HOLDOUT_FILE
    if resuming and path.is_file():
        holdout = read_holdout(path)
        if holdout.rule != rule or not set(identities) <= set(holdout.identities):
            raise ConfigError(
                f"{path} was chosen with fraction={holdout.rule.fraction}, gap_s={holdout.rule.gap_s} for "
                f"{sorted(holdout.identities)}; this run asks for {rule.fraction}, {rule.gap_s} "
                f"for {sorted(identities)}",
                "resume with the run's data.holdout and identities, or train into a new paths.train_dir",
            )
        return holdout
    if resuming and rule.fraction > 0:
        raise FaceswapError(
            f"{out_dir} has a checkpoint but no {HOLDOUT_FILE}: which faces it trained on is unknown",
            "train into a new paths.train_dir, or start over with train.resume=false",
        )
    holdout = choose_holdout(cfg.paths.faces_dir, identities, rule)
    write_holdout(path, holdout)
    return holdout


def finetune_holdout(cfg: DictConfig, source: Path, pair: Sequence[str], out_dir: Path, resuming: bool) -> Holdout:
    """The checkpoint's own held-out faces, carried into this run (identities new to it get the same rule)."""
    path = out_dir / HOLDOUT_FILE
    if resuming and path.is_file():
        return read_holdout(path)
    found = holdout_beside(source)
    if found is not None:
        holdout = read_holdout(found)
        holdout.origin = str(found)
    elif holdout_rule(cfg).fraction > 0:
        raise FaceswapError(
            f"{source} has no {HOLDOUT_FILE} beside it, so which faces it was trained on is unknown",
            "finetune a checkpoint of a run that recorded it (retrain), or set data.holdout.fraction=0",
        )
    else:
        holdout = Holdout(holdout_rule(cfg), {})
    new = [name for name in pair if name not in holdout.identities]
    holdout.identities |= choose_holdout(cfg.paths.faces_dir, new, holdout.rule).identities
    write_holdout(path, holdout)
    return holdout
