"""bf16 training on the CPU: 1.5x faster where the CPU has bf16 hardware (AVX-512 BF16 or AMX), 14x slower where
it has not (docs/benchmarks.md), so the train command refuses it there in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from faceswap.commands import train
from faceswap.training.export import load_generator
from faceswap.utils import machine
from faceswap.utils.errors import ConfigError
from tests.conftest import compose_command
from tests.train_faces import sample_faces

BF16 = ["trainer.lightning.precision=bf16-mixed", "train.steps=3", "train.preview_every=0"]


def test_bf16_hardware_is_read_from_the_isa() -> None:
    base = machine.describe_machine()
    assert not machine.native_bf16({**base, "isa": ["AVX2"]})
    assert not machine.native_bf16({**base, "isa": ["AVX2", "AVX-512"]})  # AVX-512 alone converts
    assert machine.native_bf16({**base, "isa": ["AVX2", "AVX-512", "AVX-512 BF16"]})
    assert machine.native_bf16({**base, "isa": ["AVX2", "AVX-512", "AMX"]})


def test_bf16_without_bf16_hardware_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "native_bf16", lambda info=None: False)
    cfg = compose_command("train", tmp_path, [f"paths.faces_dir={sample_faces()}", *BF16])
    with pytest.raises(ConfigError) as err:
        train.run(cfg)
    message = str(err.value)
    assert "trainer.lightning.precision=bf16-mixed" in message and "32-true" in message and "\n" not in message
    assert not (Path(cfg.paths.train_dir) / "checkpoints").exists()  # refused before any training output


def test_bf16_with_bf16_hardware_trains_and_exports_fp32(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "native_bf16", lambda info=None: True)  # tiny shapes: fast even where emulated
    cfg = compose_command("train", tmp_path, [f"paths.faces_dir={sample_faces()}", *BF16])
    result = train.run(cfg)
    assert result["steps"] == 3  # one per phase
    gen, _ = load_generator(Path(cfg.paths.train_dir) / "generator.pt")
    assert {p.dtype for p in gen.parameters()} == {torch.float32}  # autocast computes in bf16, weights stay fp32
    rgb, _ = gen(torch.rand(1, 3, 64, 64), "b")
    assert torch.isfinite(rgb).all()
