"""Losses: finite, zero when they should be, masked terms blind to the background, GAN signs, R1."""

from __future__ import annotations

import pytest
import torch

from faceswap.losses import GAN_KINDS, GANLoss, ReconstructionLoss, dssim, r1_penalty
from faceswap.utils.errors import ConfigError


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
