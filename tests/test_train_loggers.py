"""Loggers: TensorBoard and wandb offline write scalars and preview images (CSV: tests/test_train.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceswap.commands import train
from tests.conftest import compose_command
from tests.train_faces import sample_faces


def _train(root: Path, logger: str) -> Path:
    cfg = compose_command("train", root, [f"paths.faces_dir={sample_faces()}", f"logger={logger}", "train.steps=4"])
    train.run(cfg)
    return Path(cfg.paths.train_dir) / "logs"


def test_tensorboard_logger_writes_scalars_and_previews(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logs = _train(tmp_path, "tensorboard")
    events = sorted(logs.glob("tensorboard/**/events.out.tfevents.*"))
    assert events
    acc = EventAccumulator(str(events[0].parent))
    acc.Reload()
    assert "train/loss_dssim" in acc.Tags()["scalars"] and "preview" in acc.Tags()["images"]


@pytest.mark.slow  # wandb's service takes ~10-60 s to start on a busy 2-core machine
def test_wandb_offline_logs_scalars_and_images(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    logs = _train(tmp_path, "wandb")
    runs = sorted(logs.glob("wandb/offline-run-*"))
    assert len(runs) == 1
    record = next(runs[0].glob("run-*.wandb")).read_bytes()  # the offline run, as `wandb sync` would upload it
    for key in (b"train/loss_g", b"train/loss_dssim", b"train/d_real"):
        assert record.count(key) >= 2, key  # one history row per logged step
    assert list((runs[0] / "files" / "media" / "images").glob("preview_*.png"))
