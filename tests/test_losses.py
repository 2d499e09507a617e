"""Losses: finite, zero when they should be, masked terms blind to the background, GAN signs, R1, cycle."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from faceswap.losses import GAN_KINDS, CycleLoss, GANLoss, ReconstructionLoss, dssim, r1_penalty
from faceswap.training.module import SwapModule
from faceswap.utils.errors import ConfigError
from tests.conftest import compose_command


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    target = torch.rand(2, 3, 64, 64)
    mask = torch.zeros(2, 1, 64, 64)
    mask[..., 16:48, 16:48] = 1
    return target, mask, target.clone()


def test_dssim_zero_for_identical_and_positive_otherwise() -> None:
    target, _, _ = _batch()
    assert float(dssim(target, target, 7)) == pytest.approx(0.0, abs=1e-6)
    assert float(dssim(torch.rand_like(target), target, 7)) > 0.1


def test_masked_terms_ignore_background() -> None:
    target, mask, pred = _batch()
    pred[..., :8, :8] = 1 - pred[..., :8, :8]  # change only the background
    loss = ReconstructionLoss(mask_weight=0, eye_weight=0, mouth_weight=0, masked=True)
    terms = loss(pred, mask, target, mask)
    assert set(terms) == {"loss_dssim", "loss_mse"}
    assert all(float(v) < 1e-4 for v in terms.values())  # float noise of the SSIM windows only
    unmasked = ReconstructionLoss(mask_weight=0, eye_weight=0, mouth_weight=0, masked=False)
    assert all(float(v) > 1e-3 for v in unmasked(pred, mask, target, mask).values())


def test_priority_and_mask_terms() -> None:
    target, mask, pred = _batch()
    eyes = torch.zeros_like(mask)
    eyes[..., 20:26, 20:40] = 1
    pred[..., 20:26, 20:40] += 0.2
    loss = ReconstructionLoss(eye_weight=3.0, mouth_weight=2.0, l1_weight=1.0)
    terms = loss(pred.clamp(0, 1), mask * 0.5, target, mask, eyes, torch.zeros_like(mask))
    assert {"loss_dssim", "loss_l1", "loss_mse", "loss_mask", "loss_eyes", "loss_mouth"} == set(terms)
    assert float(terms["loss_eyes"]) > 0.3 and float(terms["loss_mouth"]) == 0.0
    assert float(terms["loss_mask"]) == pytest.approx(10 * 0.25 * float(mask.mean()), rel=1e-5)
    assert all(torch.isfinite(v) for v in terms.values())


@pytest.mark.parametrize("kind", GAN_KINDS)
def test_gan_losses_reward_the_right_side(kind: str) -> None:
    gan = GANLoss(kind)
    confident_real, confident_fake = torch.full((2, 1, 4, 4), 3.0), torch.full((2, 1, 4, 4), -3.0)
    good_d = gan.discriminator(confident_real, confident_fake)
    bad_d = gan.discriminator(confident_fake, confident_real)
    assert set(good_d) == {"d_real", "d_fake"}
    assert sum(good_d.values()) < sum(bad_d.values())
    assert gan.generator(confident_real) < gan.generator(confident_fake)


def test_unknown_gan_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        GANLoss("wasserstein-ish")


def test_r1_penalty_is_gradient_norm() -> None:
    real = torch.rand(3, 3, 8, 8, requires_grad=True)
    logits = (real * 2.0).sum(dim=(1, 2, 3))  # d logits / d real = 2 everywhere
    assert float(r1_penalty(real, logits)) == pytest.approx(4.0 * 3 * 8 * 8, rel=1e-5)


def _cycle_module(samples: int) -> SwapModule:
    from faceswap.models import build_generator

    tiny = {"enc_dims": 4, "latent_dims": 16, "inter_dims": 8, "dec_dims": 4, "mask_dims": 2}
    generator = build_generator({"name": "df", "resolution": 64, **tiny}, ["a", "b"])
    losses = {"reconstruction": ReconstructionLoss(), "gan": GANLoss(), "cycle": CycleLoss(1.0, samples)}
    return SwapModule(generator, None, losses, torch.optim.Adam)


def _cycle_loss(module: SwapModule, batch: dict[str, dict[str, torch.Tensor]]) -> torch.Tensor:
    return module.losses["cycle"].cycle(module.generator, batch)


def _cycle_batch(n: int) -> dict[str, dict[str, torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)

    def side() -> dict[str, torch.Tensor]:
        rgb = torch.rand(n, 3, 64, 64, generator=gen)
        return {"input": rgb, "target": rgb.clone(), "mask": torch.ones(n, 1, 64, 64)}

    return {"a": side(), "b": side()}


def test_cycle_loss_trains_both_decoders_through_the_swap_on_its_first_faces() -> None:
    module = _cycle_module(samples=2)
    batch = _cycle_batch(4)
    batch["a"]["input"].requires_grad_(True)
    loss = _cycle_loss(module, batch)
    loss.backward()
    # side A's input reaches the loss only through its swap to B: that path carries gradient
    assert batch["a"]["input"].grad[:2].abs().sum() > 0
    assert batch["a"]["input"].grad[2:].abs().sum() == 0  # only the first `cycle_samples` faces take part
    groups = module.generator.module_groups()
    for name in ("encoder", "decoder_a", "decoder_b"):
        grads = [p.grad for p in groups[name].parameters() if p.grad is not None]
        assert grads and any(g.abs().sum() > 0 for g in grads), name
    with torch.no_grad():
        batch["b"]["target"][3] = 1.0
        assert _cycle_loss(module, batch).item() == pytest.approx(loss.item(), rel=1e-6)
        batch["b"]["target"][1] = 1.0
        assert _cycle_loss(module, batch).item() != pytest.approx(loss.item(), rel=1e-6)


def test_cycle_loss_is_only_a_term_when_weighted() -> None:
    module = _cycle_module(samples=1)
    batch = _cycle_batch(2)
    for key in batch:
        batch[key] |= {"eyes": torch.zeros(2, 1, 64, 64), "mouth": torch.zeros(2, 1, 64, 64)}
    terms, _ = module.generator_losses(batch)
    assert terms["loss_cycle"] > 0
    module.losses["cycle"].weight = 0.0
    assert "loss_cycle" not in module.generator_losses(batch)[0]


def test_cycle_keys_reach_the_module_from_the_config(tmp_path: Path) -> None:
    from faceswap.commands.training_config import build_module

    cfg = compose_command("train", tmp_path, ["loss.terms.cycle.weight=0.5", "loss.terms.cycle.samples=3"])
    cycle = build_module(cfg, [], ["a", "b"]).losses["cycle"]
    assert (cycle.weight, cycle.samples) == (0.5, 3)
    default = compose_command("train", tmp_path)
    assert build_module(default, [], ["a", "b"]).losses["cycle"].weight == 0
