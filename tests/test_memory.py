"""faceswap.utils.memory: freed tensors stay mapped, so a repeated allocation stops page-faulting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from faceswap.utils import memory

glibc = pytest.mark.skipif(not memory.on_glibc(), reason="glibc's mallopt only")

# A "step" holds three 48 MiB activations at once, then frees them (blocks above glibc's largest automatic mmap
# threshold, 32 MiB): page faults per step, averaged over 8 steps after 8 warm-up steps.
CHILD = """
import resource, sys, torch
if sys.argv[1] == "retain":
    from faceswap.utils.memory import retain_freed_memory
    assert retain_freed_memory()
def step():
    held = [torch.empty(12 << 20, dtype=torch.float32).fill_(1.0) for _ in range(3)]
for _ in range(8):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(8):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 8)
"""
STEP_PAGES = 3 * (48 << 20) // os.sysconf("SC_PAGESIZE")


def faults_per_step(mode: str) -> float:
    env = {k: v for k, v in os.environ.items() if k not in memory.ENV}
    out = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


@glibc
def test_freed_memory_is_reused_instead_of_refaulted() -> None:
    assert faults_per_step("default") > 0.9 * STEP_PAGES  # glibc maps every page afresh each step by default
    assert faults_per_step("retain") < 0.1 * STEP_PAGES  # kept mapped and reused


@glibc
def test_children_inherit_the_thresholds_and_a_users_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in memory.ENV:
        monkeypatch.delenv(name, raising=False)
    assert memory.retain_freed_memory()
    assert {name: os.environ[name] for name in memory.ENV} == {k: str(v) for k, v in memory.ENV.items()}
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert not memory.retain_freed_memory()  # the user's value, applied by glibc at start-up, is left alone
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "131072"


def test_other_platforms_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.platform, "system", lambda: "Darwin")
    assert not memory.retain_freed_memory()
