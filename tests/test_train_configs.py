"""Training configs: every experiment and debug preset composes; phase plans build; a joblib sweep runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from faceswap.cli import config_dir
from faceswap.commands.training_config import phase_plan
from faceswap.training.phases import describe_plan, lr_factor
from tests.conftest import compose_command
from tests.train_faces import sample_faces

COMMAND_OF = {"adapt_pair": "finetune", "sample_quick": "pipeline", "cpu_quick": "pipeline", "cpu_hour": "pipeline"}
EXPERIMENTS = sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_its_plan_builds(name: str, tmp_path: Path) -> None:
    cfg = compose_command(COMMAND_OF.get(name, "train"), tmp_path, [f"experiment={name}"], tiny=False)
    plan = phase_plan(cfg, cfg.phases, int(cfg.train.steps))
    assert sum(s.steps for s in plan) == cfg.train.steps
    if name == "cpu_hour":  # docs/experiments.md: the GAN from step 1,000 of 5,000
        assert [(s.steps, s.gan_weight > 0) for s in plan] == [(1000, False), (3000, True), (1000, True)]
    if name == "adapt_pair":
        ft_plan = phase_plan(cfg, cfg.finetune.phases, int(cfg.finetune.steps))
        assert ft_plan[0].frozen == ("encoder",) and ft_plan[0].gan_weight == 0 and ft_plan[1].gan_weight > 0


def test_phase_learning_rate_ramps_chain_into_one_schedule(tmp_path: Path) -> None:
    ramp = ["+phases.plan.warmup.lr_start_factor=0.1", "+phases.plan.main.lr_end_factor=0.5"]
    ramp += ["+phases.plan.refine.lr_start_factor=0.5", "phases.plan.refine.lr_end_factor=0.1"]
    cfg = compose_command("train", tmp_path, ["experiment=cpu_hour", *ramp], tiny=False)
    warmup, main, refine = phase_plan(cfg, cfg.phases, 5000)
    assert lr_factor(warmup, 0) == pytest.approx(0.1) and lr_factor(warmup, 500) == pytest.approx(0.55)
    assert lr_factor(warmup, warmup.steps) == lr_factor(main, 0) == 1.0  # warm-up ends where main starts
    assert lr_factor(main, main.steps) == lr_factor(refine, 0) == 0.5
    assert lr_factor(refine, refine.steps + 10) == pytest.approx(0.1)  # past the end: held at the end factor
    assert "lr_d 0.0002 x0.1 -> x1," in describe_plan([warmup], 5e-4, 2e-4)[0]


@pytest.mark.parametrize("preset,steps", [("fast", 6), ("fdr", 3), ("overfit", 300)])
def test_debug_presets(preset: str, steps: int, tmp_path: Path) -> None:
    cfg = compose_command("train", tmp_path, [f"debug={preset}"], tiny=False)
    plan = phase_plan(cfg, cfg.phases, int(cfg.train.steps))
    assert sum(s.steps for s in plan) == steps
    if preset == "overfit":
        assert not cfg.augment.random_warp and cfg.train.max_faces == 4 and all(s.gan_weight == 0 for s in plan)


@pytest.mark.slow
def test_joblib_sweep_over_gan_weight(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "faceswap.cli",
        "train",
        "-m",
        "experiment=sweep_gan_weight",
        "debug=fast",
        "loss.terms.gan.weight=0,0.1",
        "train.steps=3",
        f"paths.faces_dir={sample_faces()}",
        f"paths.root_dir={tmp_path}",
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    sweep = tmp_path / "runs" / "sample" / "train" / "sweep"
    for weight, has_d in (("0", False), ("0.1", True)):
        ckpt = torch.load(sweep / f"gan_weight={weight}" / "checkpoints" / "last.ckpt", weights_only=True)
        assert any(k.startswith("discriminator.") for k in ckpt["state_dict"]) == has_d


def test_cpu_experiments_swap_and_evaluate_both_directions(tmp_path: Path) -> None:
    from faceswap.commands.pipeline import reverse_config

    overrides = ["experiment=cpu_quick", "data.identities.a.path=/v/p1.mp4", "data.identities.b.path=/v/p2.mp4"]
    cfg = compose_command("pipeline", tmp_path, overrides, tiny=False)
    assert {"swap", "eval", "swap_b2a", "eval_b2a"} <= set(cfg.pipeline.steps)
    rev = reverse_config(cfg)
    assert (rev.swap.direction, rev.swap.input, rev.eval.source) == ("b2a", "/v/p2.mp4", "/v/p2.mp4")
    assert (rev.eval.source_identity, rev.eval.target_identity) == ("b", "a")
    assert rev.eval.swapped.endswith("p2_b2a.mp4") and rev.paths.eval_dir.endswith("eval_b2a")
    assert (cfg.swap.direction, cfg.eval.source) == ("a2b", "/v/p1.mp4")  # the A->B config is untouched
