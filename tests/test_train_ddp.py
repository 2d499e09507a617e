"""Real DDP on CPU: two gloo processes train a few steps through the CLI and write one checkpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.train_faces import sample_faces


@pytest.mark.slow
def test_ddp_two_processes_on_cpu(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "faceswap.cli",
        "train",
        "debug=fast",
        "trainer=ddp",
        "trainer.lightning.accelerator=cpu",
        "trainer.lightning.devices=2",
        "trainer.lightning.precision=32-true",
        "trainer.channels_last=false",
        "trainer.num_workers=0",
        "trainer.threads=1",
        "train.steps=4",
        f"paths.faces_dir={sample_faces()}",
        f"paths.root_dir={tmp_path}",
    ]
    env = {**os.environ, "MASTER_PORT": "29517", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = tmp_path / "runs" / "sample" / "train"
    ckpt = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 4
    assert ckpt["faceswap_state"]["samples_seen"] == 4 * 2 * 2  # steps x batch 2 x world size 2
    assert (out / "generator.pt").is_file()
