"""`faceswap pipeline`: every step in order on one config, then a summary of where each artifact is."""

from __future__ import annotations

import copy
import importlib
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict
from rich.table import Table

from faceswap.commands.budget import BudgetDecision, recheck_finetune, size_to_budget
from faceswap.commands.keys import translated
from faceswap.utils.io import atomic_write_json, ensure_writable_dir
from faceswap.utils.logging import console, print_summary
from faceswap.utils.machine import describe_machine, machine_line
from faceswap.utils.threads import available_cpus

# What each step leaves behind, relative to paths.run_dir (docs/architecture.md, "Run directory").
ARTIFACTS: dict[str, list[str]] = {
    "collect": ["collect"],
    "preprocess": ["faces"],
    "train": ["train/checkpoints/last.ckpt", "train/generator.pt", "train/previews"],
    "finetune": ["finetune/checkpoints/last.ckpt", "finetune/generator.pt"],
    "swap": ["swap"],
    "generate": ["synthetic/index.json"],
    "bench": ["bench/report.md", "bench/results.json"],
    "eval": ["eval/eval.json", "eval/eval.md"],
    "swap_b2a": ["swap"],
    "eval_b2a": ["eval_b2a/eval.json", "eval_b2a/eval.md"],
}
#: steps that run a command module in the other direction (B's faces become A), from `pipeline.b2a_input`
REVERSE_STEPS = {"swap_b2a": "swap", "eval_b2a": "eval"}


# Per-term losses and learning rates stay in the command's own log; the summary keeps the headline numbers.
_DETAIL = ("loss_", "d_", "g_", "lr_")


def reverse_config(cfg: DictConfig) -> DictConfig:
    """The config of the b2a direction: swap B's media into A, and evaluate that swap against B's source."""
    from faceswap.swap.media import output_name

    a, b = (str(x) for x in cfg.data.pair)
    source = str(cfg.pipeline.b2a_input)
    rev = copy.deepcopy(cfg)
    with open_dict(rev):
        OmegaConf.update(rev, "swap.direction", "b2a")
        OmegaConf.update(rev, "swap.input", source)
        OmegaConf.update(rev, "eval.source", source)
        OmegaConf.update(rev, "eval.source_identity", b)
        OmegaConf.update(rev, "eval.target_identity", a)
        OmegaConf.update(rev, "eval.swapped", str(Path(cfg.paths.swap_dir) / output_name(Path(source), f"{b}2{a}")))
        OmegaConf.update(rev, "paths.eval_dir", f"{Path(cfg.paths.eval_dir)}_b2a")  # default: run_dir/eval_b2a
    return rev


@dataclass(frozen=True)
class StepTime:
    """Wall and CPU seconds of one step. CPU = user + system time of this process and of its finished children
    (DataLoader workers, preprocess and detector pools); CPU / wall near the CPU count means every core worked."""

    wall: float
    cpu: float

    @property
    def cpu_per_wall(self) -> float:
        return self.cpu / self.wall if self.wall > 0 else 0.0


def cpu_seconds() -> float:
    """User + system seconds of this process and its waited-for children so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn: Any, *args: Any) -> tuple[Any, StepTime]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = fn(*args)
    return result, StepTime(time.perf_counter() - wall, cpu_seconds() - cpu)


def run_step(name: str, cfg: DictConfig) -> tuple[Any, StepTime]:
    """Run one command module exactly as `faceswap <name>` would, returning its result and its wall/CPU time."""
    command = REVERSE_STEPS.get(name, name)
    module = importlib.import_module(f"faceswap.commands.{command}")
    console.rule(f"[bold]{name}")
    return timed(module.run, reverse_config(cfg) if name in REVERSE_STEPS else cfg)


@translated("pipeline")
def run(cfg: DictConfig) -> dict[str, Any]:
    run_dir = ensure_writable_dir(cfg.paths.run_dir)
    steps = list(cfg.pipeline.steps)
    unknown = [s for s in steps if s not in ARTIFACTS]
    if unknown:
        from faceswap.utils.errors import ConfigError

        raise ConfigError(f"unknown pipeline step(s) {unknown}", f"pipeline.steps may hold: {', '.join(ARTIFACTS)}")
    timings: dict[str, StepTime] = {}
    results: dict[str, Any] = {}
    budget: BudgetDecision | None = None
    wall, cpu = time.perf_counter(), cpu_seconds()
    for name in steps:
        if name == "train" and cfg.pipeline.get("time_budget_min"):
            console.rule("[bold]budget")
            (cfg, budget), timings["budget"] = timed(size_to_budget, cfg, time.perf_counter() - wall, steps)
            console.print(budget.describe())
        if name == "finetune" and budget is not None and "train" in timings:
            cfg, budget = recheck_finetune(cfg, budget, time.perf_counter() - wall, timings["train"].wall)
            if budget.note:
                console.print(f"[yellow]budget:[/yellow] {budget.note}")
        results[name], timings[name] = run_step(name, cfg)
    timings["total"] = StepTime(time.perf_counter() - wall, cpu_seconds() - cpu)
    summary = _summary(run_dir, steps, timings, results)
    if budget is not None:
        summary["budget"] = {
            "steps": budget.steps,
            "configured": budget.configured,
            "plan": budget.plan.describe(),
            "note": budget.note,
        }
    atomic_write_json(run_dir / "pipeline.json", summary)
    _print(summary)
    return summary


def _summary(run_dir: Path, steps: list[str], timings: dict[str, StepTime], results: dict[str, Any]) -> dict[str, Any]:
    artifacts = {
        f"{step}: {rel}": str((run_dir / rel).resolve())
        for step in steps
        for rel in ARTIFACTS[step]
        if (run_dir / rel).exists()
    }
    scalars = {
        f"{step}/{key}": value
        for step, res in results.items()
        if isinstance(res, dict)
        for key, value in res.items()
        if isinstance(value, (int, float, str)) and not isinstance(value, bool) and not key.startswith(_DETAIL)
    }
    return {
        "run_dir": str(run_dir.resolve()),
        "seconds": {k: round(v.wall, 2) for k, v in timings.items()},
        "cpu_seconds": {k: round(v.cpu, 2) for k, v in timings.items()},
        "cpu_per_wall": {k: round(v.cpu_per_wall, 2) for k, v in timings.items()},
        "cpus": available_cpus(),
        "machine": describe_machine(),
        "artifacts": artifacts,
        "results": scalars,
    }


def _print(summary: dict[str, Any]) -> None:
    table = Table(title=f"pipeline timings ({machine_line(summary['machine'])})", title_justify="left")
    for column in ("step", "wall s", "CPU s", "CPU/wall"):
        table.add_column(
            column, justify="left" if column == "step" else "right", style="bold" if column == "step" else ""
        )
    for step, wall in summary["seconds"].items():
        table.add_row(
            step, f"{wall:.1f}", f"{summary['cpu_seconds'][step]:.1f}", f"{summary['cpu_per_wall'][step]:.2f}"
        )
    console.print(table)
    if summary["results"]:
        print_summary("results", summary["results"])
    print_summary("artifacts", summary["artifacts"])
    for folder, direction in (("eval", "a2b"), ("eval_b2a", "b2a")):
        eval_md = Path(summary["run_dir"]) / folder / "eval.md"
        if eval_md.exists():
            console.print(f"[bold]{direction}[/bold]")
            console.print(eval_md.read_text())
