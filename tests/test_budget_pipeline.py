"""pipeline.time_budget_min: the pipeline times real training steps, sizes train + finetune to the budget,
records the decision, and reuses it when the run is resumed (issue #21: the hour holds on a slower CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from faceswap.commands import budget, pipeline
from faceswap.utils.errors import ConfigError
from tests.conftest import compose_command
from tests.train_faces import sample_faces


def budget_cfg(tmp_path: Path, *overrides: str) -> DictConfig:
    return compose_command(
        "pipeline",
        tmp_path,
        [f"paths.faces_dir={sample_faces()}", "pipeline.steps=[train]", "pipeline.time_reserve_min=0", *overrides],
    )


def test_timing_runs_the_real_step_and_leaves_no_trace(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    cfg = budget_cfg(tmp_path, "pipeline.time_budget_min=60", "trainer.lightning.enable_progress_bar=true")
    step_s, timing_s = budget.timed_step_seconds(cfg, 5)
    assert 0 < step_s < timing_s  # the median GAN step, inside the whole timing (build + Trainer + 5 steps)
    assert not Path(cfg.paths.train_dir).exists()  # no checkpoint, preview, log or holdout of the real run
    shown = "".join(capfd.readouterr())
    assert "budget timing: 100%" in shown and "5/5" in shown and "Epoch" not in shown  # not "Epoch 0/-2"


def test_slow_machine_gets_the_steps_that_fit_and_a_rerun_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 0.01 s a step measured, 0.01 min budget: 60 steps fit, rounded down to 50 of the configured 200
    monkeypatch.setattr(budget, "timed_step_seconds", lambda cfg, steps: (0.01, 0.0))
    cfg = budget_cfg(tmp_path, "pipeline.time_budget_min=0.01", "train.steps=200")
    summary = pipeline.run(cfg)
    assert summary["budget"]["steps"] == {"train": 50} and summary["budget"]["configured"] == {"train": 200}
    ckpt = Path(cfg.paths.train_dir) / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=True)["global_step"] == 50
    record = json.loads((Path(cfg.paths.run_dir) / "budget.json").read_text())
    assert record["steps"] == {"train": 50} and record["plan"]["step_seconds"] == 0.01
    assert record["machine"]["cpu_id"] and record["machine"]["cpus"] >= 1  # what the step was timed on

    def no_second_timing(cfg: DictConfig, steps: int) -> tuple[float, float]:
        raise AssertionError("a re-run must reuse budget.json, not time again")

    monkeypatch.setattr(budget, "timed_step_seconds", no_second_timing)
    again = pipeline.run(cfg)  # resumes the sized run: same plan, nothing left to train
    assert again["budget"]["steps"] == {"train": 50}
    assert torch.load(ckpt, weights_only=True)["global_step"] == 50


def test_fast_machine_keeps_the_configured_steps_and_finetune_shares_the_cut(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(budget, "timed_step_seconds", lambda cfg, steps: (0.001, 0.0))
    cfg = budget_cfg(tmp_path, "pipeline.time_budget_min=60", "train.steps=5000", "finetune.steps=500")
    sized, decision = budget.size_to_budget(cfg, 0.0, ["train", "finetune"])
    assert decision.steps == {"train": 5000, "finetune": 500} and "keeps the configured steps" in decision.describe()
    (Path(cfg.paths.run_dir) / "budget.json").unlink()
    monkeypatch.setattr(budget, "timed_step_seconds", lambda cfg, steps: (1.2, 20.0))  # the 2-core EPYC
    cfg = budget_cfg(tmp_path, "pipeline.time_budget_min=60", "train.steps=5000", "finetune.steps=500")
    sized, decision = budget.size_to_budget(cfg, 100.0, ["train", "finetune"])
    # (3600 s - 180 s margin - 100 s spent - 20 s timing) / 1.2 s = 2750 steps, split 5000 : 500
    assert (sized.train.steps, sized.finetune.steps) == (2500, 250) and "sized down from 5500" in decision.describe()


def test_a_budget_that_leaves_no_time_to_train_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(budget, "timed_step_seconds", lambda cfg, steps: (1.0, 0.0))
    cfg = budget_cfg(tmp_path, "pipeline.time_budget_min=0.1", "train.steps=200")
    with pytest.raises(ConfigError) as err:
        pipeline.run(cfg)
    assert "pipeline.time_budget_min" in str(err.value) and "\n" not in str(err.value)
    assert not (Path(cfg.paths.run_dir) / "budget.json").exists()


def test_cpu_hour_has_a_budget_and_the_default_has_none(tmp_path: Path) -> None:
    assert compose_command("pipeline", tmp_path, [], tiny=False).pipeline.time_budget_min is None
    videos = ["++data.identities.a.path=a.mp4", "++data.identities.b.path=b.mp4"]
    hour = compose_command("pipeline", tmp_path, ["experiment=cpu_hour", *videos], tiny=False)
    assert hour.pipeline.time_budget_min == 60


def test_finetune_is_cut_when_train_ran_over_and_kept_when_it_did_not(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(budget, "timed_step_seconds", lambda cfg, steps: (1.2, 20.0))  # the 2-core EPYC
    cfg = budget_cfg(tmp_path, "pipeline.time_budget_min=60", "train.steps=5000", "finetune.steps=500")
    sized, decision = budget.size_to_budget(cfg, 100.0, ["train", "finetune"])  # 2500 + 250 (test above)
    record = Path(cfg.paths.run_dir) / "budget.json"
    before = record.read_text()
    # on forecast (warm-up a little cheaper than the timed GAN step): finetune keeps its 250 steps
    same_cfg, same = budget.recheck_finetune(sized, decision, 120.0 + 2850.0, 2850.0)
    assert same is decision and same_cfg.finetune.steps == 250 and record.read_text() == before
    # train 4 % over its 3000 s: 3600 - 180 margin - 3240 spent = 180 s left at 1.248 s a step = 144 steps
    cut_cfg, cut = budget.recheck_finetune(sized, decision, 120.0 + 3120.0, 3120.0)
    assert cut.steps == {"train": 2500, "finetune": 144} and cut_cfg.finetune.steps == 144
    assert "4.0% over" in cut.note and "250 to 144" in cut.note and "may go over" not in cut.note
    saved = budget.read_decision(record)  # a resumed run keeps the cut, and the machine the step was timed on
    assert saved.steps == cut.steps and saved.note == cut.note and json.loads(record.read_text())["machine"]
    # far over: finetune keeps 1 step and says the run may go over the budget
    _, over = budget.recheck_finetune(sized, decision, 3590.0, 3470.0)
    assert over.steps["finetune"] == 1 and "may go over" in over.note


def test_pipeline_rechecks_the_budget_before_finetune(tmp_path: Path, monkeypatch) -> None:
    # a 0.01 s step forecasts 40 steps in 0.4 s of a 0.6 s budget; the real train takes seconds, so finetune
    # is cut to its minimum and the run says it may go over the budget
    monkeypatch.setattr(budget, "timed_step_seconds", lambda cfg, steps: (0.01, 0.0))
    cfg = budget_cfg(
        tmp_path,
        "pipeline.time_budget_min=0.01",
        "pipeline.steps=[train,finetune]",
        "train.steps=20",
        "finetune.steps=20",
    )
    summary = pipeline.run(cfg)
    assert summary["budget"]["steps"] == {"train": 20, "finetune": 1}
    assert "cut from 20 to 1" in summary["budget"]["note"] and "may go over" in summary["budget"]["note"]
    assert summary["results"]["finetune/steps"] == 1
