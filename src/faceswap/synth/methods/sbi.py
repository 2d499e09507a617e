"""`sbi`: self-blended images (Shiohara & Yamasaki, CVPR 2022): each real crop blended with a colour,
frequency and geometry-jittered copy of itself through a deformed landmark-hull mask. No identity change,
no checkpoint; only blend-boundary and statistical artefacts.

A crop-space method: it works on the real crop (so it is not published as a video), and because either the
blended-in copy or the background copy is jittered, its pixels may differ from the real outside the mask;
the mask is the blend weight, as in the paper.
"""

from __future__ import annotations

import numpy as np

from faceswap.synth.methods.base import Context, Manipulation, register_manipulation
from faceswap.synth.sbi import self_blend


@register_manipulation("sbi")
class SelfBlendMethod(Manipulation):
    space = "crop"

    def __init__(self, context: Context, method: str | None = None) -> None:
        super().__init__(context, method)
        self.record = {"kind": "self-blended", "reference": "Shiohara & Yamasaki, CVPR 2022"}

    def fake_crop(
        self, crop: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return self_blend(crop, landmarks, rng)
