"""The notebooks run top to bottom on a real pipeline run (slow: it runs the pipeline first)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from faceswap.commands import pipeline
from tests.conftest import compose_command

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.slow
def test_quickstart_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = compose_command("pipeline", tmp_path)
    pipeline.run(cfg)
    monkeypatch.setenv("FACESWAP_RUN_DIR", str(cfg.paths.run_dir))
    nb = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"
    assert os.environ["FACESWAP_RUN_DIR"] == str(cfg.paths.run_dir)
