"""The phase plan: an ordered list of training phases, each a set of overrides of the training knobs.

Learning rates are not knobs: the optimizers' own `lr` is the learning rate, and a phase scales it
linearly from `lr_start_factor` to `lr_end_factor` over its steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from faceswap.utils.errors import ConfigError


class PhaseError(ConfigError):
    """A phase plan mistake; `phase` and `knob` say where, so a command can name the config key to change."""

    def __init__(self, problem: str, fix: str, phase: str | None = None, knob: str | None = None) -> None:
        super().__init__(problem, fix)
        self.phase, self.knob = phase, knob


@dataclass(frozen=True)
class PhaseSettings:
    """What one phase may change. Defaults are passed to `build_plan`; overrides come from the plan."""

    name: str = "train"
    steps: int = 100
    batch_size: int = 8
    lr_start_factor: float = 1.0  # both learning rates go linearly from this factor of the optimizers' lr ...
    lr_end_factor: float = 1.0  # ... to this one over the phase (a warm-up, a decay, or one leg of a longer ramp)
    gan_weight: float = 0.0
    random_warp: bool = True
    masked: bool = True
    frozen: tuple[str, ...] = field(default_factory=tuple)  # generator module groups (encoder, inter, ...)

    def __post_init__(self) -> None:
        checks = {
            "steps": self.steps >= 1,
            "batch_size": self.batch_size >= 1,
            "lr_start_factor": self.lr_start_factor >= 0,
            "lr_end_factor": self.lr_end_factor >= 0,
            "gan_weight": self.gan_weight >= 0,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            values = ", ".join(f"{k}={getattr(self, k)}" for k in bad)
            raise PhaseError(
                f"phase '{self.name}' has out-of-range {values}",
                "steps and batch_size >= 1; gan_weight and the lr factors >= 0",
                phase=self.name,
                knob=bad[0],
            )

    def with_frozen(self, names: Sequence[str]) -> PhaseSettings:
        """This phase with `names` frozen as well (finetune's frozen modules hold in every phase)."""
        return replace(self, frozen=tuple(sorted({*self.frozen, *names})))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "frozen": list(self.frozen)}


KNOBS = {f.name for f in fields(PhaseSettings)} - {"name", "steps"}


def build_plan(
    defaults: Mapping[str, Any], order: Sequence[str], plan: Mapping[str, Mapping[str, Any]], total_steps: int
) -> list[PhaseSettings]:
    """Phases in `order`; each takes `steps` or `fraction` (of `total_steps`) plus knob overrides.

    Fractions are rounded so that the phases add up to exactly `total_steps`; a phase gets at least one step.
    """
    if int(total_steps) < 1:
        raise PhaseError(f"the total step count {total_steps} must be at least 1", "train 1 step or more", knob="steps")
    base = PhaseSettings(**{k: _coerce(k, v) for k, v in defaults.items() if k in KNOBS})
    phases: list[PhaseSettings] = []
    assigned, cum_fraction = 0, 0.0
    for i, name in enumerate(order):
        if name not in plan:
            raise PhaseError(f"phase '{name}' is in the order but not in the plan", "define it", phase=str(name))
        spec = dict(plan[name] or {})
        unknown = set(spec) - KNOBS - {"steps", "fraction"}
        if unknown:
            raise PhaseError(
                f"phase '{name}' has unknown keys {sorted(unknown)}",
                f"use only: steps, fraction, {', '.join(sorted(KNOBS))}",
                phase=str(name),
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
        phases.append(replace(base, name=str(name), steps=steps, **overrides))
    if not phases:
        raise PhaseError("the phase plan is empty", "list at least one phase in the order")
    return phases


def _coerce(key: str, value: Any) -> Any:
    if key == "frozen":
        return tuple(str(v) for v in (value or ()))
    if key in ("batch_size", "steps"):
        return int(value)
    if key in ("random_warp", "masked"):
        return bool(value)
    return float(value)


def phase_bounds(plan: Sequence[PhaseSettings]) -> list[tuple[int, int]]:
    """[(first step, end step)] of each phase in cumulative generator steps."""
    bounds, start = [], 0
    for phase in plan:
        bounds.append((start, start + phase.steps))
        start += phase.steps
    return bounds


def lr_factor(phase: PhaseSettings, steps_done: int) -> float:
    """The factor on the optimizers' lr after `steps_done` steps of the phase: linear from start to end factor."""
    progress = min(1.0, max(0, steps_done) / max(1, phase.steps))
    return phase.lr_start_factor + (phase.lr_end_factor - phase.lr_start_factor) * progress


def _lr_ramp(s: PhaseSettings) -> str:
    if s.lr_start_factor == s.lr_end_factor == 1:
        return ""
    start = f" x{s.lr_start_factor:g}" if s.lr_start_factor != 1 else ""
    return f"{start} -> x{s.lr_end_factor:g}"


def describe_plan(phases: Sequence[PhaseSettings], lr_g: float, lr_d: float | None) -> list[str]:
    """One line per phase for the console: name, steps and the knobs that matter."""
    lines = []
    lrs = f"lr_g {lr_g:g}" + (f", lr_d {lr_d:g}" if lr_d is not None else "")
    for s in phases:
        frozen = f" frozen={','.join(s.frozen)}" if s.frozen else ""
        lines.append(
            f"{s.name}: {s.steps} steps, batch {s.batch_size}, {lrs}{_lr_ramp(s)}, gan_weight {s.gan_weight:g},"
            f" warp {'on' if s.random_warp else 'off'}, masked {'on' if s.masked else 'off'}{frozen}"
        )
    return lines
