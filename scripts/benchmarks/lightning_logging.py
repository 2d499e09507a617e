"""What logging every training step would cost: SwapModule logs its loss terms only on the steps a logger writes
and on a fit's last step (`SwapModule._logs_written_now`); this times the 64 px GAN step under a Lightning
Trainer that way and with every step logged (the code before), in adjacent pairs of alternating order in one
process (`steps.alternating_pairs`, as `train.py` pairs Lightning with the bare loop).

    python scripts/benchmarks/lightning_logging.py [--rounds 6] [--steps 30]

The Trainer writes logs every 10 steps (`steps.time_lightning`, as `trainer=cpu`). Prints each loop's median
seconds a step and each pair's ratio (written-steps / every-step), then their median.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.steps import (
    alternating_pairs,
    build_module,
    compose_train,
    make_batches,
    median,
    pairs_main,
    time_lightning,
)


def compare(rounds: int, steps: int, warmup: int = 2) -> dict[str, Any]:
    """Median seconds a step of both ways of logging, `rounds` adjacent pairs, the order alternating."""
    from faceswap.commands.training_config import training_threads

    torch.set_num_threads(training_threads(0, "cpu", 1))  # every core, as trainer=cpu
    cfg = compose_train(64, [])
    batches = make_batches(cfg, warmup + steps, int(cfg.train.batch_size))

    def timer(every_step: bool) -> Callable[[], list[float]]:
        def run() -> list[float]:
            module = build_module(cfg, gan=True)
            if every_step:
                module._logs_written_now = lambda: True  # the instance's own: logs every step
            return time_lightning(module, batches, warmup)

        return run

    timed = alternating_pairs({"written_steps": timer(False), "every_step": timer(True)}, rounds)
    times = {name: [median(block) for block in blocks] for name, blocks in timed.items()}
    ratios = [w / e for w, e in zip(times["written_steps"], times["every_step"], strict=True)]
    return {
        "s_per_step": {k: [round(t, 4) for t in v] for k, v in times.items()},
        "pct_by_pair": [round(100 * (r - 1), 1) for r in ratios],
        "pct_median_pair": round(100 * (median(ratios) - 1), 1),
        "threads": torch.get_num_threads(),
    }


if __name__ == "__main__":
    pairs_main(__doc__, compare, steps=30)
