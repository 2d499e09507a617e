"""One key per training setting: an override of each reaches every consumer (train, finetune, pipeline), no
second key for it exists in the composed config, and a loss term is added through config alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from omegaconf import OmegaConf

from faceswap.commands import finetune, train
from faceswap.commands import training_config as build
from faceswap.losses import GeneratorStep, LossTerm
from tests.conftest import compose_command
from tests.train_faces import sample_faces

LR_G, LR_D, BATCH, GAN, SEED = 1.5e-3, 3.5e-4, 3, 0.25, 11
OVERRIDES = [
    f"module.optimizer_g.lr={LR_G}",
    f"module.optimizer_d.lr={LR_D}",
    f"train.batch_size={BATCH}",
    f"loss.terms.gan.weight={GAN}",
    f"seed={SEED}",
]
# the one key of each setting (phases may override batch size and GAN weight per phase: phases.plan.<phase>.*)
OWNERS = {
    "lr": {"module.optimizer_g.lr", "module.optimizer_d.lr"},
    "batch_size": {"train.batch_size", "swap.batch_size", "generate.batch_size"},  # swap/generate: inference
    "gan_weight": {"phases.plan.warmup.gan_weight"},  # the default plan's per-phase override only
    "seed": {"seed"},
}


class ConstantTerm(LossTerm):
    """A loss term that only this test defines: added with `+loss.terms.extra={_target_: ..., weight: w}`."""

    def step_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        rgb = step.outputs[0][0]  # [N,3,R,R]
        return {"loss_extra": self.weight * (rgb.mean() * 0 + 1)}


def compose(command: str, root: Path, *extra: str) -> Any:
    return compose_command(command, root, [f"paths.faces_dir={sample_faces()}", *OVERRIDES, *extra])


def leaf_keys(cfg: Any) -> list[str]:
    def walk(node: Any, path: list[str]) -> Any:
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, [*path, str(key)])
        else:
            yield ".".join(path)

    return list(walk(OmegaConf.to_container(cfg, resolve=False), []))


@pytest.mark.parametrize("command", ["train", "finetune", "pipeline"])
def test_each_training_setting_has_one_key(command: str, tmp_path: Path) -> None:
    keys = leaf_keys(compose(command, tmp_path))
    for setting, owners in OWNERS.items():
        found = {k for k in keys if k.split(".")[-1] in (setting, f"{setting}_g", f"{setting}_d")}
        found = {k for k in found if not k.startswith(("bench.", "detector."))}
        assert found == owners, (setting, found ^ owners)
    assert [k for k in keys if k.endswith("gan.weight")] == ["loss.terms.gan.weight"]
    assert not [k for k in keys if k.startswith(("train.", "finetune.")) and k.split(".")[-1] in ("lr_g", "lr_d")]


def test_pipeline_plans_see_the_overrides(tmp_path: Path) -> None:
    cfg = compose("pipeline", tmp_path)
    for phases, steps in ((cfg.phases, cfg.train.steps), (cfg.finetune.phases, cfg.finetune.steps)):
        plan = build.phase_plan(cfg, phases, int(steps))
        assert {p.batch_size for p in plan} == {BATCH}
        assert [p.gan_weight for p in plan if p.name != "warmup"] == [GAN] * (len(plan) - ("warmup" in phases.order))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("keys")
    extra = "+loss.terms.extra={_target_: tests.test_config_keys_training.ConstantTerm, weight: 0.5}"
    summary = train.run(compose("train", root, "train.steps=3", extra))
    return root, summary


def test_train_consumers_see_each_override(trained: tuple[Path, dict[str, Any]]) -> None:
    root, summary = trained
    run = build.build_train(compose("train", root / "fresh"))
    assert run.datamodule.batch_size == BATCH and run.datamodule.seed == SEED
    assert [(p.name, p.batch_size, p.gan_weight) for p in run.plan] == [
        ("warmup", BATCH, 0.0),  # the default plan's own override
        ("main", BATCH, GAN),
        ("refine", BATCH, GAN),
    ]
    out = root / "runs" / "sample" / "train" / "checkpoints"
    main = torch.load(out / "phase-main.ckpt", weights_only=True)
    assert main["faceswap_state"]["phase"]["gan_weight"] == GAN
    lr_g, lr_d = (state["param_groups"][0]["lr"] for state in main["optimizer_states"])
    assert lr_g == pytest.approx(LR_G) and lr_d == pytest.approx(LR_D)  # main: factor 1 at its step
    assert main["faceswap_state"]["samples_seen"] == 2 * BATCH  # warmup + main, one step each
    assert summary["losses"]["loss_extra"] == pytest.approx(0.5)  # the config-only loss term trained and logged


def test_finetune_consumers_see_each_override(trained: tuple[Path, dict[str, Any]]) -> None:
    root, _ = trained
    extra = "+loss.terms.extra={_target_: tests.test_config_keys_training.ConstantTerm, weight: 0.5}"
    cfg = compose("finetune", root, "finetune.steps=1", extra)
    finetune.run(cfg)
    ckpt = torch.load(Path(cfg.paths.finetune_dir) / "checkpoints" / "last.ckpt", weights_only=True)
    phase = ckpt["faceswap_state"]["phase"]
    assert (phase["batch_size"], phase["gan_weight"]) == (BATCH, GAN)
    lr_g, lr_d = (state["param_groups"][0]["lr"] for state in ckpt["optimizer_states"])
    assert lr_g == pytest.approx(0.5 * LR_G) and lr_d == pytest.approx(0.5 * LR_D)  # finetune's phase factor
    assert ckpt["faceswap_state"]["samples_seen"] == BATCH
