"""NeuralTextures / lip-sync analogue: only the mouth region is replaced, from a driving frame.

The driving frame's lower face is placed on the target's by a similarity fitted on points that move with
the skull, not the mouth (nose, upper jaw), so the driver's lips and their opening arrive where the target's
mouth is; the driver's mouth region (lips plus a margin of chin and cheek, never above the nostrils) is
colour-matched on skin with temporally smoothed statistics, re-lit by the two faces' local skin means (so
a face lit from the other side leaves no halo) and feather-blended. The cues are local by design: a
soft seam around the mouth, lips of another person or time, and (when published with the original audio) a
mouth that does not follow the sound.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.face.align import transform_points, umeyama
from faceswap.face.masks import feather
from faceswap.face.smoothing import OneEuroFilter, interocular
from faceswap.postprocess.blend import BLENDERS
from faceswap.synth.fakes import FakeFrame
from faceswap.synth.families.mesh import (
    SmoothedColour,
    bounding_box,
    composite,
    fill_polygon,
    match_shading,
    to_canonical,
)
from faceswap.utils.errors import ConfigError, FaceswapError

#: points that move with the skull, not the mouth: upper jaw and nose
ANCHORS = (1, 2, 3, 13, 14, 15, 27, 28, 29, 30, 31, 32, 33, 34, 35)
_LOWER_FACE = (*range(3, 14), 35, 34, 33, 32, 31)  # lower jaw closed by the nose base: where a mouth may go


@dataclass(frozen=True)
class MouthOptions:
    margin: float = 0.3  # the region is the lips' hull grown by this x mouth width (chin and cheeks)
    feather: float = 0.25  # soft edge, as a fraction of the margin
    blend: str = "alpha"  # blender (faceswap.postprocess.blend)
    smoothing: bool = True  # One-Euro filter on the driver's placement
    min_cutoff: float = 1.0  # One-Euro: lower = smoother at rest (Hz)
    beta: float = 1.0  # One-Euro: higher = less lag on fast motion
    fps: float = 25.0  # frame rate the filter assumes
    color_momentum: float = 0.8  # EMA weight of past frames' colour statistics
    shading: float = 0.15  # local re-lighting: width of the local colour average x mouth width (0 = off)

    def __post_init__(self) -> None:
        BLENDERS.get(self.blend)
        if not 0.0 <= self.margin <= 1.0 or not 0.0 <= self.feather <= 1.0 or self.fps <= 0 or self.shading < 0:
            raise ConfigError(
                "mouth margin/feather/fps out of range", "use margin and feather in [0, 1], fps > 0, shading >= 0"
            )


class MouthReplacer:
    """One per target video: the target's mouth region replaced by the driving frames', smoothly."""

    def __init__(self, opts: MouthOptions | None = None) -> None:
        self.opts = opts or MouthOptions()
        self._filter = OneEuroFilter(self.opts.min_cutoff, self.opts.beta)
        self._lips = OneEuroFilter(self.opts.min_cutoff, self.opts.beta)
        self._colour = SmoothedColour(self.opts.color_momentum, "gain_shift")
        self._frame = 0

    def reset(self) -> None:
        self._filter.reset()
        self._lips.reset()
        self._colour.reset()
        self._frame = 0

    def placement(self, target_lm: np.ndarray, driving_lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """([2,3] similarity driving frame -> target frame fitted on the anchors, the driver's lips [20,2] in the
        target frame); both One-Euro filtered over the video (advances the temporal state)."""
        idx = list(ANCHORS)
        matrix = umeyama(np.asarray(driving_lm, np.float64)[idx], np.asarray(target_lm, np.float64)[idx])
        lips = transform_points(np.asarray(driving_lm, np.float64)[48:68], matrix)  # [20,2]
        if self.opts.smoothing:
            scale = max(interocular(target_lm), 1.0)
            t = self._frame / self.opts.fps
            params = np.concatenate([matrix[:, :2].ravel() * scale, matrix[:, 2]])  # [6] all in px
            params = self._filter(params, t, scale)
            matrix = np.concatenate([params[:4].reshape(2, 2) / scale, params[4:, None]], axis=1)
            lips = self._lips(lips, t, scale)
        self._frame += 1
        return matrix, lips

    def __call__(
        self, target_image: np.ndarray, target_lm: np.ndarray, driving_image: np.ndarray, driving_lm: np.ndarray
    ) -> FakeFrame:
        """target frame [H,W,3] uint8 + landmarks [68,2], driving frame + landmarks -> the frame with a new mouth."""
        target_lm = np.asarray(target_lm, np.float64)
        matrix, driver_lips = self.placement(target_lm, driving_lm)
        lips = np.concatenate([target_lm[48:60], driver_lips[:12]])  # [24,2] both outer lip contours
        width = float(np.linalg.norm(target_lm[54] - target_lm[48]))
        grow = max(1, round(self.opts.margin * width))
        box = bounding_box(lips, target_image.shape, pad=grow + 2)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        region = cv2.dilate(fill_polygon(lips, box), kernel) * fill_polygon(
            target_lm[list(_LOWER_FACE)], box, convex=False
        )
        shift = np.array([[1.0, 0.0, -box.x0], [0.0, 1.0, -box.y0]])
        to_box = np.vstack([shift, [0, 0, 1]]) @ np.vstack([matrix, [0, 0, 1]])
        width_px, height_px = box.shape[1], box.shape[0]
        warped = cv2.warpAffine(driving_image, to_box[:2], (width_px, height_px), borderMode=cv2.BORDER_REFLECT)
        target_region = target_image[box.slices]
        # skin against skin: lips of another colour (lipstick) would tint the whole region and leave a ring
        target_lips, driver_lips_box = fill_polygon(target_lm[48:60], box), fill_polygon(driver_lips[:12], box)
        driver_skin, target_skin = (region > 0) & (driver_lips_box == 0), (region > 0) & (target_lips == 0)
        self._colour.update(warped, driver_skin, target_region, target_skin)
        mask = feather(region, round(self.opts.feather * grow))
        # the target's own lips are replaced in full: where they reach the soft edge (a short philtrum under
        # the nose-base cut) a half-blended upper lip showed as a second, ghosted lip line
        cover = cv2.dilate(target_lips, np.ones((5, 5), np.uint8)) * region
        mask = np.maximum(mask, cv2.GaussianBlur(cover, (5, 5), 1.0) * region)
        patch = self._colour.apply(warped)
        if self.opts.shading:
            patch = match_shading(patch, driver_skin, target_region, target_skin, self.opts.shading * width)
        image, full = composite(target_image, patch, mask, box, self.opts.blend)
        return FakeFrame(image, full)


def pick_driver(target_lm: np.ndarray, driver_lms: np.ndarray) -> int:
    """Index of the driver face [M,68,2] whose shape (after a similarity fit) is nearest the target's [68,2]:
    the closest head pose and face shape, so a warp between them stretches the texture least."""
    return nearest_shape(target_lm, canonical_shapes(driver_lms))


def canonical_shapes(driver_lms: np.ndarray) -> np.ndarray:
    """Driver faces [M,68,2] in mean-face units [M,68,2]: computed once per pool, compared with every target."""
    lms = np.asarray(driver_lms, np.float64)
    if lms.ndim != 3 or lms.shape[1:] != (68, 2) or len(lms) == 0:
        raise FaceswapError(f"pick_driver needs driver landmarks [M,68,2], got {lms.shape}", "pass at least one face")
    return np.stack([to_canonical(lm)[0] for lm in lms])


def nearest_shape(target_lm: np.ndarray, canonical: np.ndarray) -> int:
    """Index of the canonical shape [M,68,2] nearest the target's [68,2] (mean point distance)."""
    target_c, _ = to_canonical(target_lm)
    return int(np.argmin(np.linalg.norm(canonical - target_c, axis=2).mean(axis=1)))
