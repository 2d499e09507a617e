"""bench's progress bar: run_benchmark reports exactly `work_units` finished units, robustness or not."""

from __future__ import annotations

from functools import partial

import pytest

from faceswap.bench.detectors import create_detector
from faceswap.bench.runner import Protocol, Splits, run_benchmark, work_units
from faceswap.synth.index import load_samples, read_index, select
from faceswap.synth.toy import build_toy_dataset


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory) -> Splits:
    root = tmp_path_factory.mktemp("toy")
    records = read_index(build_toy_dataset(root, n_videos=6, frames=4, size=48, seed=0))["samples"]
    return Splits(*(load_samples(root, select(records, s)) for s in ("train", "val", "test")))


@pytest.mark.parametrize("robustness", [{"jpeg": [90, 50], "blur": [7]}, {}])
def test_every_unit_is_reported_once(splits: Splits, robustness: dict[str, list[float]]) -> None:
    protocol = Protocol(n_boot=10, cross_method=False, robustness=robustness)
    factories = {"spectrum": partial(create_detector, "spectrum", seed=0), "phase": partial(create_detector, "phase")}
    done: list[int] = []
    messages: list[str] = []
    results = run_benchmark(splits, factories, protocol, messages.append, on_done=lambda: done.append(1))
    assert len(done) == work_units(2, protocol) == 2 + sum(len(v) for v in robustness.values())
    assert messages[0] == "spectrum: fit + score" and set(results["main"]) == {"spectrum", "phase"}
