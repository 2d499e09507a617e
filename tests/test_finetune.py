"""`faceswap finetune`: continue a pair, adapt to a new pair with keep / reinit / freeze, from .ckpt or export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from faceswap.commands import finetune, train
from faceswap.training.adapt import module_policies
from faceswap.training.export import load_generator
from faceswap.utils.errors import ConfigError, FaceswapError
from tests.conftest import compose_command
from tests.train_faces import sample_faces


def compose(stage: str, root: Path, *overrides: str) -> Any:
    return compose_command(stage, root, [f"paths.faces_dir={sample_faces()}", *overrides])


@pytest.fixture(scope="module")
def trained_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ft")
    train.run(compose("train", root))
    return root


def _weights(path: Path, prefix: str) -> dict[str, torch.Tensor]:
    state = torch.load(path, weights_only=True)["state_dict"]
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def test_finetune_continues_the_same_pair(trained_root: Path) -> None:
    cfg = compose("finetune", trained_root)
    result = finetune.run(cfg)
    out = Path(cfg.paths.finetune_dir)
    assert result["steps"] == 3 and (out / "checkpoints" / "last.ckpt").is_file()
    assert (out / "previews" / "latest.png").is_file()
    _, meta = load_generator(out / "generator.pt")
    assert meta["identities"] == ["a", "b"] and meta["finetuned_from"].endswith("last.ckpt")
    ckpt = torch.load(out / "checkpoints" / "phase-finetune.ckpt", weights_only=True)
    phase = ckpt["faceswap_state"]["phase"]
    lr_g = ckpt["optimizer_states"][0]["param_groups"][0]["lr"]
    assert phase["gan_weight"] == pytest.approx(0.1) and lr_g == pytest.approx(2.5e-4)
    before = _weights(trained_root / "runs" / "sample" / "train" / "checkpoints" / "last.ckpt", "generator.")
    after = _weights(out / "checkpoints" / "last.ckpt", "generator.")
    assert any(not torch.equal(before[k], after[k]) for k in before)  # it trained on


def test_finetune_adapts_to_a_new_pair_keeping_reinit_and_freezing(trained_root: Path) -> None:
    cfg = compose(
        "finetune",
        trained_root,
        "finetune.pair=[c,d]",
        "paths.finetune_dir=${paths.run_dir}/adapt",
        "+finetune.modules.encoder=freeze",
        "+finetune.modules.decoder_b=reinit",
        "finetune.steps=2",
    )
    finetune.run(cfg)
    source = _weights(trained_root / "runs" / "sample" / "train" / "checkpoints" / "last.ckpt", "generator.")
    adapted = _weights(Path(cfg.paths.finetune_dir) / "checkpoints" / "last.ckpt", "generator.")
    groups = {k: k.split(".")[0] for k in source}
    for key, group in groups.items():
        if group == "encoder":  # frozen: loaded and never updated
            torch.testing.assert_close(adapted[key], source[key], rtol=0, atol=0)
        if group == "decoder_b" and key.endswith("weight"):  # re-initialised: far from the trained weights
            assert not torch.allclose(adapted[key], source[key], atol=1e-3), key
    assert any(not torch.equal(adapted[k], source[k]) for k, g in groups.items() if g == "inter")
    _, meta = load_generator(Path(cfg.paths.finetune_dir) / "generator.pt")
    assert meta["identities"] == ["c", "d"] and meta["module_policies"]["encoder"] == "freeze"


def test_finetune_from_an_export(trained_root: Path) -> None:
    cfg = compose(
        "finetune",
        trained_root,
        "finetune.from=${paths.train_dir}/generator.pt",
        "paths.finetune_dir=${paths.run_dir}/from_export",
        "finetune.steps=1",
    )
    assert finetune.run(cfg)["steps"] == 1


def test_finetune_mistakes(trained_root: Path, tmp_path: Path) -> None:
    with pytest.raises(FaceswapError, match="not found"):
        finetune.run(compose("finetune", tmp_path))  # nothing trained there
    with pytest.raises(ConfigError, match="unknown modules"):
        module_policies({"encoder": torch.nn.Identity()}, {"decodr": "keep"})
    with pytest.raises(ConfigError, match="unknown policies"):
        module_policies({"encoder": torch.nn.Identity()}, {"encoder": "melt"})


def _first_step_below(out_dir: Path, threshold: float) -> int:
    from tests.test_train import column, metrics

    loss = column(metrics(out_dir), "train/loss_g")
    return min((s for s, v in loss.items() if v < threshold), default=10**9)


@pytest.mark.slow
def test_pretrained_model_adapts_faster_than_training_from_scratch(tmp_path: Path) -> None:
    """Pretrain on pooled face sets c+d, adapt to the pair a/b: it reaches the loss in fewer steps than scratch.

    The sample has only two photos, so the pool (c, d) holds other jittered crops of the same two faces:
    this shows the pretrain -> adapt mechanics, not generalisation to unseen identities.
    """
    common = (
        "augment=none",
        "phases=nogan",
        "train.batch_size=4",
        "module.optimizer_g.lr=1e-3",
        "trainer.lightning.log_every_n_steps=1",
        "train.checkpoint_every=1000",
    )
    scratch_cfg = compose("train", tmp_path / "scratch", *common, "train.steps=60")
    train.run(scratch_cfg)
    scratch = Path(scratch_cfg.paths.train_dir)
    from tests.test_train import column, metrics

    loss = column(metrics(scratch), "train/loss_g")
    threshold = loss[max(s for s in loss if s <= 40)]  # what scratch reaches after ~40 steps
    pre_cfg = compose("train", tmp_path / "pre", *common, "train.steps=60", "train.pretrain_identities=[c,d]")
    train.run(pre_cfg)
    adapt_cfg = compose(
        "finetune",
        tmp_path / "pre",
        *common,
        "finetune.steps=60",
        "finetune.phases.plan.finetune.gan_weight=0",
        "finetune.phases.plan.finetune.lr_start_factor=1",
        "finetune.phases.plan.finetune.lr_end_factor=1",
    )
    finetune.run(adapt_cfg)
    adapted = _first_step_below(Path(adapt_cfg.paths.finetune_dir), threshold)
    assert adapted < _first_step_below(scratch, threshold) and adapted <= 20, (adapted, threshold)
