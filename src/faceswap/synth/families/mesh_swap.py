"""FaceForensics++ "FaceSwap" analogue: a training-free graphics swap.

The source person's face texture is warped onto the target's landmarks by a piecewise-affine triangle mesh
(68 points + forehead, one fixed triangulation), colour-matched to the target face and blended inside the
target's face hull. Like MarekKowalski/FaceSwap it keeps the target's head and outline but not its
expression details, and leaves its cues by design: a blend seam along the hull, texture stretched where the
two poses differ, lighting baked into the source texture, and a visible change of identity.

What lies under the hull's outer band in the source (a fringe or sideburn at the temple, background past a
turned cheek) is not face texture: pasted over the target's skin it left a dark streak from temple to eye on
real footage. So in the band between the inner features and the outline only pixels that look like the
source's own skin are swapped (`skin_gate`); the target keeps the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.face.masks import feather
from faceswap.postprocess.blend import BLENDERS
from faceswap.postprocess.color import COLOR_TRANSFERS, transfer
from faceswap.synth.fakes import FakeFrame
from faceswap.synth.families.mesh import (
    Box,
    bounding_box,
    composite,
    face_points,
    face_simplices,
    face_size,
    fill_polygon,
    warp_mesh,
)
from faceswap.utils.errors import ConfigError


@dataclass(frozen=True)
class MeshSwapOptions:
    color: str = "rct"  # colour transfer (faceswap.postprocess.color), statistics over the face hull
    blend: str = "alpha"  # blender (faceswap.postprocess.blend)
    feather: float = 0.03  # soft edge of the mask, as a fraction of the face size (68-point box diagonal)
    forehead: bool = True  # the mask reaches over the forehead points, not only the 68-point hull
    target_mouth: bool = True  # keep the target's own mouth interior (teeth) between the swapped lips
    skin_gate: float = 4.0  # outer band: swap only source pixels within this many robust SDs of its skin (0 = off)

    def __post_init__(self) -> None:
        COLOR_TRANSFERS.get(self.color)
        BLENDERS.get(self.blend)
        if not 0.0 <= self.feather <= 0.3:
            raise ConfigError(f"mesh_swap feather {self.feather} is out of range", "use a value in [0, 0.3]")
        if self.skin_gate < 0:
            raise ConfigError(f"mesh_swap skin_gate {self.skin_gate} is negative", "use 0 (off) or about 3-6")


def mesh_swap(
    source_image: np.ndarray,
    source_lm: np.ndarray,
    target_image: np.ndarray,
    target_lm: np.ndarray,
    opts: MeshSwapOptions | None = None,
) -> FakeFrame:
    """The source face [Hs,Ws,3] (landmarks [68,2]) swapped into the target frame [H,W,3] (landmarks [68,2])."""
    opts = opts or MeshSwapOptions()
    src, dst = face_points(source_lm), face_points(target_lm)  # [78,2]
    box = bounding_box(dst, target_image.shape)
    patch, covered = warp_mesh(source_image, src, dst, face_simplices(), box)  # [h,w,3], [h,w]
    region = target_image[box.slices]
    patch[~covered] = region[~covered]
    hull = fill_polygon(dst if opts.forehead else dst[:68], box) * covered  # [h,w] in {0,1}
    if opts.skin_gate > 0:
        hull = hull * skin_gate(patch, dst, box, opts.skin_gate)
    matched = transfer(opts.color, patch, region, hull)
    radius = round(opts.feather * face_size(target_lm))
    mask = feather(hull, radius)
    if opts.target_mouth:  # the source's closed lips would otherwise be stretched over an open mouth
        mouth = fill_polygon(np.asarray(target_lm)[60:68], box, convex=False)
        mask = mask * (1.0 - cv2.GaussianBlur(mouth, (5, 5), 1.0) * mouth)
    image, full = composite(target_image, matched, mask, box, opts.blend)
    return FakeFrame(image, full)


#: nose and cheeks between the eyes and the mouth: the source's skin colour, whatever its hair or background
SKIN_POINTS = (2, 3, 4, 12, 13, 14, 28, 29, 30, 31, 35, 41, 46, 48, 54)


def skin_gate(patch: np.ndarray, dst: np.ndarray, box: Box, sds: float) -> np.ndarray:
    """[h,w] {0,1}: 1 over the inner features (brows, eyes, nose, mouth) and wherever the warped source `patch`
    [h,w,3] is within `sds` robust SDs (Lab, median/MAD) of the source skin under SKIN_POINTS' hull."""
    lab = cv2.cvtColor(patch.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)  # [h,w,3]
    skin = fill_polygon(dst[list(SKIN_POINTS)], box) > 0
    if skin.sum() < 32:
        return np.ones(box.shape, np.float32)
    centre = np.median(lab[skin], axis=0)
    spread = 1.4826 * np.median(np.abs(lab[skin] - centre), axis=0)
    spread = np.maximum(spread, np.array([4.0, 3.0, 3.0]))  # floors: a flat patch must not gate everything
    distance = np.sqrt((((lab - centre) / spread) ** 2).sum(axis=2))  # [h,w]
    keep = (distance <= sds).astype(np.uint8)
    keep = cv2.morphologyEx(keep, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))  # no speckle of single pixels
    inner = fill_polygon(dst[17:68], box)  # brows, eyes, nose, mouth: identity texture, never gated
    return np.maximum(keep.astype(np.float32), inner)
