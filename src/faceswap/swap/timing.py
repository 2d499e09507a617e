"""Per-phase wall-clock accounting (decode, detect, align, generate, postprocess, blend, encode)."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator


class PhaseTimer:
    """`with timer("generate"): ...` adds the block's seconds to that phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start

    def timed_iter(self, phase: str, items: Iterator) -> Iterator:
        """Charge the time spent producing each item (e.g. decoding a frame) to `phase`."""
        iterator = iter(items)
        while True:
            with self(phase):
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item

    def report(self, frames: int, wall: float | None = None) -> dict[str, float]:
        """Seconds per phase (busy time; phases in background threads overlap) and the total.

        `wall`: elapsed seconds of the whole run; without it, the phases are assumed sequential."""
        total = wall if wall is not None else sum(self.seconds.values())
        out = {f"{k}_s": round(v, 3) for k, v in self.seconds.items()}
        out["total_s"] = round(total, 3)
        out["fps"] = round(frames / total, 2) if total > 0 else 0.0
        return out
