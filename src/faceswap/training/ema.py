"""Exponential moving average of the generator (SG2ADA): smoother weights for previews, swaps and export."""

from __future__ import annotations

import copy

import torch
from torch import nn


def make_ema(model: nn.Module) -> nn.Module:
    """A frozen copy of `model` in eval mode."""
    ema = copy.deepcopy(model)
    ema.eval().requires_grad_(False)
    return ema


def ema_beta(batch_size: int, halflife_images: float, images_seen: int = 0, rampup: float = 0.0) -> float:
    """Per-step decay from a half-life counted in training images: 0.5 ** (batch / half-life).

    With `rampup` > 0 the half-life is at most `rampup` x images seen so far (SG2ADA), so a short or
    young run is not averaged with its random-init weights.
    """
    if rampup > 0:
        halflife_images = min(halflife_images, max(images_seen, batch_size) * rampup)
    if halflife_images <= 0:
        return 0.0
    return 0.5 ** (batch_size / halflife_images)


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, beta: float) -> None:
    """ema <- beta * ema + (1 - beta) * model for parameters; buffers are copied."""
    for p_ema, p in zip(ema.parameters(), model.parameters(), strict=True):
        p_ema.lerp_(p.detach(), 1.0 - beta)
    for b_ema, b in zip(ema.buffers(), model.buffers(), strict=True):
        b_ema.copy_(b)


def ema_halflife_note(
    halflife_images: float,
    rampup: float,
    run_images: int,
    halflife_name: str = "the EMA half-life",
    rampup_name: str = "the EMA ramp-up",
) -> str | None:
    """A note when the ramp-up caps the half-life for the whole run, so the half-life setting does nothing.

    The cap is `rampup` x images seen, so it only reaches `halflife_images` after halflife / rampup images.
    The caller names the two settings (`*_name`) as the user sets them.
    """
    reached = rampup * run_images
    if rampup <= 0 or halflife_images <= 0 or halflife_images <= reached:
        return None
    return (
        f"{halflife_name}={halflife_images:g} is never reached: {rampup_name}={rampup:g} caps the "
        f"half-life at {rampup:.0%} of the images seen ({reached:,.0f} after this run's {run_images:,}); "
        f"raise {rampup_name} to {halflife_images / run_images:.2g} or set it to 0 (off) to use it"
    )
