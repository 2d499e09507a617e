"""`pipeline.time_budget_min`: size a pipeline's training to a wall-clock budget from steps timed on this machine.

A 2-core AVX-512 Xeon runs the cpu_hour GAN step in ~0.55-0.8 s, a 2-core AVX2 EPYC in ~1.2 s (issue #21): a
fixed step count cannot hold 60 minutes on both. Before `train`, the pipeline times a few GAN steps through
the real module, data pipeline and Lightning Trainer, and gives train + finetune the steps that fit after the
time already spent and `pipeline.time_reserve_min` for the steps after them. A fast machine keeps the
configured steps (never more). After train, finetune is cut to what still fits if train ran over its forecast
(`recheck_finetune`). The decision is written to `<run_dir>/budget.json` and reused on a re-run, so an
interrupted run resumes with the same phase plan.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from faceswap.commands import training_config as build
from faceswap.training.timing import time_training_steps
from faceswap.utils.budget import BudgetPlan, plan_budget, split_steps, steady_step_seconds
from faceswap.utils.errors import ConfigError
from faceswap.utils.io import atomic_write_json
from faceswap.utils.machine import describe_machine

STEP_KEYS = {"train": "train.steps", "finetune": "finetune.steps"}
# Share of the budget kept free: a long run's mean step differs from the 12 timed ones by about this much either
# way (cpu_hour, 2-core EPYC: -5 %; the same with the CPU quota-limited to 1.45 cores: +5 %), and the steps
# after training slow down with the CPU while pipeline.time_reserve_min does not.
DRIFT_MARGIN = 0.05


@dataclass(frozen=True)
class BudgetDecision:
    """Steps per training command that fit the budget, and how that was decided."""

    plan: BudgetPlan
    steps: dict[str, int]  # train / finetune -> steps
    configured: dict[str, int]
    timing_s: float  # what timing the steps cost (inside plan.overhead_s)
    note: str = ""  # set when finetune was cut after train ran over its forecast (recheck_finetune)

    def describe(self) -> str:
        kept = self.steps == self.configured
        parts = " + ".join(f"{n} {k}" for k, n in self.steps.items())
        verdict = "keeps the configured steps" if kept else f"sized down from {sum(self.configured.values())}"
        return (
            f"time budget {self.plan.budget_s / 60:.0f} min: a GAN step takes {self.plan.step_seconds:.3f} s here; "
            f"{parts} steps ({verdict}); {self.plan.describe()}"
        )


def timed_step_seconds(cfg: DictConfig, steps: int) -> tuple[float, float]:
    """(median seconds of the dearest training step, seconds the timing took) on a throwaway module."""
    tick = time.perf_counter()
    pair = list(cfg.data.pair)
    plan = build.phase_plan(cfg, cfg.phases, int(cfg.train.steps))
    phase = max(plan, key=lambda p: (p.gan_weight > 0, p.batch_size))  # the GAN phase, the dearest
    module = build.build_module(cfg, plan, pair)
    datamodule = build.build_datamodule(cfg, pair)  # all faces: nothing learnt here is kept
    with tempfile.TemporaryDirectory(prefix="faceswap-budget-") as tmp:
        trainers = build.build_trainers(cfg, Path(tmp), loggers=False)
        times = time_training_steps(module, datamodule, phase, trainers, steps)
    return steady_step_seconds(times), time.perf_counter() - tick


def size_to_budget(cfg: DictConfig, elapsed_s: float, commands: list[str]) -> tuple[DictConfig, BudgetDecision]:
    """`cfg` with train.steps / finetune.steps sized to `pipeline.time_budget_min` ([commands] = pipeline.steps)."""
    p = cfg.pipeline
    record = Path(cfg.paths.run_dir) / "budget.json"
    if record.is_file():  # a re-run resumes the run it sized: same steps, same phase plan
        decision = read_decision(record)
    else:
        configured = {k: int(OmegaConf.select(cfg, key)) for k, key in STEP_KEYS.items() if k in commands}
        step_s, timing_s = timed_step_seconds(cfg, int(p.budget_timing_steps))
        overhead = elapsed_s + timing_s + 60 * float(p.time_reserve_min)
        total = sum(configured.values())
        plan = plan_budget(
            step_s,
            60 * float(p.time_budget_min),
            overhead,
            max_steps=total,
            min_steps=min(50, total),
            multiple=50,
            margin=DRIFT_MARGIN,
        )
        if not plan.fits:
            raise ConfigError(
                f"pipeline.time_budget_min={p.time_budget_min} leaves no time to train: {plan.describe()}",
                "raise pipeline.time_budget_min, lower pipeline.time_reserve_min, or set it to null (no budget)",
            )
        steps = configured if plan.steps >= total else split_steps(plan.steps, configured)
        decision = BudgetDecision(plan, steps, configured, round(timing_s, 1))
        atomic_write_json(record, asdict(decision) | {"machine": describe_machine()})  # the step time's machine
    return with_steps(cfg, decision.steps), decision


def read_decision(path: Path) -> BudgetDecision:
    data = json.loads(path.read_text())
    return BudgetDecision(
        BudgetPlan(**data["plan"]), data["steps"], data["configured"], data["timing_s"], data.get("note", "")
    )


def recheck_finetune(
    cfg: DictConfig, decision: BudgetDecision, elapsed_s: float, train_wall_s: float
) -> tuple[DictConfig, BudgetDecision]:
    """After train, before finetune: cut finetune to the steps that still fit when train ran over its forecast.

    The plan rests on 12 timed steps; a VM's step time drifts by 5-15 % over an hour (docs/benchmarks.md), and
    finetune is the last place the budget can still be held. Finetune's steps cost the timed GAN step scaled by
    train's overrun (never below 1: train's warm-up phase is cheaper than finetune's GAN steps). Never adds
    steps; the cut is written to budget.json, so a resumed run keeps it.
    """
    planned, trained = decision.steps.get("finetune"), decision.steps.get("train")
    if planned is None or trained is None:
        return cfg, decision
    forecast = trained * decision.plan.step_seconds
    overrun = max(1.0, train_wall_s / forecast)
    reserve = 60 * float(cfg.pipeline.time_reserve_min)
    fit = plan_budget(
        decision.plan.step_seconds * overrun,
        decision.plan.budget_s,
        elapsed_s + reserve,
        max_steps=planned,
        margin=DRIFT_MARGIN,
    )
    if fit.steps >= planned:
        return cfg, decision
    note = (
        f"train took {train_wall_s / 60:.1f} min, {overrun - 1:.1%} over its {forecast / 60:.1f} min forecast: "
        f"finetune cut from {planned} to {fit.steps} steps to hold pipeline.time_budget_min"
        + ("" if fit.fits else " (even 1 step eats into the reserve and drift margin: the run may go over)")
    )
    recheck = replace(decision, steps={**decision.steps, "finetune": fit.steps}, note=note)
    record = Path(cfg.paths.run_dir) / "budget.json"
    saved = json.loads(record.read_text()) if record.is_file() else {}
    atomic_write_json(record, saved | {"steps": recheck.steps, "note": note})
    return with_steps(cfg, recheck.steps), recheck


def with_steps(cfg: DictConfig, steps: dict[str, int]) -> DictConfig:
    """A copy of `cfg` whose train.steps / finetune.steps are `steps`."""
    sized = copy.deepcopy(cfg)
    with open_dict(sized):
        for name, n in steps.items():
            OmegaConf.update(sized, STEP_KEYS[name], n)
    return sized
