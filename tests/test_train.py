"""`faceswap train` end to end on a tiny model: artifacts, generator contract, phases, GAN off, resume, NaN guard."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from faceswap.commands import train
from faceswap.training.export import load_generator
from faceswap.utils.errors import ConfigError, FaceswapError
from tests.conftest import compose_command
from tests.train_faces import sample_faces


def run_train(root: Path, *overrides: str) -> tuple[dict[str, Any], Path]:
    cfg = compose_command("train", root, [f"paths.faces_dir={sample_faces()}", *overrides])
    return train.run(cfg), Path(cfg.paths.train_dir)


def metrics(out_dir: Path) -> list[dict[str, str]]:
    files = sorted((out_dir / "logs" / "csv").glob("version_*/metrics.csv"))
    rows: list[dict[str, str]] = []
    for path in files:
        with open(path, newline="") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def column(rows: list[dict[str, str]], key: str) -> dict[int, float]:
    return {int(r["step"]): float(r[key]) for r in rows if r.get(key) not in (None, "")}


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    return run_train(tmp_path_factory.mktemp("train"), "train.timelapse=true")


def test_train_writes_checkpoints_previews_and_export(fast_run: tuple[dict[str, Any], Path]) -> None:
    result, out = fast_run
    assert result["steps"] == result["total_steps"] == 6
    for name in ("last", "phase-warmup", "phase-main", "phase-refine"):
        assert (out / "checkpoints" / f"{name}.ckpt").is_file()
    assert (out / "generator.pt").is_file() and (out / "summary.json").is_file()
    import cv2

    preview = cv2.imread(str(out / "previews" / "latest.png"))
    assert preview.shape == (2 * 64, 6 * 64, 3)  # 2 faces x (A, A→A, A→B, B, B→B, B→A)
    assert len(list((out / "previews").glob("step-*.png"))) >= 2
    from faceswap.media.video import probe

    assert probe(out / "previews" / "timelapse.mp4").frames == len(list((out / "previews").glob("step-*.png")))
    assert not list(out.rglob("*.part*"))  # atomic writes left nothing behind
    written = json.loads((out / "summary.json").read_text())
    assert written["threads"] == torch.get_num_threads() >= 1  # CPU numbers depend on it: recorded with them
    assert written["machine"]["cpu_id"] and set(written["seconds"])  # and the machine the seconds came from


def test_generator_contract_from_export_and_checkpoint(fast_run: tuple[dict[str, Any], Path]) -> None:
    _, out = fast_run
    x = torch.rand(3, 3, 64, 64)
    outputs = []
    for path in (out / "generator.pt", out / "checkpoints" / "last.ckpt"):
        torch.load(path, weights_only=True)  # plain containers only
        gen, meta = load_generator(path)
        assert meta["resolution"] == 64 and meta["identities"] == ["a", "b"] and meta["face_type"] == "full"
        assert meta["model"]["name"] == "df" and isinstance(meta["model"], dict) and "padding" in meta
        rgb, mask = gen(x, "b")
        assert rgb.shape == (3, 3, 64, 64) and mask.shape == (3, 1, 64, 64)
        assert float(rgb.min()) >= 0 and float(rgb.max()) <= 1
        outputs.append(rgb)
    torch.testing.assert_close(outputs[0], outputs[1])  # the export holds the checkpoint's EMA weights


def test_phase_overrides_apply_and_terms_are_logged_separately(fast_run: tuple[dict[str, Any], Path]) -> None:
    _, out = fast_run
    phases = {
        n: torch.load(out / "checkpoints" / f"phase-{n}.ckpt", weights_only=True)["faceswap_state"]["phase"]
        for n in ("warmup", "main", "refine")
    }
    assert phases["warmup"]["gan_weight"] == 0.0 and phases["warmup"]["random_warp"]
    assert phases["main"]["gan_weight"] > 0
    assert not phases["refine"]["random_warp"] and phases["refine"]["lr_end_factor"] == pytest.approx(0.1)
    rows = metrics(out)
    for key in (
        "train/loss_dssim",
        "train/loss_mse",
        "train/loss_mask",
        "train/loss_eyes",
        "train/g_gan",
        "train/d_real",
        "train/d_fake",
    ):
        assert column(rows, key), key
    d_steps = sorted(column(rows, "train/d_real"))
    assert min(d_steps) >= 2  # warm-up (steps 0-1 logged as 0..1) has no D at all
    lr = column(rows, "train/lr_g")
    assert lr[max(lr)] < 0.6 * lr[min(lr)]  # refine decays the learning rate


def test_logging_only_the_written_steps_writes_what_logging_every_step_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SwapModule logs its terms only on the loggers' steps and a fit's last step (Lightning's per-call
    bookkeeping is ~2 % of a CPU step): the CSV rows, a lazy R1 term's stale values between its steps and
    the final losses in summary.json must match a run that logs every step."""
    from faceswap.training.module import SwapModule

    # phases of steps 1-4, 5-9 (GAN, R1 at step 5), 10-11 (no GAN); rows at steps 3, 6 and 9
    common = (
        "train.steps=11",
        "trainer.lightning.log_every_n_steps=3",
        "loss.terms.gan.r1_gamma=1",
        "loss.terms.gan.r1_every=5",
        "+phases.plan.refine.gan_weight=0",
    )
    gated, gated_out = run_train(tmp_path / "gated", *common)
    monkeypatch.setattr(SwapModule, "_logs_written_now", lambda self: True)
    every, every_out = run_train(tmp_path / "every", *common)
    assert metrics(gated_out) == metrics(every_out)
    assert sorted(column(metrics(gated_out), "train/d_r1")) == [5, 8]  # Lightning's 0-based steps of rows 6, 9
    assert gated["losses"] == every["losses"]
    assert "loss_g" in gated["losses"] and "g_gan" not in gated["losses"]  # the last phase's own terms


def test_gan_weight_zero_builds_no_discriminator(tmp_path: Path) -> None:
    _, out = run_train(tmp_path, "phases=nogan", "train.steps=3")
    ckpt = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)
    assert not [k for k in ckpt["state_dict"] if k.startswith("discriminator.")]
    assert len(ckpt["optimizer_states"]) == 1
    assert not column(metrics(out), "train/d_real") and not column(metrics(out), "train/g_gan")


def test_resume_reproduces_the_uninterrupted_run(tmp_path: Path) -> None:
    common = ("phases=single", "train.checkpoint_every=100")
    _, full = run_train(tmp_path / "full", *common, "train.steps=4")
    run_train(tmp_path / "split", *common, "train.steps=2")
    _, split = run_train(tmp_path / "split", *common, "train.steps=4")  # resumes from last.ckpt at step 2
    for key in ("train/loss_g", "train/loss_d"):
        a, b = column(metrics(full), key), column(metrics(split), key)
        assert a[3] == pytest.approx(b[3], rel=1e-5, abs=1e-6), key
    wa = torch.load(full / "generator.pt", weights_only=True)["state_dict"]
    wb = torch.load(split / "generator.pt", weights_only=True)["state_dict"]
    for key in wa:
        torch.testing.assert_close(wa[key], wb[key], rtol=1e-4, atol=1e-5)


def test_a_run_resumed_mid_phase_shows_the_phase_bar(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Lightning skips on_train_epoch_start when it restarts mid-epoch; the bar must still name the phase."""
    common = ("phases=single", "train.steps=4", "trainer.lightning.enable_progress_bar=true")
    _, out = run_train(tmp_path, *common, "train.checkpoint_every=100", "train.keep_every=2")
    (out / "checkpoints" / "step-0000002.ckpt").replace(out / "checkpoints" / "last.ckpt")  # as if killed at 2
    (out / "generator.pt").unlink()
    fresh = bar_renders(capfd)
    run_train(tmp_path, *common, "train.checkpoint_every=100")
    renders = bar_renders(capfd)
    assert renders and renders[-1].startswith("phase 1/1 train: 100%") and "4/4" in renders[-1], renders[-3:]
    # no render of Lightning's own labels ("Training: 0/?", "Epoch 0: 0/4"), which stay in a log file
    assert fresh and all(r.startswith("phase 1/1 train: ") and r.count("/4 ") == 1 for r in fresh + renders)
    assert "loss=" in renders[-1] and "v_num" not in "".join(fresh + renders)


def bar_renders(capfd: pytest.CaptureFixture[str]) -> list[str]:
    return [r.strip() for r in "".join(capfd.readouterr()).replace("\n", "\r").split("\r") if "it/s" in r]


def test_nan_guard_skips_then_stops_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(FaceswapError, match="NaN/inf"):
        run_train(tmp_path, "loss.terms.reconstruction.mse_weight=nan", "module.nan_max=3", "phases=single")


def test_reconstruction_loss_falls_on_sample_faces(tmp_path: Path) -> None:
    _, out = run_train(
        tmp_path,
        "phases=nogan",
        "augment=none",
        "train.steps=40",
        "train.batch_size=4",
        "module.optimizer_g.lr=1e-3",
        "trainer.lightning.log_every_n_steps=1",
    )
    loss = column(metrics(out), "train/loss_g")
    steps = sorted(loss)
    first, last = sum(loss[s] for s in steps[:3]) / 3, sum(loss[s] for s in steps[-3:]) / 3
    assert last < 0.75 * first, (first, last)


def test_config_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown modules"):
        run_train(tmp_path, "phases=single", "+phases.plan.train.frozen=[nonexistent]")
    with pytest.raises(FaceswapError, match="no face set"):
        run_train(tmp_path, "data.pair=[a,zz]")
    with pytest.raises(ConfigError, match="multiple of 16"):
        run_train(tmp_path, "model.resolution=72")
    with pytest.raises(ConfigError, match="GAN loss kind"):
        run_train(tmp_path, "loss.terms.gan.kind=wgan")
    with pytest.raises(ConfigError, match="out-of-range batch_size"):
        run_train(tmp_path, "train.batch_size=0")
    with pytest.raises(ConfigError, match="at least 1"):
        run_train(tmp_path, "train.steps=-5")
    run_train(tmp_path / "resume", "phases=nogan", "train.steps=1")
    with pytest.raises(FaceswapError, match="another model"):
        run_train(tmp_path / "resume", "phases=nogan", "train.steps=2", "model.generator.dec_dims=6")
    with pytest.raises(ConfigError, match=r"not in the plan.*phases\.plan\.typo"):
        run_train(tmp_path, "phases.order=[warmup,typo]")


def test_two_runs_with_the_same_seed_give_the_same_loss_curve(tmp_path: Path) -> None:
    common = ("phases=single", "train.steps=3", "seed=7")
    _, first = run_train(tmp_path / "one", *common)
    _, second = run_train(tmp_path / "two", *common)
    for key in ("train/loss_g", "train/loss_d", "train/loss_dssim"):
        a, b = column(metrics(first), key), column(metrics(second), key)
        assert a and a == pytest.approx(b, rel=1e-5, abs=1e-6), key
    _, other = run_train(tmp_path / "three", "phases=single", "train.steps=3", "seed=8")
    assert column(metrics(other), "train/loss_g") != pytest.approx(column(metrics(first), "train/loss_g"))


def test_checkpoints_from_before_the_phase_rename_resume(tmp_path: Path) -> None:
    """`stage-<name>.ckpt` / `faceswap_state["stage*"]` checkpoints (no hyperparameters) load and resume."""
    common = ("phases=single", "train.checkpoint_every=100")
    _, out = run_train(tmp_path, *common, "train.steps=2")
    last = out / "checkpoints" / "last.ckpt"
    ckpt = torch.load(last, weights_only=True)
    state = ckpt["faceswap_state"]
    for new, old in (("phase", "stage"), ("phase_index", "stage_index"), ("phase_start", "stage_start")):
        state[old] = state.pop(new)
    ckpt.pop("hyper_parameters", None)
    torch.save(ckpt, last)
    (out / "checkpoints" / "phase-train.ckpt").rename(out / "checkpoints" / "stage-train.ckpt")
    _, meta = load_generator(last)
    assert meta["identities"] == ["a", "b"]
    result, _ = run_train(tmp_path, *common, "train.steps=4")
    assert result["steps"] == 4 and torch.load(last, weights_only=True)["faceswap_state"]["phase"]["name"] == "train"
    load_generator(out / "generator.pt")
