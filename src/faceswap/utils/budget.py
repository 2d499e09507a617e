"""Size a run to a wall-clock budget from a measured step time (experiment=cpu_hour on any CPU).

A 2-core AVX-512 Xeon runs the cpu_hour GAN step in ~0.55 s, a 2-core AVX2 EPYC in ~1.2 s (issue #21): a fixed
step count cannot hold 60 minutes on both. The caller times a few steps at the start, then asks how many steps
fit. Pure functions: no clock, no config, so the rule is tested by itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BudgetPlan:
    """How many steps fit into `budget_s`, and whether even the minimum did."""

    steps: int
    step_seconds: float
    budget_s: float
    overhead_s: float
    fits: bool  # False: the fixed overhead alone (or min_steps) exceeds the budget
    margin_s: float = 0.0  # kept free for step times that drift from the timed ones

    def describe(self) -> str:
        minutes = (self.overhead_s + self.steps * self.step_seconds) / 60
        note = "" if self.fits else " (does not fit: the budget is too small for the minimum)"
        kept = f", {self.margin_s / 60:.1f} min of it kept for drift" if self.margin_s else ""
        return (
            f"{self.steps} steps x {self.step_seconds:.3f} s + {self.overhead_s:.0f} s fixed = "
            f"{minutes:.1f} of {self.budget_s / 60:.1f} min{kept}{note}"
        )


def steady_step_seconds(times: Sequence[float], warmup: int = 2) -> float:
    """Seconds per step from timed steps: the median after `warmup` (first steps pay allocation and oneDNN
    kernel selection; the median ignores a step slowed by another process)."""
    steady = sorted(times[warmup:] if len(times) > warmup else times)
    if not steady or min(steady) <= 0:
        raise ValueError(f"need positive step times, got {list(times)}")
    mid = len(steady) // 2
    return steady[mid] if len(steady) % 2 else (steady[mid - 1] + steady[mid]) / 2


def weighted_step_seconds(fractions: Mapping[str, float], seconds: Mapping[str, float]) -> float:
    """Mean step time over phases that run at different speeds (warm-up without the GAN is ~20 % cheaper),
    weighted by each phase's share of the steps."""
    total = sum(fractions.values())
    if total <= 0 or set(fractions) - set(seconds):
        raise ValueError(f"fractions {dict(fractions)} need a positive sum and a time for every phase")
    return sum(f * seconds[name] for name, f in fractions.items()) / total


def plan_budget(
    step_seconds: float,
    budget_s: float,
    overhead_s: float = 0.0,
    *,
    min_steps: int = 1,
    max_steps: int | None = None,
    multiple: int = 1,
    margin: float = 0.0,
) -> BudgetPlan:
    """Steps that fit into `budget_s` after `overhead_s` of fixed work (preprocess, swap, eval, export, and the
    steps already timed) and a `margin` fraction of the budget kept free, rounded down to a `multiple` (e.g. the
    checkpoint interval), within [min_steps, max_steps]. `max_steps` keeps a fast machine at the configured run
    instead of training longer."""
    if step_seconds <= 0 or budget_s <= 0 or overhead_s < 0 or not 0 <= margin < 1:
        raise ValueError(f"step_seconds={step_seconds}, budget_s={budget_s}, overhead_s={overhead_s}, margin={margin}")
    margin_s = margin * budget_s
    fit = math.floor((budget_s - margin_s - overhead_s) / step_seconds)
    steps = (fit // multiple) * multiple if fit >= multiple else fit
    if max_steps is not None:
        steps = min(steps, max_steps)
    fits = steps >= min_steps
    return BudgetPlan(max(steps, min_steps), step_seconds, budget_s, overhead_s, fits, margin_s)


def steps_for_budget(step_seconds: float, budget_s: float, fixed_overhead_s: float = 0.0, **kw: int | None) -> int:
    """The step count of `plan_budget`."""
    return plan_budget(step_seconds, budget_s, fixed_overhead_s, **kw).steps  # type: ignore[arg-type]


def split_steps(total: int, shares: Mapping[str, int]) -> dict[str, int]:
    """Divide `total` steps among runs in proportion to their configured steps (train 5000 : finetune 500),
    each at least 1, summing to `total` (largest remainders get the leftover steps)."""
    whole = sum(shares.values())
    if whole <= 0 or total < len(shares):
        raise ValueError(f"cannot split {total} steps over {dict(shares)}")
    exact = {k: total * v / whole for k, v in shares.items()}
    out = {k: max(1, math.floor(v)) for k, v in exact.items()}
    for key in sorted(exact, key=lambda k: exact[k] - math.floor(exact[k]), reverse=True):
        if sum(out.values()) >= total:
            break
        out[key] += 1
    while sum(out.values()) > total:  # the max(1, .) floors overshot: take from the largest
        out[max(out, key=out.__getitem__)] -= 1
    return out
