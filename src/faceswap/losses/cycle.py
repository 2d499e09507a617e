"""A -> B -> A cycle loss: the only training signal that ever sees a swap."""

from __future__ import annotations

import torch

from faceswap.losses.base import GeneratorStep, LossTerm
from faceswap.losses.reconstruction import ReconstructionLoss


class CycleLoss(LossTerm):
    """On the first `samples` faces of each side: swap to the other identity, paste under the target mask (as
    the swap command pastes it), decode back and compare with the source, so the swap keeps the pose and
    expression its source decoder needs. About 1.4x a step's cost at 2 samples."""

    def __init__(self, weight: float = 0.0, samples: int = 2, reconstruction: ReconstructionLoss | None = None) -> None:
        super().__init__(weight)
        self.samples = max(1, int(samples))
        self.reconstruction = reconstruction or ReconstructionLoss()

    def cycle(
        self, generator: torch.nn.Module, batch: dict[str, dict[str, torch.Tensor]], masked: bool = True
    ) -> torch.Tensor:
        """Unweighted cycle loss summed over both sides (mask term excluded: the mask is not what cycles)."""
        total = torch.zeros((), device=batch["a"]["target"].device)
        for slot, key in enumerate(("a", "b")):
            side = {k: v[: self.samples] for k, v in batch[key].items()}
            swap_rgb, _ = generator(side["input"], 1 - slot)  # [k,3,R,R]
            pasted = swap_rgb * side["mask"] + side["target"] * (1 - side["mask"])
            back_rgb, back_mask = generator(pasted, slot)  # [k,3,R,R], [k,1,R,R]
            terms = self.reconstruction(back_rgb, back_mask, side["target"], side["mask"], masked=masked)
            total = total + sum(v for k, v in terms.items() if k != "loss_mask")
        return total

    def step_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        if self.weight <= 0:
            return {}
        return {"loss_cycle": self.weight * self.cycle(step.generator, step.batch, step.masked)}
