"""Wrong types and out-of-range values are refused with the key's name, before any work starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from faceswap.utils.config_check import RULES, Rule, check_config
from faceswap.utils.errors import ConfigError


def test_composed_defaults_pass_every_rule(compose_cfg) -> None:  # type: ignore[no-untyped-def]
    for stage in ("pipeline", "train", "swap", "bench"):
        check_config(compose_cfg(stage, tiny=False), RULES)


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "wrong type"), (-3, "out of range"), (True, "wrong type")],
)
def test_bad_values_name_the_key(value: object, message: str) -> None:
    cfg = OmegaConf.create({"trainer": {"max_steps": value}})
    with pytest.raises(ConfigError, match=rf"trainer.max_steps=.*{message}"):
        check_config(cfg, [Rule("trainer.max_steps", int, 1)])


def test_choices_are_listed_in_the_fix() -> None:
    cfg = OmegaConf.create({"model": {"resolution": 100}})
    with pytest.raises(ConfigError, match=r"one of \[64, 96, 128, 256\]"):
        check_config(cfg, [Rule("model.resolution", int, choices=[64, 96, 128, 256])])


def test_cli_reports_wrong_type_in_one_line(tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "from faceswap.cli import main; main()", "eval", "seed=abc"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 2
    assert "seed='abc'" in out.stderr and "wrong type" in out.stderr
    assert "Traceback" not in out.stderr and out.stderr.strip().count("\n") == 0


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("train.steps=-5", "train.steps"),
        ("swap.crf=99", "swap.crf"),
        ("swap.direction=up", "swap.direction"),
        ("eval.threads=-1", "eval.threads"),
        ("preprocess.workers=-2", "preprocess.workers"),
    ],
)
def test_real_config_rejects_out_of_range_values(compose_cfg, override: str, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=key):
        check_config(compose_cfg("pipeline", [override]), RULES)
