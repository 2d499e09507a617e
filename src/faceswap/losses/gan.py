"""Adversarial losses (hinge, least-squares, non-saturating) and the R1 gradient penalty."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from faceswap.utils.errors import ConfigError

GAN_KINDS = ("hinge", "lsgan", "ns")


class GANLoss(nn.Module):
    """Generator and discriminator terms of one GAN objective, on patch logits [N,1,h,w]."""

    def __init__(self, kind: str = "hinge") -> None:
        super().__init__()
        if kind not in GAN_KINDS:
            raise ConfigError(f"unknown GAN loss '{kind}'", f"choose one of: {', '.join(GAN_KINDS)}", param="gan_kind")
        self.kind = kind

    def generator(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """G wants D to call its output real."""
        if self.kind == "hinge":
            return -fake_logits.mean()
        if self.kind == "lsgan":
            return F.mse_loss(fake_logits, torch.ones_like(fake_logits))
        return F.softplus(-fake_logits).mean()

    def discriminator(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
        """D terms on real and (detached) fake logits, returned separately for logging."""
        if self.kind == "hinge":
            return {"d_real": F.relu(1 - real_logits).mean(), "d_fake": F.relu(1 + fake_logits).mean()}
        if self.kind == "lsgan":
            return {
                "d_real": F.mse_loss(real_logits, torch.ones_like(real_logits)),
                "d_fake": F.mse_loss(fake_logits, torch.zeros_like(fake_logits)),
            }
        return {"d_real": F.softplus(-real_logits).mean(), "d_fake": F.softplus(fake_logits).mean()}


def r1_penalty(real: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): squared gradient norm of D at real samples; `real` must require grad."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)  # [N,3,H,W]
    return grad.pow(2).flatten(1).sum(1).mean()
