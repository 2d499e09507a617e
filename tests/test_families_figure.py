"""scripts/families_figure.py: every family it can draw without a trained generator, and a clear note for
the two it cannot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "families_figure.py"


def _module():
    spec = importlib.util.spec_from_file_location("families_figure", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_figure_without_a_run_draws_the_four_families_that_need_no_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figure = _module()
    grid = figure.make_figure(tmp_path)  # a run dir with no generators
    tile = figure.TILE
    assert grid.shape == (2 * tile, 5 * tile, 3)  # real/driver + mesh_swap, reenact, mouth, sbi
    out = capsys.readouterr().out
    assert "ae_swap: no generator" in out and "ae_swap_liae: no generator" in out
    real, sbi = grid[:tile, :tile].astype(int), grid[:tile, 4 * tile :].astype(int)
    assert abs(sbi - real).mean() > 1.0  # a fake, not the real again
