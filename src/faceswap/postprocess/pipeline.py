"""The post-processing chain applied to every generated face before it is pasted back.

Order: shape match -> face scale -> colour transfer -> sharpen -> degrade-to-match -> mask erode/feather. Blending
happens in frame space (`faceswap.swap.paste`), using `blend` from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faceswap.postprocess.blend import BLENDERS
from faceswap.postprocess.color import COLOR_TRANSFERS, transfer
from faceswap.postprocess.degrade import match_degradation
from faceswap.postprocess.mask import refine_mask
from faceswap.postprocess.shape import SHAPE_AXES, SHAPE_POINTS, match_shape
from faceswap.postprocess.sharpen import SHARPEN_MODES, scale_face, sharpen
from faceswap.utils.errors import ConfigError


@dataclass
class PostProcessor:
    """Settings of one post-processing chain (built from `configs/postprocess/*.yaml`)."""

    color: str = "rct"
    blend: str = "alpha"
    erode: float = 0.0  # fraction of the crop side; + erodes, - dilates
    blur: float = 0.05  # feather radius, fraction of the crop side
    sharpen: str = "none"
    sharpen_amount: float = 0.5
    sharpen_radius: float = 1.0
    face_scale: float = 1.0
    degrade: bool = False
    shape_match: float = 0.0  # warp the generated landmarks onto the source's: 0 off .. 1 full
    shape_points: str = "all"  # all | inner (leave the jaw line to the target's face shape)
    shape_placement: float = 0.0  # first move the matched points as a block onto the source's: 0 off .. 1 full
    shape_sharpen: float = 0.0  # unsharp amount on the copy whose landmarks shape_match measures (0 = as is)
    shape_axes: str = "xy"  # xy | y (move the points only vertically: pitch, not widths)

    def __post_init__(self) -> None:
        COLOR_TRANSFERS.get(self.color)
        BLENDERS.get(self.blend)
        if self.sharpen not in SHARPEN_MODES:
            raise ConfigError(
                f"unknown sharpen mode '{self.sharpen}'", f"choose one of: {', '.join(SHARPEN_MODES)}", param="sharpen"
            )
        if not 0.5 <= self.face_scale <= 1.5:
            raise ConfigError(
                f"face_scale={self.face_scale} is out of range", "use a value in [0.5, 1.5]", param="face_scale"
            )
        if not -0.3 <= self.erode <= 0.3 or not 0.0 <= self.blur <= 0.3:
            raise ConfigError(
                "erode must be in [-0.3, 0.3] and blur in [0, 0.3]", "use smaller fractions", param="erode"
            )
        shape_ok = 0.0 <= self.shape_match <= 1.0 and 0.0 <= self.shape_placement <= 1.0 and self.shape_sharpen >= 0
        if not shape_ok or self.shape_points not in SHAPE_POINTS or self.shape_axes not in SHAPE_AXES:
            raise ConfigError(
                f"shape_match={self.shape_match} / shape_placement={self.shape_placement} / "
                f"shape_points='{self.shape_points}' / shape_axes='{self.shape_axes}' is invalid",
                f"use shape_match and shape_placement in [0, 1], shape_points one of: {', '.join(SHAPE_POINTS)}, "
                f"shape_axes one of: {', '.join(SHAPE_AXES)}",
                param="shape_match",
            )

    def process_crop(
        self, generated: np.ndarray, original: np.ndarray, mask: np.ndarray, landmarks: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """generated/original [S,S,3] uint8 aligned crops, mask [S,S] float, the source's crop landmarks
        [68,2] (needed by shape_match) -> (face [S,S,3], soft mask [S,S])."""
        if (self.shape_match > 0 or self.shape_placement > 0) and landmarks is not None:
            generated = match_shape(
                generated,
                landmarks,
                self.shape_match,
                points=self.shape_points,
                placement=self.shape_placement,
                measure_sharpen=self.shape_sharpen,
                axes=self.shape_axes,
            )
        face, mask = scale_face(generated, mask, self.face_scale)
        face = transfer(self.color, face, original, mask)
        face = sharpen(face, self.sharpen, self.sharpen_amount, self.sharpen_radius)
        if self.degrade:
            face = match_degradation(face, original, mask)
        return face, refine_mask(mask, self.erode, self.blur)
