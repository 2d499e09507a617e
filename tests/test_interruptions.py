"""kill -9 in the middle of a stage, then rerun: nothing truncated under a final name, work resumes.

The stage runs as `faceswap <stage>` in a subprocess, killed with SIGKILL as soon as it has visibly
started writing; then the same stage runs again in-process and the outputs are checked.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hydra.utils import instantiate

from faceswap.commands import collect, preprocess
from faceswap.training.export import generator_meta, save_generator
from tests.conftest import TINY, compose_command


def run_and_kill(stage: str, root: Path, overrides: list[str], started: Callable[[], bool], limit: float = 240) -> bool:
    """Start `faceswap <stage>`, SIGKILL it once `started()` holds; False if it finished first."""
    args = [sys.executable, "-c", "from faceswap.cli import main; main()", stage, *TINY, f"paths.root_dir={root}"]
    proc = subprocess.Popen([*args, *overrides], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if started():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    return False


def _collected(root: Path) -> None:
    collect.run(compose_command("collect", root))


def test_preprocess_resumes_without_duplicates_or_gaps(tmp_path: Path) -> None:
    _collected(tmp_path)
    faces = tmp_path / "runs" / "sample" / "faces" / "a"
    killed = run_and_kill("preprocess", tmp_path, [], lambda: len(list(faces.glob("*.png"))) >= 3)
    assert killed, "preprocess finished before it could be interrupted"
    preprocess.run(compose_command("preprocess", tmp_path))
    resumed = [json.loads(x) for x in (faces / "manifest.jsonl").read_text().splitlines()]

    fresh_root = tmp_path / "fresh"
    _collected(fresh_root)
    preprocess.run(compose_command("preprocess", fresh_root))
    fresh = [json.loads(x) for x in (fresh_root / "runs/sample/faces/a/manifest.jsonl").read_text().splitlines()]
    assert len({r["file"] for r in resumed}) == len(resumed), "duplicate faces after resume"
    assert sorted(r["frame_index"] for r in resumed) == sorted(r["frame_index"] for r in fresh)
    assert all((faces / r["file"]).is_file() for r in resumed)


def _checkpoint(root: Path) -> Path:
    cfg = compose_command("swap", root)
    generator = instantiate(cfg.model.generator, identities=list(cfg.data.pair))
    return save_generator(root / "generator.pt", generator, generator_meta(generator))


def test_swap_never_leaves_a_truncated_video_under_its_final_name(tmp_path: Path) -> None:
    from faceswap.media.video import probe

    _collected(tmp_path)
    ckpt = _checkpoint(tmp_path)
    swap_dir = tmp_path / "runs" / "sample" / "swap"
    killed = run_and_kill(
        "swap",
        tmp_path,
        [f"swap.checkpoint={ckpt}"],
        lambda: any(p.stat().st_size > 0 for p in swap_dir.glob(".*part*")),
    )
    assert killed, "swap finished before it could be interrupted"
    finals = [p for p in swap_dir.glob("*.mp4") if not p.name.startswith(".")]
    assert finals == [], f"a video was left under its final name: {finals}"
    source = probe(tmp_path / "runs" / "sample" / "collect" / "a" / "clip.mp4")
    from faceswap.cli import run_command

    run_command("swap", compose_command("swap", tmp_path, [f"swap.checkpoint={ckpt}"]))
    (out,) = [p for p in swap_dir.glob("*.mp4") if not p.name.startswith(".")]
    assert probe(out).frames == source.frames


@pytest.mark.slow
def test_training_resumes_from_last_checkpoint_after_kill(tmp_path: Path) -> None:
    import torch

    from tests.test_train import column, metrics

    _collected(tmp_path)
    preprocess.run(compose_command("preprocess", tmp_path))
    out = tmp_path / "runs" / "sample" / "train"
    ckpt = out / "checkpoints" / "last.ckpt"
    overrides = ["train.steps=30", "train.checkpoint_every=4"]
    killed = run_and_kill("train", tmp_path, overrides, lambda: ckpt.exists() and ckpt.stat().st_size > 0)
    assert killed, "training finished before it could be interrupted"
    step_at_kill = torch.load(ckpt, map_location="cpu", weights_only=True)["global_step"]
    assert 0 < step_at_kill < 30
    earlier = {p.name: p.read_bytes() for p in (out / "previews").glob("step-*.png")}
    logged_before = set(column(metrics(out), "train/loss_g"))
    from faceswap.commands import train

    train.run(compose_command("train", tmp_path, overrides))
    final = torch.load(ckpt, map_location="cpu", weights_only=True)
    assert final["global_step"] == 30  # the plan's total, not 30 more steps on top of a fresh start
    assert (out / "generator.pt").is_file()
    # it continued instead of starting over: the rerun logged only steps after the checkpoint it resumed from,
    # and what the killed run wrote before that checkpoint is still there, unchanged
    logged_after = set(column(metrics(out), "train/loss_g")) - logged_before
    assert logged_after and min(logged_after) >= step_at_kill, (step_at_kill, sorted(logged_after)[:5])
    assert all((out / "previews" / name).read_bytes() == data for name, data in earlier.items())


@pytest.mark.slow
def test_generate_never_leaves_a_half_written_index(tmp_path: Path) -> None:
    _collected(tmp_path)
    preprocess.run(compose_command("preprocess", tmp_path))
    ckpt = _checkpoint(tmp_path)
    synth = tmp_path / "runs" / "sample" / "synthetic"
    from faceswap.commands import generate

    first = [
        f"manipulation.ae_swap.checkpoint={ckpt}",
        "manipulation.ae_swap.method=first",
        "generate.methods=[ae_swap]",
    ]
    generate.run(compose_command("generate", tmp_path, first))
    index = synth / "index.json"
    before = index.read_bytes()
    overrides = [
        f"manipulation.ae_swap.checkpoint={ckpt}",
        "manipulation.ae_swap.method=second",
        "generate.methods=[ae_swap]",
    ]
    killed = run_and_kill(
        "generate", tmp_path, overrides, lambda: len(list((synth / "fake").glob("second/*/*.png"))) >= 2
    )
    assert killed, "generate finished before it could be interrupted"
    assert index.read_bytes() == before  # the earlier complete index, never a half-written one
    generate.run(compose_command("generate", tmp_path, overrides))
    samples = json.loads(index.read_text())["samples"]
    assert {r["method"] for r in samples} == {"real", "first", "second"}  # the earlier run's method is kept
    assert all((synth / r["file"]).is_file() for r in samples)
