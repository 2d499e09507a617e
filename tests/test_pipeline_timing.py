"""The pipeline's CPU/wall column counts this process and the worker processes it waited for."""

from __future__ import annotations

import multiprocessing as mp
import time

from faceswap.commands.pipeline import StepTime, timed


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def _in_child(seconds: float) -> None:
    child = mp.get_context("spawn").Process(target=_burn, args=(seconds,))
    child.start()
    child.join()


def test_cpu_of_own_work_is_counted() -> None:
    _, step = timed(_burn, 0.3)
    assert step.cpu >= 0.28 and step.wall >= 0.28


def test_cpu_of_finished_children_is_counted() -> None:
    _, step = timed(_in_child, 0.4)
    assert step.cpu >= 0.38  # the child's busy loop; the parent only waited


def test_ratio() -> None:
    assert StepTime(wall=2.0, cpu=3.0).cpu_per_wall == 1.5
    assert StepTime(wall=0.0, cpu=1.0).cpu_per_wall == 0.0
