"""Adversarial losses (hinge, least-squares, non-saturating) and the R1 gradient penalty."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from faceswap.losses.base import GeneratorStep, LossTerm
from faceswap.utils.errors import ConfigError

GAN_KINDS = ("hinge", "lsgan", "ns")


class GANLoss(LossTerm):
    """Generator and discriminator terms of one GAN objective, on patch logits [N,1,h,w].

    `weight` is the GAN weight of phases that do not set their own (0 in every phase: no discriminator
    is built); `r1_gamma` > 0 adds the R1 penalty to D every `r1_every` steps (lazy regularisation).
    """

    def __init__(self, kind: str = "hinge", weight: float = 0.1, r1_gamma: float = 0.0, r1_every: int = 16) -> None:
        super().__init__(weight)
        if kind not in GAN_KINDS:
            raise ConfigError(f"unknown GAN loss kind '{kind}'", f"choose one of: {', '.join(GAN_KINDS)}", param="kind")
        self.kind, self.r1_gamma, self.r1_every = kind, float(r1_gamma), max(1, int(r1_every))

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

    def step_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        """The phase's GAN weight x the G objective on D's logits for both sides' fakes."""
        if step.gan_weight <= 0 or step.discriminator is None:
            return {}
        return {"g_gan": step.gan_weight * self.generator(step.discriminator(step.fakes))}  # logits [2N,1,h,w]


def r1_penalty(real: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): squared gradient norm of D at real samples; `real` must require grad."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)  # [N,3,H,W]
    return grad.pow(2).flatten(1).sum(1).mean()
