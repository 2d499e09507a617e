"""The stage plan: an ordered list of stages, each a set of overrides of the training knobs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from faceswap.utils.errors import ConfigError


@dataclass(frozen=True)
class StageSettings:
    """What one stage may change. Defaults come from the step config (`train.*`), overrides from `phases.plan`."""

    name: str = "train"
    steps: int = 100
    batch_size: int = 8
    lr_g: float = 5e-4
    lr_d: float = 2e-4
    lr_start_factor: float = 1.0  # both learning rates go linearly from this factor of lr_g/lr_d ...
    lr_end_factor: float = 1.0  # ... to this one over the stage (a warm-up, a decay, or one leg of a longer ramp)
    gan_weight: float = 0.0
    random_warp: bool = True
    masked: bool = True
    frozen: tuple[str, ...] = field(default_factory=tuple)  # generator module groups (encoder, inter, ...)

    def __post_init__(self) -> None:
        checks = {
            "steps": self.steps >= 1,
            "batch_size": self.batch_size >= 1,
            "lr_g": self.lr_g > 0,
            "lr_d": self.lr_d > 0,
            "lr_start_factor": self.lr_start_factor >= 0,
            "lr_end_factor": self.lr_end_factor >= 0,
            "gan_weight": self.gan_weight >= 0,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            values = ", ".join(f"{k}={getattr(self, k)}" for k in bad)
            raise ConfigError(
                f"stage '{self.name}' has out-of-range {values}",
                "steps and batch_size >= 1, learning rates > 0, gan_weight and the lr_*_factor knobs >= 0",
            )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "frozen": list(self.frozen)}


KNOBS = {f.name for f in fields(StageSettings)} - {"name", "steps"}


def build_plan(
    defaults: Mapping[str, Any], order: Sequence[str], plan: Mapping[str, Mapping[str, Any]], total_steps: int
) -> list[StageSettings]:
    """Stages in `order`; each takes `steps` or `fraction` (of `total_steps`) plus knob overrides.

    Fractions are rounded so that the stages add up to exactly `total_steps`; a stage gets at least one step.
    """
    if int(total_steps) < 1:
        raise ConfigError(
            f"train.steps={total_steps} must be at least 1", "set train.steps (finetune.steps) to 1 or more"
        )
    base = StageSettings(**{k: _coerce(k, v) for k, v in defaults.items() if k in KNOBS})
    stages: list[StageSettings] = []
    assigned, cum_fraction = 0, 0.0
    for i, name in enumerate(order):
        if name not in plan:
            raise ConfigError(f"stage '{name}' is in phases.order but not in phases.plan", f"define phases.plan.{name}")
        spec = dict(plan[name] or {})
        unknown = set(spec) - KNOBS - {"steps", "fraction"}
        if unknown:
            raise ConfigError(
                f"stage '{name}' has unknown keys {sorted(unknown)}",
                f"use only: steps, fraction, {', '.join(sorted(KNOBS))}",
            )
        fraction = float(spec.pop("fraction", 1.0 / len(order)))
        if "steps" in spec:
            steps = int(spec.pop("steps"))
        elif i == len(order) - 1:
            steps = max(1, total_steps - assigned)
        else:  # round the cumulative boundary, so fractions that add up to 1 give exactly total_steps
            cum_fraction += fraction
            steps = max(1, round(cum_fraction * total_steps) - assigned)
        assigned += steps
        overrides = {k: _coerce(k, v) for k, v in spec.items()}
        stages.append(replace(base, name=str(name), steps=steps, **overrides))
    if not stages:
        raise ConfigError("the stage plan is empty", "list at least one stage in phases.order")
    return stages


def _coerce(key: str, value: Any) -> Any:
    if key == "frozen":
        return tuple(str(v) for v in (value or ()))
    if key in ("batch_size", "steps"):
        return int(value)
    if key in ("random_warp", "masked"):
        return bool(value)
    return float(value)


def lr_factor(stage: StageSettings, steps_done: int) -> float:
    """The factor on lr_g/lr_d after `steps_done` steps of the stage: linear from start to end factor."""
    progress = min(1.0, max(0, steps_done) / max(1, stage.steps))
    return stage.lr_start_factor + (stage.lr_end_factor - stage.lr_start_factor) * progress


def _lr_ramp(s: StageSettings) -> str:
    if s.lr_start_factor == s.lr_end_factor == 1:
        return ""
    start = f" x{s.lr_start_factor:g}" if s.lr_start_factor != 1 else ""
    return f"{start} -> x{s.lr_end_factor:g}"


def describe_plan(stages: Sequence[StageSettings]) -> list[str]:
    """One line per stage for the console: name, steps and the knobs that matter."""
    lines = []
    for s in stages:
        frozen = f" frozen={','.join(s.frozen)}" if s.frozen else ""
        lines.append(
            f"{s.name}: {s.steps} steps, batch {s.batch_size}, lr_g {s.lr_g:g}, lr_d {s.lr_d:g}"
            f"{_lr_ramp(s)}, gan_weight {s.gan_weight:g},"
            f" warp {'on' if s.random_warp else 'off'}, masked {'on' if s.masked else 'off'}{frozen}"
        )
    return lines
