"""The console script: stage listing, unknown stages, Hydra flags, one-line user errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faceswap.cli import COMMANDS, config_dir


def faceswap(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from faceswap.cli import main; main()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_lists_every_stage() -> None:
    out = faceswap("--help")
    assert out.returncode == 0
    for stage in COMMANDS:
        assert f"  {stage} " in out.stdout


def test_unknown_stage_is_one_line_error() -> None:
    out = faceswap("trian")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "unknown stage 'trian'" in out.stderr and "train" in out.stderr


def test_every_stage_has_a_primary_config() -> None:
    for stage in COMMANDS:
        assert (config_dir() / f"{stage}.yaml").is_file(), stage


@pytest.mark.parametrize("stage", ["train", "pipeline"])
def test_cfg_job_prints_composed_config(stage: str, tmp_path: Path) -> None:
    out = faceswap(stage, "--cfg", "job", "model=df", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"stage: {stage}" in out.stdout
    assert "paths:" in out.stdout and "model:" in out.stdout


def test_unknown_override_key_is_rejected_without_traceback(tmp_path: Path) -> None:
    out = faceswap("train", "model.no_such_key=3", "--cfg", "job", cwd=tmp_path)
    assert out.returncode != 0
    assert "no_such_key" in out.stderr
    assert "Traceback" not in out.stderr


def test_stage_help_shows_config_groups(tmp_path: Path) -> None:
    out = faceswap("swap", "--help", cwd=tmp_path)
    assert out.returncode == 0
    assert "model" in out.stdout and "postprocess" in out.stdout
