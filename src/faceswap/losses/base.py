"""What a generator loss term sees each step, and the base class every configurable term derives from.

A term is one entry of `loss.terms` in the config (`_target_` + `weight` + its own options); the
LightningModule calls `step_terms` on each and sums what they return, so a new term is one class here
and one config entry, with no change to the training step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

Side = dict[str, torch.Tensor]  # input, target, mask, eyes, mouth: [N,3|1,R,R]


@dataclass
class GeneratorStep:
    """One generator step's tensors, in pair order (slot 0 = A, slot 1 = B)."""

    batch: dict[str, Side]  # "a" / "b"
    outputs: list[tuple[torch.Tensor, torch.Tensor]]  # per slot: (rgb [N,3,R,R], mask [N,1,R,R]) reconstructions
    fakes: torch.Tensor  # [2N,3,R,R] what the discriminator judges (face pasted into the target when masked)
    generator: nn.Module
    discriminator: nn.Module | None
    masked: bool  # the phase trains on the masked face only
    gan_weight: float  # the phase's GAN weight (the GAN term's own weight unless the phase sets one)

    def sides(self) -> list[Side]:
        return [self.batch["a"], self.batch["b"]]


class LossTerm(nn.Module):
    """A generator loss term: `step_terms` returns named, already weighted scalars (logged as train/<name>)."""

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = float(weight)

    def step_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:  # pragma: no cover
        raise NotImplementedError
