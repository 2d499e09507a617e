"""Lightning's fixed cost a step in milliseconds, read where a VM's clock swings are small: the bare loop and the
Lightning Trainer over SwapModule's step at debug widths (32 px, ~50 ms a step), in adjacent pairs of
alternating order (`steps.alternating_pairs`). `train.py`'s paired percentage divides a few ms by a 0.2-0.4 s
step whose time can swing by 10-25 % within minutes on some VMs (docs/benchmarks.md, "A fifth kind"); a 10 %
swing of this step is ~5 ms, so the difference in ms is several times steadier.

    python scripts/benchmarks/lightning_fixed_cost.py [--rounds 6] [--steps 80]

Prints each loop's median ms a step per pair, each pair's difference (Lightning - bare) and their median. The
difference includes what SwapModule.training_step does beyond the bare loop (non-finite guards, optimizer
toggling, the learning-rate schedule, the progress bar's `loss`), as train.py's percentage does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.steps import (
    ROOT,
    alternating_pairs,
    build_module,
    compose_train,
    make_batches,
    median,
    pairs_main,
    time_bare,
    time_lightning,
)


def debug_widths() -> list[str]:
    """configs/debug/fast.yaml's model widths as overrides (its other settings, such as one thread, stay out)."""
    model = OmegaConf.load(ROOT / "configs" / "debug" / "fast.yaml").model
    return [f"model.{part}.{key}={value}" for part, node in model.items() for key, value in node.items()]


def compare(rounds: int, steps: int, warmup: int = 2) -> dict[str, Any]:
    """Median ms a step of the bare and the Lightning loop in `rounds` adjacent pairs, and their differences."""
    from faceswap.commands.training_config import training_threads

    torch.set_num_threads(training_threads(0, "cpu", 1))  # every core, as trainer=cpu
    cfg = compose_train(32, debug_widths())
    batches = make_batches(cfg, warmup + steps, int(cfg.train.batch_size))

    def timer(lightning: bool) -> Callable[[], list[float]]:
        def run() -> list[float]:
            module = build_module(cfg, gan=True)
            return (time_lightning if lightning else time_bare)(module, batches, warmup)

        return run

    timed = alternating_pairs({"bare": timer(False), "lightning": timer(True)}, rounds)
    ms = {name: [1e3 * median(block) for block in blocks] for name, blocks in timed.items()}
    diffs = [light - bare for bare, light in zip(ms["bare"], ms["lightning"], strict=True)]
    return {
        "ms_per_step": {k: [round(t, 2) for t in v] for k, v in ms.items()},
        "lightning_ms_by_pair": [round(d, 2) for d in diffs],
        "lightning_ms_median_pair": round(median(diffs), 2),
        "threads": torch.get_num_threads(),
    }


if __name__ == "__main__":
    pairs_main(__doc__, compare, steps=80)
