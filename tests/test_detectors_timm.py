"""timm backbones (xception, efficientnet_b4): skipped with a reason without timm; train when it is there."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from faceswap.bench.detectors import create_detector
from faceswap.bench.inputs import detector_input
from faceswap.synth.index import load_samples, read_index, select
from faceswap.synth.toy import build_toy_dataset


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("toy_timm")
    records = read_index(build_toy_dataset(root, n_videos=4, frames=4, size=32))["samples"]
    samples = {s: load_samples(root, select(records, s)) for s in ("train", "val", "test")}
    rng = np.random.default_rng(0)
    return {s: (detector_input(p, rng), p.labels) for s, p in samples.items()}


def test_missing_timm_is_a_skip_reason(toy, monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "timm" else real_find_spec(name, *a)
    )
    assert "timm is not installed" in create_detector("xception").skip_reason(toy["train"][0])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["xception", "efficientnet_b4"])
def test_timm_detector_trains_from_random_init(name: str, toy, tmp_path: Path) -> None:
    pytest.importorskip("timm")
    det = create_detector(name, seed=0, epochs=1, batch_size=16, device="cpu")
    scores = det.fit(*toy["train"], *toy["val"]).score(toy["test"][0])
    assert scores.shape == (len(toy["test"][1]),) and np.isfinite(scores).all()
