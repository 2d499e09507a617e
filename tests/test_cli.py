"""The console script: command listing, unknown commands, Hydra flags and help, one-line user errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faceswap.cli import COMMANDS, config_dir


def faceswap(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from faceswap.cli import main; main()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_lists_every_command() -> None:
    out = faceswap("--help")
    assert out.returncode == 0
    for command in COMMANDS:
        assert f"  {command} " in out.stdout


def test_unknown_command_is_one_line_error() -> None:
    out = faceswap("trian")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "unknown command 'trian'" in out.stderr and "train" in out.stderr


def test_every_command_has_a_primary_config() -> None:
    for command in COMMANDS:
        assert (config_dir() / f"{command}.yaml").is_file(), command


@pytest.mark.parametrize("command", ["train", "pipeline"])
def test_cfg_job_prints_composed_config(command: str, tmp_path: Path) -> None:
    out = faceswap(command, "--cfg", "job", "model=df", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"command: {command}" in out.stdout
    assert "paths:" in out.stdout and "model:" in out.stdout


def test_unknown_override_key_is_rejected_without_traceback(tmp_path: Path) -> None:
    out = faceswap("train", "model.no_such_key=3", "--cfg", "job", cwd=tmp_path)
    assert out.returncode != 0
    assert "no_such_key" in out.stderr
    assert "Traceback" not in out.stderr


def test_command_help_shows_config_groups_by_their_new_names(tmp_path: Path) -> None:
    out = faceswap("swap", "--help", cwd=tmp_path)
    assert out.returncode == 0
    assert out.stdout.startswith("faceswap swap:")
    groups = {line.split(":")[0] for line in out.stdout.splitlines() if ": " in line and "," in line}
    assert {"model", "postprocess", "face_detector", "phases", "detector", "landmarks"} <= groups
    assert not {"detect", "stages", "step"} & groups  # the names before issue #20
