"""Reconstruction losses on the (optionally masked) face: DSSIM, L1, MSE, learned mask, eye/mouth priority."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from kornia.losses import ssim_loss

from faceswap.losses.base import GeneratorStep, LossTerm


def dssim(pred: torch.Tensor, target: torch.Tensor, window: int) -> torch.Tensor:
    """Structural dissimilarity (1 - SSIM) / 2, averaged; pred/target [N,3,H,W] in [0,1]."""
    return ssim_loss(pred, target, window_size=window, max_val=1.0, reduction="mean")


class ReconstructionLoss(LossTerm):
    """Weighted sum of reconstruction terms; returns every weighted term separately for logging.

    With `masked` the face terms see only pixels under the (blurred) target mask, as DFL's masked
    training; `eye_weight`/`mouth_weight` add an L1 term on the landmark eye/mouth regions
    (DFL eyes_mouth_prio, faceswap's eye/mouth multipliers). `weight` scales every term.
    """

    def __init__(
        self,
        dssim_weight: float = 10.0,
        l1_weight: float = 0.0,
        mse_weight: float = 10.0,
        mask_weight: float = 10.0,
        eye_weight: float = 0.0,
        mouth_weight: float = 0.0,
        dssim_window: int = 0,
        masked: bool = True,
        weight: float = 1.0,
    ) -> None:
        super().__init__(weight)
        self.dssim_weight, self.l1_weight, self.mse_weight = dssim_weight, l1_weight, mse_weight
        self.mask_weight, self.eye_weight, self.mouth_weight = mask_weight, eye_weight, mouth_weight
        self.dssim_window, self.masked = dssim_window, masked

    def window_for(self, resolution: int) -> int:
        """DSSIM window: configured, or DFL's resolution/11.6 rounded to an odd size (>= 5)."""
        if self.dssim_window:
            return self.dssim_window
        size = max(5, int(resolution / 11.6))
        return size if size % 2 else size + 1

    def forward(
        self,
        pred_rgb: torch.Tensor,  # [N,3,H,W]
        pred_mask: torch.Tensor,  # [N,1,H,W]
        target: torch.Tensor,  # [N,3,H,W]
        target_mask: torch.Tensor,  # [N,1,H,W]
        eye_mask: torch.Tensor | None = None,  # [N,1,H,W]
        mouth_mask: torch.Tensor | None = None,  # [N,1,H,W]
        masked: bool | None = None,  # None: the `masked` this loss was built with
    ) -> dict[str, torch.Tensor]:
        if self.masked if masked is None else masked:
            pred_face, target_face = pred_rgb * target_mask, target * target_mask
        else:
            pred_face, target_face = pred_rgb, target
        terms: dict[str, torch.Tensor] = {}
        if self.dssim_weight:
            terms["loss_dssim"] = self.dssim_weight * dssim(pred_face, target_face, self.window_for(target.shape[-1]))
        if self.l1_weight:
            terms["loss_l1"] = self.l1_weight * F.l1_loss(pred_face, target_face)
        if self.mse_weight:
            terms["loss_mse"] = self.mse_weight * F.mse_loss(pred_face, target_face)
        if self.mask_weight:
            terms["loss_mask"] = self.mask_weight * F.mse_loss(pred_mask, target_mask)
        for name, weight, region in (
            ("loss_eyes", self.eye_weight, eye_mask),
            ("loss_mouth", self.mouth_weight, mouth_mask),
        ):
            if weight and region is not None:
                area = region.sum().clamp_min(1.0)
                terms[name] = weight * ((pred_rgb - target).abs() * region).sum() / (3 * area)
        if self.weight != 1.0:
            terms = {k: self.weight * v for k, v in terms.items()}
        return terms

    def step_terms(self, step: GeneratorStep) -> dict[str, torch.Tensor]:
        """Both sides' reconstructions against their targets, each term summed over the two sides."""
        terms: dict[str, torch.Tensor] = {}
        for (rgb, mask), side in zip(step.outputs, step.sides(), strict=True):
            for name, value in self(
                rgb, mask, side["target"], side["mask"], side.get("eyes"), side.get("mouth"), masked=step.masked
            ).items():
                terms[name] = terms.get(name, 0.0) + value
        return terms
