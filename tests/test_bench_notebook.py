"""`notebooks/detector_benchmark.ipynb` runs on a bench output and draws its figures."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from faceswap.commands.bench import run as run_bench
from faceswap.synth.toy import build_toy_dataset

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "detector_benchmark.ipynb"


@pytest.mark.slow
def test_detector_benchmark_notebook_executes(compose_cfg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = compose_cfg("bench", ["detector=[spectrum,phase]", "bench.n_boot=20", "bench.perturbations=[jpeg,blur]"])
    build_toy_dataset(cfg.paths.synthetic_dir, n_videos=6, frames=4, size=64, methods=("coarse", "fine"))
    run_bench(cfg)
    monkeypatch.setenv("FACESWAP_BENCH_DIR", str(cfg.paths.bench_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, [(o["ename"], o["evalue"]) for o in errors]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
