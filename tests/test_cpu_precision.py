"""bf16 training on the CPU: 1.4-1.7x faster on CPUs whose bf16 hardware is fast (Zen 4/5), 0.64x on a Xeon with
AVX-512 BF16 but no AMX, 14x slower without bf16 hardware (docs/benchmarks.md). The train command refuses it
without the hardware and says in one line, from a short measurement, when it would be slower than fp32."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from faceswap.commands import train
from faceswap.commands.training_config import check_cpu_precision
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
    monkeypatch.setattr(machine, "bf16_conv_speedup", lambda: 1.5)
    cfg = compose_command("train", tmp_path, [f"paths.faces_dir={sample_faces()}", *BF16])
    result = train.run(cfg)
    assert result["steps"] == 3  # one per phase
    gen, _ = load_generator(Path(cfg.paths.train_dir) / "generator.pt")
    assert {p.dtype for p in gen.parameters()} == {torch.float32}  # autocast computes in bf16, weights stay fp32
    rgb, _ = gen(torch.rand(1, 3, 64, 64), "b")
    assert torch.isfinite(rgb).all()


@pytest.mark.parametrize(("speedup", "said"), [(0.62, True), (1.5, False)])
def test_bf16_slower_than_fp32_is_said_in_one_line(
    speedup: float, said: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(machine, "native_bf16", lambda info=None: True)
    monkeypatch.setattr(machine, "bf16_conv_speedup", lambda: speedup)
    check_cpu_precision("cpu", "bf16-mixed")
    out = capsys.readouterr().out.strip()
    if said:
        assert "trainer.lightning.precision=bf16-mixed" in out and "0.62x" in out and "32-true" in out
        assert "\n" not in out
    else:
        assert out == ""


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="oneDNN's ISA caps are x86 names")
def test_the_bf16_probe_sees_bf16_without_hardware_run_slower() -> None:
    """The probe must tell a CPU without bf16 kernels (oneDNN and ATen held to AVX2: emulated bf16, 14x slower
    for the GAN step) from one with them, or the warning above could never fire where it should."""
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
    code = "from faceswap.utils import machine; print(machine.bf16_conv_speedup())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert float(out.stdout.strip()) < 0.5
    here = machine.bf16_conv_speedup()
    assert here > 0 and (machine.native_bf16() or here < 0.5)
