"""Typed checks on the composed config: a wrong type or an out-of-range value fails with the key's name.

Hydra's struct mode already rejects unknown keys; this adds types and ranges for the keys users tune most,
so `faceswap train train.steps=-5` fails before any work starts instead of deep inside Lightning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from faceswap.utils.errors import ConfigError

_MISSING = object()


@dataclass(frozen=True)
class Rule:
    key: str
    kind: type | tuple[type, ...]
    low: float | None = None
    high: float | None = None
    choices: Sequence[Any] | None = None
    nullable: bool = False

    def expected(self) -> str:
        names = self.kind.__name__ if isinstance(self.kind, type) else " or ".join(k.__name__ for k in self.kind)
        parts = [names]
        if self.low is not None or self.high is not None:
            parts.append(
                f"in [{self.low if self.low is not None else '-inf'}, {self.high if self.high is not None else 'inf'}]"
            )
        if self.choices is not None:
            parts.append(f"one of {list(self.choices)}")
        return " ".join(parts)


def _select(cfg: DictConfig, key: str) -> Any:
    return OmegaConf.select(cfg, key, default=_MISSING, throw_on_missing=False)


def check_rule(cfg: DictConfig, rule: Rule) -> None:
    value = _select(cfg, rule.key)
    if value is _MISSING or (value is None and rule.nullable):
        return
    kinds = rule.kind if isinstance(rule.kind, tuple) else (rule.kind,)
    ok_type = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        ok_type = True
    if not ok_type:
        raise ConfigError(f"config key {rule.key}={value!r} has the wrong type", f"use {rule.expected()}")
    if (rule.low is not None and value < rule.low) or (rule.high is not None and value > rule.high):
        raise ConfigError(f"config key {rule.key}={value!r} is out of range", f"use {rule.expected()}")
    if rule.choices is not None and value not in rule.choices:
        raise ConfigError(f"config key {rule.key}={value!r} is not a valid choice", f"use {rule.expected()}")


def check_config(cfg: DictConfig, rules: Sequence[Rule]) -> None:
    for rule in rules:
        check_rule(cfg, rule)


# Keys users tune most. A key absent from the composed config is skipped (e.g. a group option without it).
RULES: list[Rule] = [
    Rule("seed", int, 0),
    Rule("data.holdout.fraction", float, 0.0, 0.9),
    Rule("data.holdout.gap_s", float, 0.0),
    Rule("data.limit", int, 1, nullable=True),
    Rule("preprocess.size", int, 16, 4096),
    Rule("model.resolution", int, 16, 1024),
    Rule("train.steps", int, 1),
    Rule("train.batch_size", int, 1),
    Rule("module.optimizer_g.lr", float, 0.0, 1.0),
    Rule("module.optimizer_d.lr", float, 0.0, 1.0),
    Rule("finetune.steps", int, 1),
    Rule("loss.terms.gan.weight", float, 0.0),
    Rule("trainer.num_workers", int, 0, 64, nullable=True),
    Rule("swap.direction", str, choices=["a2b", "b2a", "a2a", "b2b"]),
    Rule("swap.batch_size", int, 1),
    Rule("swap.crf", int, 0, 51),
    Rule("swap.faces", str, choices=["largest", "all", "reference"]),
    Rule("swap.mask", str, choices=["hull", "learned", "intersection", "union"]),
    Rule("bench.n_boot", int, 0),
    Rule("eval.max_frames", int, 0),
    # thread and worker counts (faceswap.utils.threads): null or 0 = chosen from the machine's CPUs
    Rule("preprocess.workers", int, 0, 256, nullable=True),
    *(Rule(f"{c}.threads", int, 0, 1024, nullable=True) for c in ("preprocess", "swap", "generate", "bench", "eval")),
]
