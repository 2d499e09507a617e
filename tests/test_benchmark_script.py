"""scripts/benchmark.py runs end to end in --quick mode and writes valid JSON (slow: it trains and swaps)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faceswap.utils.memory import on_glibc

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "benchmark.py"


@pytest.mark.slow
def test_benchmark_quick_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "benchmark.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out), "--markdown", str(tmp_path / "b.md")],
        capture_output=True,
        text=True,
        timeout=1800,
        env={k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")},  # the script sets its own
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(out.read_text())
    ceiling = results["ceiling"]
    assert ceiling["fp32_ceiling_gflops"] == max(ceiling["fp32_gflops_by_kernel"].values()) > 0
    assert ceiling["fp32_ceiling_gflops"] >= ceiling["matmul_gflops_fp32"]  # matmul is one of its kernels
    for area in ("ceiling", "preprocess", "train", "train_options", "swap", "detectors", "generate_families"):
        assert "error" not in results[area], results[area]
    assert results["ceiling"]["memory_copy_gbs"] > 1.0  # any machine streams more than 1 GB/s
    if on_glibc():  # timed as the CLI runs (faceswap.utils.memory)
        assert all(ceiling["machine"]["malloc_thresholds"].values()), ceiling["machine"]["malloc_thresholds"]
    for tag in ("rec", "gan"):  # the run's best ceiling is at least the one adjacent to each timing
        entry = results["train"]["64px"][tag]
        assert entry["ceiling_gflops_adjacent"] <= results["train"]["ceiling_gflops_best"]
        assert entry["mfu_vs_adjacent_pct"] >= entry["mfu_pct"] and entry["mfu_vs_matmul_pct"] >= entry["mfu_pct"]
        pairs = entry["lightning_overhead_pct_by_pair"]  # --quick: two pairs, the target reads their median
        assert len(pairs) == 2 and min(pairs) - 0.1 <= entry["lightning_overhead_pct_paired"] <= max(pairs) + 0.1
    profile = results["train"]["step_profile_64px_gan"]
    assert profile["conv_share_pct"] >= 50 and profile["conv_gflops"] > 0  # convolution-bound on every CPU tried
    assert any(k.startswith("convolution") and v["gflops"] for k, v in profile["onednn"]["per_step"].items())
    options = results["train_options"]
    assert options["separable_decoder"]["params_g_M"] < options["cpu_hour"]["params_g_M"]
    assert "| `ceiling.machine.cpu` |" in (tmp_path / "b.md").read_text()


def test_benchmark_rejects_unknown_area(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--only", "nope", "--out", str(tmp_path / "x.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "unknown area" in proc.stderr


def test_targets_read_their_area_and_say_when_unmeasured() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    from benchmark import TARGETS, check_targets

    results = {"swap": {"df64": {"fps": 31.0}}, "train": {"64px": {"gan": {"mfu_pct": 55.0}}}}
    checked = check_targets(results)
    assert set(checked) == set(TARGETS)
    assert checked["swap 64 px, fps"]["met"] is True
    assert checked["train 64 px GAN, % of the all-core fp32 ceiling"]["met"] is False
    assert checked["preprocess 512², fps"] == {"measured": None, "target": ">= 60", "met": None}


def test_preprocess_area_times_the_shipped_smoothing(tmp_path: Path) -> None:
    """The area reads configs/command/preprocess.yaml (it broke silently when the config group was renamed)."""
    sys.path.insert(0, str(SCRIPT.parent))
    from benchmarks.preprocess import default_smoothing
    from tests.conftest import compose_command

    shipped = compose_command("preprocess", tmp_path, [], tiny=False).preprocess.track.smoothing
    assert default_smoothing() == dict(shipped) and default_smoothing()["beta"] > 0


def test_lightning_logging_pairs_both_ways_of_logging() -> None:
    """scripts/benchmarks/lightning_logging.py (docs/benchmarks.md's logging figure) times both loops per pair."""
    sys.path.insert(0, str(SCRIPT.parent))
    from benchmarks.lightning_logging import compare

    out = compare(rounds=2, steps=2, warmup=1)
    assert [len(v) for v in out["s_per_step"].values()] == [2, 2] and len(out["pct_by_pair"]) == 2
    assert all(0 < t < 30 for v in out["s_per_step"].values() for t in v)


def test_lightning_fixed_cost_pairs_the_debug_width_loops() -> None:
    """scripts/benchmarks/lightning_fixed_cost.py (the Xeon's Lightning figure in ms) pairs bare and Lightning
    loops of the debug-width model: a step of tens of ms, not the 64 px model's hundreds."""
    sys.path.insert(0, str(SCRIPT.parent))
    from benchmarks.lightning_fixed_cost import compare

    out = compare(rounds=2, steps=3, warmup=1)
    assert [len(v) for v in out["ms_per_step"].values()] == [2, 2] and len(out["lightning_ms_by_pair"]) == 2
    assert all(0 < t < 1000 for v in out["ms_per_step"].values() for t in v)


def test_machine_info_records_an_emulated_isa(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run under ONEDNN_MAX_CPU_ISA / ATEN_CPU_CAPABILITY says so: `isa` lists the CPU's flags, not the cap."""
    sys.path.insert(0, str(SCRIPT.parent))
    from benchmarks.ceiling import ISA_CAPS, machine_info

    for name in ISA_CAPS:
        monkeypatch.delenv(name, raising=False)
    assert machine_info("cpu")["isa_caps"] == {}
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert machine_info("cpu")["isa_caps"] == {"ONEDNN_MAX_CPU_ISA": "AVX2"}
