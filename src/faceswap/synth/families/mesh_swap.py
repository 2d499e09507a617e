"""FaceForensics++ "FaceSwap" analogue: a training-free graphics swap.

The source person's face texture is warped onto the target's landmarks by a piecewise-affine triangle mesh
(68 points + forehead, one fixed triangulation), colour-matched to the target face and blended inside the
target's face hull. Like MarekKowalski/FaceSwap it keeps the target's head and outline but not its
expression details, and leaves its cues by design: a blend seam along the hull, texture stretched where the
two poses differ, lighting baked into the source texture, and a visible change of identity.
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

    def __post_init__(self) -> None:
        COLOR_TRANSFERS.get(self.color)
        BLENDERS.get(self.blend)
        if not 0.0 <= self.feather <= 0.3:
            raise ConfigError(f"mesh_swap feather {self.feather} is out of range", "use a value in [0, 0.3]")


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
    matched = transfer(opts.color, patch, region, hull)
    radius = round(opts.feather * face_size(target_lm))
    mask = feather(hull, radius)
    if opts.target_mouth:  # the source's closed lips would otherwise be stretched over an open mouth
        mouth = fill_polygon(np.asarray(target_lm)[60:68], box, convex=False)
        mask = mask * (1.0 - cv2.GaussianBlur(mouth, (5, 5), 1.0) * mouth)
    image, full = composite(target_image, matched, mask, box, opts.blend)
    return FakeFrame(image, full)
