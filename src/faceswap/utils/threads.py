"""How many threads and workers a command uses: one rule for every machine, with config keys as overrides.

The rule (`plan_threads`), for `cpus` = CPUs this process may run on (affinity mask, capped by a cgroup CPU quota):
- torch intra-op threads = all `cpus`. DataLoader workers, video decode/encode threads and the PNG writer are
  light and bursty next to the convolutions; leaving a core idle for them cost a 2-core AMD EPYC 0.87 s instead
  of 0.54 s per 64 px training step (issue #21). Only workers that are busy all the time (`busy_workers=True`,
  e.g. preprocess's detection processes) take their cores away from the parent: intra-op = cpus - workers.
- inter-op threads = 1 on up to 4 CPUs, else 2: faceswap runs no inter-op parallel work (no `torch.jit.fork`),
  so this pool only has to exist.
- OpenCV threads = the intra-op count (worker processes set their own OpenCV to 1 thread).
- A crowded machine (1-minute load average above cpus + 0.5, i.e. other jobs hold the cores) is the exception:
  there a preempted OpenMP thread stalls every other one at each barrier, and 2 threads ran the 64 px step 3-4x
  slower than 1 on the shared 2-core Xeon at load 7-13. Then a ~0.2 s matmul probe picks the fastest of 1,
  cpus/2 and cpus threads.
- An explicit count (config key > 0, or OMP_NUM_THREADS in the environment for the intra-op count) always wins.

Every compute command applies its plan at start (`apply_threads`), so one command's setting never leaks into the
next inside `faceswap pipeline` (train used to leave torch on 1 thread for swap, generate, bench and eval).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from faceswap.utils.logging import get_logger

log = get_logger(__name__)

CGROUP_V2 = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1 = (Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))
MAX_AUTO_WORKERS = 8  # more loader/process workers than this only add start-up time and memory


@dataclass(frozen=True)
class ThreadPlan:
    """Thread and worker counts for one process."""

    cpus: int  # CPUs this process may use
    intra_op: int  # torch.set_num_threads
    interop: int  # torch.set_num_interop_threads
    opencv: int  # cv2.setNumThreads
    workers: int  # DataLoader workers / worker processes beside this process

    def describe(self) -> str:
        return (
            f"{self.intra_op} intra-op, {self.interop} inter-op, {self.opencv} OpenCV thread(s), "
            f"{self.workers} worker(s) on {self.cpus} CPU(s)"
        )


def cgroup_cpu_limit(v2: Path = CGROUP_V2, v1: tuple[Path, Path] = CGROUP_V1) -> int | None:
    """CPUs allowed by a container's CPU quota (rounded up), or None when there is no quota."""
    try:
        quota, period = v2.read_text().split()[:2]
        if quota != "max":
            return max(1, math.ceil(int(quota) / int(period)))
        return None
    except (OSError, ValueError):
        pass
    try:
        quota_us, period_us = (int(p.read_text().strip()) for p in v1)
    except (OSError, ValueError):
        return None
    return max(1, math.ceil(quota_us / period_us)) if quota_us > 0 and period_us > 0 else None


def available_cpus() -> int:
    """CPUs this process may run on: the scheduler affinity mask (taskset, Slurm), capped by a cgroup quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    limit = cgroup_cpu_limit()
    return max(1, min(cpus, limit) if limit else cpus)


def _env_threads() -> int | None:
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


WorkerKind = Literal["loader", "cpu_loader", "process"]


def auto_workers(requested: int | None, kind: WorkerKind, cpus: int | None = None) -> int:
    """Worker count: `requested` when it is set (for a DataLoader 0 means loading in the main process), else the
    rule, capped at 8:
    - loader (a DataLoader feeding a GPU): cpus // 2, at least 1; they only decode and augment.
    - cpu_loader (a DataLoader beside CPU training on every core): 0 on up to 2 CPUs, else 1. On 2 cores a
      worker's start at every phase and its bursts, which stall both intra-op threads at each barrier, cost a
      300-step sample run 8 s (153-154 s against 145-146 s, 2-core EPYC); the batches are identical either way.
    - process (busy detection processes): 1 up to 2 CPUs (the parent's decode + writer threads fill the second
      core), else cpus - 1."""
    if requested is not None and (kind != "process" or requested > 0):
        return int(requested)
    cpus = cpus or available_cpus()
    if kind == "loader":
        return max(1, min(MAX_AUTO_WORKERS, cpus // 2))
    if kind == "cpu_loader":
        return 0 if cpus <= 2 else 1
    return 1 if cpus <= 2 else min(MAX_AUTO_WORKERS, cpus - 1)


def fastest_threads(candidates: list[int], rounds: int = 3) -> int:
    """The intra-op count among `candidates` that multiplies 384² matrices fastest right now (~0.2 s; rounds
    interleaved so a burst of other work hits every candidate alike)."""
    import torch

    before = torch.get_num_threads()
    a, b = torch.randn(384, 384), torch.randn(384, 384)
    best = dict.fromkeys(candidates, float("inf"))
    try:
        for _ in range(rounds):
            for n in candidates:
                torch.set_num_threads(n)
                start = time.perf_counter()
                for _ in range(8):
                    a @ b
                best[n] = min(best[n], time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)
    return min(candidates, key=lambda n: (best[n], n))


def plan_threads(
    intra_op: int | None = None,
    workers: int = 0,
    *,
    busy_workers: bool = False,
    cpus: int | None = None,
    load: float | None = None,
    probe: Callable[[list[int]], int] = fastest_threads,
) -> ThreadPlan:
    """The plan for a process that computes beside `workers` workers (see the module docstring for the rule).
    `intra_op` None or 0 = auto; `load` = the 1-minute load average (read when None)."""
    cpus = cpus or available_cpus()
    workers = max(0, int(workers))
    if intra_op and intra_op > 0:
        threads = int(intra_op)
    elif _env_threads():
        threads = int(_env_threads() or 1)
    else:
        threads = max(1, cpus - workers if busy_workers else cpus)
        load = os.getloadavg()[0] if load is None else load
        if threads > 1 and load > cpus + 0.5:  # other jobs hold the cores: more threads can be several x slower
            threads = probe(sorted({1, max(1, threads // 2), threads}))
    threads = max(1, threads)
    return ThreadPlan(cpus=cpus, intra_op=threads, interop=1 if cpus <= 4 else 2, opencv=threads, workers=workers)


def apply_threads(plan: ThreadPlan) -> ThreadPlan:
    """Set torch's and OpenCV's thread pools to `plan`. Torch fixes its inter-op pool on first use, so a
    second command in the same process (pipeline) keeps the first one's inter-op count."""
    import cv2
    import torch

    torch.set_num_threads(plan.intra_op)
    if torch.get_num_interop_threads() != plan.interop:
        with contextlib.suppress(RuntimeError):  # already started: harmless, the pool is idle in faceswap
            torch.set_num_interop_threads(plan.interop)
    cv2.setNumThreads(plan.opencv)
    log.info("threads: %s", plan.describe())
    return plan


def use_threads(intra_op: int | None = None, workers: int = 0, *, busy_workers: bool = False) -> ThreadPlan:
    """plan_threads + apply_threads: what a command calls first with its `threads` / `workers` keys."""
    return apply_threads(plan_threads(intra_op, workers, busy_workers=busy_workers))
